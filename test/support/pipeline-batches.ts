// The batches the through-Kafka tests send (project `kafka`, metric m) and how
// they count what a query server stored of them.
import { encodeRequest } from './requests.js';
import { getJson } from './stepstream.js';

export const PROJECT = 'kafka';

/** One batch: `n` points of metric m at steps [first, first + n) of a run and rank. */
export function batch(run: string, rank: number, first: number, n: number, clientId: string, sequence: number): Buffer {
  const steps = Array.from({ length: n }, (_, i) => first + i);
  return encodeRequest({ project: PROJECT, runId: run, clientId, sequence, series: [{ metric: 'm', rank, steps, values: steps.map((s) => (s % 97 === 0 ? NaN : Math.sin(s))) }] });
}

/** Points stored for a run: from summaries, and from two rollup tiers. */
export async function storedCounts(queryUrl: string, run: string, rank: number): Promise<{ summary: number; tierFine: number; tierCoarse: number } | undefined> {
  const detail = await getJson(`${queryUrl}/v1/projects/${PROJECT}/runs/${run}/ranks?metric=m`);
  if (detail.status !== 200) return undefined;
  const r = detail.body.ranks.find((x: { rank: number }) => x.rank === rank);
  if (!r) return undefined;
  const sum = async (points: number) => {
    const s = await getJson(`${queryUrl}/v1/projects/${PROJECT}/runs/${run}/series?metric=m&rank=${rank}&points=${points}`);
    return (s.body.count as number[]).reduce((a, b) => a + b, 0);
  };
  return { summary: r.count, tierFine: await sum(5000), tierCoarse: await sum(3) };
}
