// query: p50/p99 latency of 1000-point series views over one long series
// (10M points, quick or not) at full range and at 5 zoom levels, a 10-run
// overlay, and the same answers computed over raw points (`tier=raw`), all
// over keep-alive HTTP against a `--target query` process, on the data of
// query-data.ts. Every tier answer checked is compared with its raw answer
// (throws on a mismatch). The same reads are also timed in-process
// (store.reads), to split engine cost from HTTP/JSON cost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedAdapter, Store, TIER_WIDTHS, attemptSegment } from '@stepstream/storage';
import { planSeries } from '@stepstream/query';
import { nanStretchStart, rng } from './loss-curve.js';
import { startStepstream } from './procs.js';
import { LONG_RUN, METRIC, OVERLAY_RUNS, PROJECT, writeQueryData } from './query-data.js';
import { keepAliveGetter } from './http-get.js';
import { compareWithRaw, type SeriesAnswer } from './series-answer.js';
import { stats, timeIt, type Latency } from './timing.js';

const POINTS = 1000;

export interface ViewFigures extends Latency { label: string; span: number; bucket: number; tier: number }

export interface QueryResult {
  workload: string;
  points: number;
  writeSeconds: number;
  views: ViewFigures[];
  overlay: Latency;
  raw: { fullRange: Latency; views: ViewFigures[]; overlay: Latency };
  /** raw p50 / tiers p50 at full range. */
  ratioFullRange: number;
  /** The worst p99 over every 1000-point view of the long series. */
  worstViewP99: number;
  /** The same reads in-process (no HTTP): the summaries look-up every request makes, the series query, the overlay's 10 reads. */
  engine: { fullRangeTiers: Latency; fullRangeRaw: Latency; ranks: Latency; overlaySequentialMs: number; overlayConcurrentMs: number };
  /** GET /readyz over the same connections: the HTTP floor of a request. */
  httpFloor: Latency;
  checks: number;
  /** The --target of the process measured. */
  target: string;
  peakRssMb: Record<string, number>;
}

/** Engine-only timings: the same reads the route makes, in-process, no HTTP or JSON of the answer. */
async function timeEngine(dir: string, longSteps: number, overlaySteps: number, quick: boolean): Promise<QueryResult['engine']> {
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  try {
    const read = (run: string, span: number, tiers: readonly number[]) => store.lineage.series({ project: PROJECT, run, metric: METRIC, rank: -1, ...planSeries(0, span, POINTS, tiers) });
    const ranks = stats(await timeIt(quick ? 30 : 50, 3, () => store.lineage.summaries(PROJECT, [attemptSegment(LONG_RUN)], { metric: METRIC })));
    const fullRangeTiers = stats(await timeIt(quick ? 30 : 50, 3, () => read(LONG_RUN, longSteps, TIER_WIDTHS)));
    const fullRangeRaw = stats(await timeIt(quick ? 3 : 5, 1, () => read(LONG_RUN, longSteps, [])));
    const runs = Array.from({ length: OVERLAY_RUNS }, (_, r) => `overlay-${r}`);
    const seq = await timeIt(10, 2, async () => { for (const run of runs) await read(run, overlaySteps, TIER_WIDTHS); });
    const conc = await timeIt(10, 2, () => Promise.all(runs.map((run) => read(run, overlaySteps, TIER_WIDTHS))));
    return { ranks, fullRangeTiers, fullRangeRaw, overlaySequentialMs: stats(seq).p50, overlayConcurrentMs: stats(conc).p50 };
  } finally {
    await store.close();
  }
}

