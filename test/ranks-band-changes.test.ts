// The band of a given range over a run that changes between reads: after a
// restart the steps the new attempt owns have its values, and a range past
// the run's last step shows its new steps once stored; each answer is the
// band over the effective points at that moment (nothing of an earlier read,
// such as its segments, is kept for the next).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from './support/requests.js';
import { getJson, postBatch, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'guess', RUN = 'g', RANKS = 8;
const steps = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** attempt 0 logs rank + step / 1000; attempt 1 logs 10 * rank + step. */
const value = (attempt: number, rank: number, step: number) => (attempt === 0 ? rank + step / 1000 : 10 * rank + step);

interface Band { x: number[]; min: number[]; max: number[]; count: number[]; min_rank: number[]; max_rank: number[] }

describe('the band of a given range over a run that is restarted and grows', () => {
  let ss: Started;
  let sequence = 0;
  const post = async (attempt: number, from: number, to: number, resumeStep?: number) => {
    const series = Array.from({ length: RANKS }, (_, rank) => ({ metric: 'm', rank, steps: steps(from, to), values: steps(from, to).map((s) => value(attempt, rank, s)) }));
    const res = await postBatch(ss.url, encodeRequest({ project: PROJECT, runId: RUN, attempt, clientId: 'c', sequence: ++sequence, series, ...(resumeStep === undefined ? {} : { run: { resumeStep } }) }));
    expect(res.status).toBe(202);
  };
  const band = async (from: number, to: number) => (await getJson<Band>(`${ss.url}/v1/projects/${PROJECT}/runs/${RUN}/ranks/series?metric=m&from=${from}&to=${to}&points=1000`)).body;
  /** Waits until the run detail counts `count` points of m (the writer stores in the background). */
  const stored = (count: number) => waitFor(`${count} points stored`, async () => {
    const { body } = await getJson<{ metrics?: { name: string; count: number }[] }>(`${ss.url}/v1/projects/${PROJECT}/runs/${RUN}`);
    return body.metrics?.find((m) => m.name === 'm')?.count === count ? true : undefined;
  });
  /**
   * Waits until the rollup across ranks holds the run up to `last`, the last
   * step's values attempt `attempt`'s: its rows land beside the tiers the
   * counts come from, not at the same instant (docs/guarantees.md). Read over
   * the default range, another path of the route than the reads checked.
   */
  const rolledUp = (last: number, attempt: number) => waitFor(`the rollup across ranks up to step ${last}`, async () => {
    const b = (await getJson<Band>(`${ss.url}/v1/projects/${PROJECT}/runs/${RUN}/ranks/series?metric=m&points=100000`)).body;
    return b.x.at(-1) === last && b.max.at(-1) === value(attempt, RANKS - 1, last) ? true : undefined;
  });
  /** The band each step of [from, to) must have: every rank's value of the attempt owning it. */
  const expected = (from: number, to: number, owner: (step: number) => number) => {
    const x = steps(from, to);
    return {
      x, count: x.map(() => RANKS), min: x.map((s) => value(owner(s), 0, s)), max: x.map((s) => value(owner(s), RANKS - 1, s)),
      min_rank: x.map(() => 0), max_rank: x.map(() => RANKS - 1),
    };
  };

  beforeAll(async () => {
    ss = await startInProcess();
    await post(0, 0, 200);
    await stored(200 * RANKS);
  }, 60_000);
  afterAll(async () => { await ss?.stop(); });

  it('answers a zoom read again as the first time (the segments held)', async () => {
    const want = expected(50, 150, () => 0);
    expect(await band(50, 150)).toMatchObject(want);
    expect(await band(50, 150)).toMatchObject(want);
  });

  it('gives way to a restart: the steps the new attempt owns have its values', async () => {
    expect(await band(50, 150)).toMatchObject(expected(50, 150, () => 0));
    await post(1, 100, 200, 100);
    await waitFor('the restart in the lineage', async () => ((await getJson(`${ss.url}/v1/projects/${PROJECT}/runs/${RUN}/lineage`)).body.segments?.length === 2 ? true : undefined));
    await stored(200 * RANKS);
    await rolledUp(199, 1);
    expect(await band(50, 150)).toMatchObject(expected(50, 150, (s) => (s >= 100 ? 1 : 0)));
  });

  it('gives way to new steps of the run: a range past its last step shows them once they are stored', async () => {
    expect(await band(150, 300)).toMatchObject(expected(150, 200, () => 1));
    await post(1, 200, 260);
    await stored(260 * RANKS);
    await rolledUp(259, 1);
    expect(await band(150, 300)).toMatchObject(expected(150, 260, () => 1));
  });
});
