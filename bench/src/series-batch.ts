// series-batch: POST /v1/projects/:p/series for a dashboard's view of 20 runs
// × 4 metrics at 1000 points (80 queries), over keep-alive HTTP against a
// `--target query` process, on the data of series-batch-data.ts (every fifth
// run restarted). Cases: the whole series with the range left open (a
// dashboard's first view), a zoom to the middle half (a given range crossing
// the restarts), the same with x=time; and the very first request of the
// server, once, before it knows any series' extent. Baselines in the same
// run: GET /readyz, and one plain GET .../series of the same view. Every
// batch answer is checked equal, entry by entry, to what GET answers for its
// query. A request's time is from sending it to its answer's last byte; the
// client's JSON.parse of the answer (~6.6 MB) is timed apart and listed beside.
// Target (issue 13): p99 < 150 ms, for the views answered from the
// tiers (the quick pass's zoom, 100,000 steps a series, is answered from raw
// points: listed without the target).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { METRICS, PROJECT, RUN_COUNT, runId, writeBatchData } from './series-batch-data.js';
import { compareAnswers, type SeriesAnswer } from './series-answer.js';
import { keepAliveGetter, type HttpGetter } from './http-get.js';
import { startStepstream } from './procs.js';
import { stats, timeWithin, type Latency } from './timing.js';

export const BATCH_TARGET_MS = 150;

export interface SeriesBatchResult {
  workload: string; steps: number; points: number; writeSeconds: number; queries: number;
  firstRequestMs: number; cases: (Latency & { label: string; tier: number; parse: Latency })[]; httpFloor: Latency; oneGet: Latency; checks: number; meanInexact: number;
}

interface Body { from?: number; to?: number; points?: number; x?: 'step' | 'time' }

const QUERIES = Array.from({ length: RUN_COUNT }, (_, i) => METRICS.map((metric) => ({ run: runId(i), metric }))).flat();

function getPath(q: { run: string; metric: string }, b: Body): string {
  const params = new URLSearchParams({ metric: q.metric, ...(b.points ? { points: String(b.points) } : {}) });
  if (b.from !== undefined) params.set('from', String(b.from));
  if (b.to !== undefined) params.set('to', String(b.to));
  return `/v1/projects/${PROJECT}/runs/${q.run}/series?${params}`;
}

/** Posts the batch; throws unless every entry is a series of the view (none an error). `ms`: to the answer's last byte; `parseMs`: the client's JSON.parse of it. */
async function postBatch(http: HttpGetter, b: Body): Promise<{ series: Record<string, unknown>[]; ms: number; parseMs: number }> {
  const answer = await http.post(`/v1/projects/${PROJECT}/series`, { queries: QUERIES, ...b });
  const t = performance.now();
  const body = JSON.parse(answer.body) as { series: Record<string, unknown>[] };
  const parseMs = performance.now() - t;
  if (body.series.length !== QUERIES.length) throw new Error(`series-batch bench: ${body.series.length} answers to ${QUERIES.length} queries`);
  for (const [i, s] of body.series.entries()) {
    if (!Array.isArray(s['x']) || s['x'].length < 500) throw new Error(`series-batch bench: queries[${i}] answered ${JSON.stringify(s).slice(0, 200)}`);
  }
  return { ...body, ms: answer.ms, parseMs };
}

/**
 * Each entry of the batch equal to GET's answer for its query (time_first and
 * time_last aside); the entries checked, and how many of them had a mean
 * equal only within 1e-12 (a sum taken in another order), not to the bit.
 */
async function check(http: HttpGetter, b: Body): Promise<{ entries: number; meanInexact: number }> {
  const got = await postBatch(http, b);
  let meanInexact = 0;
  for (const [i, q] of QUERIES.entries()) {
    const { time_first: tf, time_last: tl, ...rest } = got.series[i]!;
    const one = JSON.parse((await http.get(getPath(q, b))).body) as SeriesAnswer & Record<string, unknown>;
    const what = `series-batch bench: queries[${i}] ${JSON.stringify(q)} ${JSON.stringify(b)}`;
    compareAnswers(what, rest as unknown as SeriesAnswer, one);
    const keys = Object.keys(one).filter((k) => !isDeepStrictEqual(rest[k], one[k]));
    if (keys.some((k) => k !== 'mean')) throw new Error(`${what} differs from GET's answer in ${keys.join(', ')}`);
    if (keys.length) meanInexact++;
    if ((b.x === 'time') !== (Array.isArray(tf) && Array.isArray(tl))) throw new Error(`${what}: time_first/time_last ${Array.isArray(tf) ? 'given' : 'missing'}`);
  }
  return { entries: QUERIES.length, meanInexact };
}

export async function benchSeriesBatch(opts: { quick: boolean }): Promise<SeriesBatchResult> {
  const steps = opts.quick ? 200_000 : 1_000_000;
  const budget = { ms: opts.quick ? 8_000 : 30_000, min: opts.quick ? 10 : 30 };
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-batch-'));
  try {
    const data = await writeBatchData(dir, { steps });
    const ss = await startStepstream(['--target', 'query', '--data', dir]);
    const http = keepAliveGetter(ss.url, 4);
    try {
      const view: Body = { points: 1000 };
      const t = performance.now();
      await postBatch(http, view);
      const firstRequestMs = performance.now() - t;
      const zoom: Body = { points: 1000, from: Math.floor(steps / 4), to: Math.floor((steps * 3) / 4) };
      const cases: [string, Body][] = [
        ['whole series, open range (80 queries)', view],
        ['zoom to the middle half, given range (80 queries)', zoom],
        ['whole series, x=time (80 queries)', { ...view, x: 'time' }],
      ];
      let checks = 0, meanInexact = 0;
      for (const [, b] of cases) { const c = await check(http, b); checks += c.entries; meanInexact += c.meanInexact; }
      const out: SeriesBatchResult['cases'] = [];
      for (const [label, b] of cases) {
        const tier = Number((await postBatch(http, b)).series[0]!['tier']);
        const ms: number[] = [], parse: number[] = [];
        await timeWithin(200, 3, budget, async (i) => { const r = await postBatch(http, b); if (i >= 0) { ms.push(r.ms); parse.push(r.parseMs); } });
        out.push({ label, tier, ...stats(ms), parse: stats(parse) });
      }
      const httpFloor = stats(await timeWithin(200, 3, { ms: 3_000, min: 50 }, () => http.get('/readyz')));
      const oneGet = stats(await timeWithin(200, 3, { ms: 3_000, min: 50 }, () => http.get(getPath(QUERIES[0]!, view))));
      return {
        workload: `${RUN_COUNT} runs × ${METRICS.length} metrics × ${steps.toLocaleString('en-US')} steps (every fifth run restarted at 60%), 1000 points, keep-alive HTTP to --target query`,
        steps, points: data.points, writeSeconds: data.seconds, queries: QUERIES.length, firstRequestMs, cases: out, httpFloor, oneGet, checks, meanInexact,
      };
    } finally {
      http.close();
      await ss.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