export async function benchQuery(opts: { quick: boolean }): Promise<QueryResult> {
  const { quick } = opts;
  // The targets are stated for a 10M-point series: quick keeps it and trims the rest.
  const longSteps = 10_000_000;
  const overlaySteps = quick ? 200_000 : 1_000_000;
  const reps = quick ? 100 : 200;
  const rawReps = quick ? 20 : 30;
  const rawFullReps = quick ? 10 : 10;
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-query-'));
  try {
    const written = await writeQueryData(dir, longSteps, overlaySteps);
    const engine = await timeEngine(dir, longSteps, overlaySteps, quick);

    const target = 'query';
    const ss = await startStepstream(['--target', target, '--data', dir]);
    const http = keepAliveGetter(ss.url);
    const get = http.get;
    const path = (run: string, range: [number, number] | null, raw = false) =>
      `/v1/projects/${PROJECT}/runs/${run}/series?metric=${encodeURIComponent(METRIC)}&rank=-1&points=${POINTS}${range ? `&from=${range[0]}&to=${range[1]}` : ''}${raw ? '&tier=raw' : ''}`;
    const answer = async (p: string) => JSON.parse((await get(p)).body) as SeriesAnswer;

    try {
      // Zoom levels: a quarter of the series, then 1M … 1k steps, at random
      // offsets; and views of a random span (log-uniform, 1k to all steps).
      const rand = rng(42);
      const spans = [Math.floor(longSteps / 4), 1_000_000, 100_000, 10_000, 1_000].filter((s) => s < longSteps).sort((a, b) => b - a);
      const at = (span: number): [number, number] => { const from = Math.floor(rand() * (longSteps - span + 1)); return [from, from + span]; };
      const randomRange = (): [number, number] => at(Math.round(Math.exp(Math.log(1000) + rand() * (Math.log(longSteps) - Math.log(1000)))));
      const levels: { label: string; span: number; range: () => [number, number] | null }[] = [
        { label: 'full range', span: longSteps, range: () => null },
        ...spans.map((span) => ({ label: `${span.toLocaleString('en-US')} steps`, span, range: () => at(span) })),
        { label: 'random span', span: NaN, range: randomRange },
      ];

      // Check first: tier answers equal raw answers (and cover the whole series).
      let checks = 0;
      const check = async (what: string, run: string, range: [number, number] | null) => {
        const [tier, raw] = [await answer(path(run, range)), await answer(path(run, range, true))];
        compareWithRaw(`query bench: ${what}`, tier, raw);
        checks++;
        return tier;
      };
      const full = await check('full range', LONG_RUN, null);
      const total = full.count.reduce((a, b) => a + b, 0), nf = full.nonfinite.reduce((a, b) => a + b, 0);
      if (total !== longSteps || nf !== written.nonfinite.get(LONG_RUN)) throw new Error(`query bench: full range counts ${total} points, ${nf} non-finite; wrote ${longSteps}, ${written.nonfinite.get(LONG_RUN)}`);
      if (full.tier === 0 || full.x.length > POINTS + 1) throw new Error(`query bench: full range answered from tier ${full.tier} with ${full.x.length} buckets`);
      for (const l of levels.slice(1)) for (let i = 0; i < 2; i++) await check(l.label, LONG_RUN, l.range());
      await check('overlay run, full range', 'overlay-3', null);
      // The 40-NaN stretch at 1-step buckets: min/max null, first/last "NaN".
      const nanAt = nanStretchStart(longSteps);
      await check('non-finite stretch', LONG_RUN, [nanAt - 500, nanAt + 500]);

      const measure = async (l: (typeof levels)[number], n: number, warm: number, raw: boolean): Promise<ViewFigures> => {
        let bytes = 0, bucket = 0, tier = -1;
        const ms = await timeIt(n, warm, async () => {
          const r = await get(path(LONG_RUN, l.range(), raw));
          bytes += r.body.length;
          if (tier === -1) { const a = JSON.parse(r.body) as SeriesAnswer; bucket = a.bucket; tier = a.tier; }
        });
        return { label: l.label, span: l.span, bucket, tier, ...stats(ms, Math.round(bytes / (n + warm))) };
      };
      const httpFloor = stats(await timeIt(100, 10, () => get('/readyz')));
      const views: ViewFigures[] = [];
      for (const l of levels) views.push(await measure(l, reps, 10, false));

      const runs = Array.from({ length: OVERLAY_RUNS }, (_, r) => `overlay-${r}`);
      const overlayOnce = (raw: boolean) => Promise.all(runs.map((run) => get(path(run, null, raw))));
      const overlay = stats(await timeIt(quick ? 30 : 50, 3, () => overlayOnce(false)));

      const rawViews: ViewFigures[] = [];
      for (const l of levels.slice(1)) rawViews.push(await measure(l, rawReps, 2, true));
      const rawFull = await measure(levels[0]!, rawFullReps, 1, true);
      const rawOverlay = stats(await timeIt(quick ? 5 : 5, 1, () => overlayOnce(true)));

      const tiersFull = views[0]!;
      return {
        workload: `1 series of ${longSteps.toLocaleString('en-US')} points + ${OVERLAY_RUNS} runs × ${overlaySteps.toLocaleString('en-US')} points, ${POINTS}-point views`,
        points: longSteps + OVERLAY_RUNS * overlaySteps, writeSeconds: written.seconds,
        views, overlay, raw: { fullRange: rawFull, views: rawViews, overlay: rawOverlay },
        ratioFullRange: rawFull.p50 / tiersFull.p50, worstViewP99: Math.max(...views.map((v) => v.p99)),
        engine, httpFloor, checks, target, peakRssMb: { query: ss.peakRssMb() },
      };
    } finally {
      http.close();
      await ss.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
