// The cross-rank reads of one 1,024-rank run (ranks-data.ts), timed over
// keep-alive HTTP against a `--target query` server: the band (/ranks/series)
// at full range and 3 zoom levels, the heatmap, the per-rank list over a
// window and over everything, /ranks/stragglers over a window, and the run
// detail. /ranks/series has no `tier=raw`: its raw counterpart is the store's
// own band read from the points (RankReads.bandFromPoints) with source 0, the same buckets from raw
// points, timed in-process before the server starts (the engine holds the
// data directory for one process). Every band answer is checked equal to its
// raw one, and the heatmap, list and stragglers to find the injected straggler.
import { pino } from 'pino';
import { EmbeddedAdapter, Store, TIER_WIDTHS, attemptSegment, type RankBand } from '@stepstream/storage';
import { planSeries } from '@stepstream/query';
import { keepAliveGetter, type HttpGetter } from './http-get.js';
import { rng } from './loss-curve.js';
import { checkBandTotals, checkDetail, checkHeatmap, checkStraggler, compareBandWithRaw, type BandAnswer, type HeatmapAnswer, type RankListAnswer, type RunDetailAnswer, type StragglersAnswer } from './ranks-answers.js';
import { PROJECT, RUN, STEP_TIME, type RanksShape } from './ranks-data.js';
import { startStepstream } from './procs.js';
import { stats, timeWithin, type Latency } from './timing.js';

export const BAND_POINTS = 1000;
export const HEATMAP = { points: 200, rows: 256 };
export const LIST_LIMIT = 20;
export const WINDOW_STEPS = 1000;
/** The server's read limit (--query-timeout-ms), raised so a slow read is measured instead of refused. */
const READ_LIMIT_MS = 120_000;

type Range = [number, number] | null;

export interface BandFigures {
  label: string; span: number; bucket: number;
  /** 0: the route answered from raw points itself, else the tier it merged. */
  source: number;
  http: Latency;
  /** The same buckets from raw points, in-process (store.ranks.bandFromPoints, source 0). */
  raw: Latency;
}

export interface RanksReadsResult {
  bands: BandFigures[];
  heatmap: Latency; listAll: Latency; listWindow: Latency; stragglers: Latency; detail: Latency;
  /** The window of the list and stragglers figures, [from, to). */
  window: [number, number];
  checks: number;
  peakRssMb: number;
}

const base = `/v1/projects/${PROJECT}/runs/${RUN}`;
const metricParam = `metric=${encodeURIComponent(STEP_TIME)}`;
const rangeParams = (r: Range) => (r ? `&from=${r[0]}&to=${r[1]}` : '');

/** Full range, then a quarter, a tenth and a twentieth of the run, each at 3 random offsets. */
function bandLevels(steps: number): { label: string; span: number; ranges: Range[] }[] {
  const rand = rng(42);
  const zoom = (span: number) => Array.from({ length: 3 }, (): Range => { const from = Math.floor(rand() * (steps - span + 1)); return [from, from + span]; });
  return [
    { label: 'full range', span: steps, ranges: [null] },
    ...[4, 10, 20].map((d) => { const span = Math.floor(steps / d); return { label: `${span.toLocaleString('en-US')} steps`, span, ranges: zoom(span) }; }),
  ];
}

const planOf = (steps: number, r: Range) => planSeries(r?.[0] ?? 0, r?.[1] ?? steps, BAND_POINTS, TIER_WIDTHS);

/** Each level's raw band, timed in-process (ranges in turn), and each range's answer. */
async function rawBands(dir: string, steps: number, levels: ReturnType<typeof bandLevels>, budget: { ms: number; min: number }): Promise<{ raw: Latency; answers: RankBand[] }[]> {
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  try {
    const out: { raw: Latency; answers: RankBand[] }[] = [];
    for (const l of levels) {
      const answers: RankBand[] = [];
      const ms = await timeWithin(200, 0, budget, async (i) => {
        const p = planOf(steps, l.ranges[i % l.ranges.length]!);
        const band = await store.ranks.bandFromPoints({ project: PROJECT, metric: STEP_TIME, bucket: p.bucket, source: 0, lo: p.lo, hi: p.hi }, [attemptSegment(RUN)]);
        if (i < l.ranges.length) answers.push(band);
      });
      out.push({ raw: stats(ms), answers });
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Checks every band range against its raw answer, and each other read for the straggler; the answers checked. */
async function check(http: HttpGetter, shape: RanksShape, levels: ReturnType<typeof bandLevels>, raw: { answers: RankBand[] }[], window: Range): Promise<number> {
  const get = async <T>(path: string) => JSON.parse((await http.get(path)).body) as T;
  let checks = 0;
  for (const [li, l] of levels.entries()) {
    for (const [ri, r] of l.ranges.entries()) {
      const what = `band, ${l.label} ${JSON.stringify(r)}`;
      const a = await get<BandAnswer>(`${base}/ranks/series?${metricParam}&points=${BAND_POINTS}${rangeParams(r)}`);
      compareBandWithRaw(what, a, raw[li]!.answers[ri]!);
      if (!r) checkBandTotals(what, a, shape);
      checks++;
    }
  }
  checkHeatmap('heatmap', await get<HeatmapAnswer>(`${base}/ranks/heatmap?${metricParam}&points=${HEATMAP.points}&rows=${HEATMAP.rows}`), HEATMAP.rows);
  checkStraggler('ranks, all steps', await get<RankListAnswer>(`${base}/ranks?${metricParam}&sort=mean&limit=${LIST_LIMIT}`), null, LIST_LIMIT);
  checkStraggler('ranks, window', await get<RankListAnswer>(`${base}/ranks?${metricParam}&sort=mean&limit=${LIST_LIMIT}${rangeParams(window)}`), null, LIST_LIMIT);
  checkStraggler('stragglers', null, await get<StragglersAnswer>(`${base}/ranks/stragglers?${metricParam}${rangeParams(window)}`), LIST_LIMIT);
  checkDetail('run detail', await get<RunDetailAnswer>(base), shape);
  return checks + 5;
}

export async function measureRanksReads(dir: string, shape: RanksShape, quick: boolean): Promise<RanksReadsResult> {
  const budget = quick ? { ms: 5_000, min: 5 } : { ms: 30_000, min: 10 };
  const reps = quick ? 50 : 200;
  const levels = bandLevels(shape.steps);
  const raw = await rawBands(dir, shape.steps, levels, budget);
  const window: [number, number] = [shape.steps - WINDOW_STEPS, shape.steps];

  const ss = await startStepstream(['--target', 'query', '--data', dir, '--query-timeout-ms', String(READ_LIMIT_MS)]);
  const http = keepAliveGetter(ss.url);
  try {
    const checks = await check(http, shape, levels, raw, window);
    const time = async (path: (i: number) => string) => stats(await timeWithin(reps, 2, budget, (i) => http.get(path(i))));
    const bands: BandFigures[] = [];
    for (const [li, l] of levels.entries()) {
      const p = planOf(shape.steps, l.ranges[0]!);
      const t = await time((i) => `${base}/ranks/series?${metricParam}&points=${BAND_POINTS}${rangeParams(l.ranges[Math.abs(i) % l.ranges.length]!)}`);
      bands.push({ label: l.label, span: l.span, bucket: p.bucket, source: p.source, http: t, raw: raw[li]!.raw });
    }
    return {
      bands, window, checks,
      heatmap: await time(() => `${base}/ranks/heatmap?${metricParam}&points=${HEATMAP.points}&rows=${HEATMAP.rows}`),
      listAll: await time(() => `${base}/ranks?${metricParam}&sort=mean&limit=${LIST_LIMIT}`),
      listWindow: await time(() => `${base}/ranks?${metricParam}&sort=mean&limit=${LIST_LIMIT}${rangeParams(window)}`),
      stragglers: await time(() => `${base}/ranks/stragglers?${metricParam}${rangeParams(window)}`),
      detail: await time(() => base),
      peakRssMb: ss.peakRssMb(),
    };
  } finally {
    http.close();
    await ss.stop();
  }
}
