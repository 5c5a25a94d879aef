// lineage: what a run's restarts cost its reads (issue 11). Over keep-alive
// HTTP against one all-in-one server, side by side and interleaved (each
// request of the restarted run next to the same request of the plain run, in
// alternating order, so machine noise hits both alike):
// - 1000-point views of a 10M-point series of a run with 10 attempts vs the
//   same view of the same series in a run never restarted, at full range,
//   zoom levels at random offsets, and windows around a restart boundary;
// - GET /runs/:run of a run with 10 attempts, 64 ranks and 32 metrics vs the
//   same run shape never restarted.
// The data (lineage-data.ts) gives both runs the same effective points, so
// every restarted answer is checked against the plain run's, and each view
// against its tier=raw answer (throws on a mismatch).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepAliveGetter, type HttpGetter } from './http-get.js';
import { LONG_METRIC, PROJECT, RUNS, WIDE_METRICS, WIDE_RANKS, writeLineageData, type LineageData } from './lineage-data.js';
import { rng } from './loss-curve.js';
import { startStepstream } from './procs.js';
import { fmt, printTable, type Figure } from './report.js';
import { restartPlan, supersededSteps, type RestartPlan } from './restart-plan.js';
import { compareAnswers, compareWithRaw, type SeriesAnswer } from './series-answer.js';
import { stats, type Latency } from './timing.js';

const POINTS = 1000;
const VIEW_TARGET_MS = 50, RATIO_TARGET = 1.5;
/**
 * The server's read limit (--query-timeout-ms), raised from its default
 * (5000 ms) so that a slow read is measured instead of refused with 422.
 */
const READ_LIMIT_MS = 120_000;

/** The two data sets: a 10M-point series, and a wide run of a few thousand steps per attempt. */
export function lineagePlans(quick: boolean): { long: RestartPlan; wide: RestartPlan } {
  return {
    long: restartPlan({ attempts: 10, steps: 10_000_000, tail: [1000, 5000], seed: 11 }),
    wide: restartPlan({ attempts: 10, steps: quick ? 20_000 : 30_000, tail: [200, 1000], seed: 12 }),
  };
}

/** One side by side figure: the restarted run's latency, the plain run's, and p99 restarted / p99 plain. */
export interface SideBySide { label: string; restarted: Latency; plain: Latency; ratioP99: number; bucket: number; tier: number }

export interface LineageResult {
  workload: { views: string; detail: string };
  plans: { long: RestartPlan; wide: RestartPlan };
  data: LineageData;
  /** Wall time of each phase on the server: the checks, the views, the run details. */
  seconds: { check: number; views: number; detail: number };
  views: SideBySide[];
  detail: SideBySide;
  /** The first read of each run detail (the restarted one computes its cut attempts then), ms. */
  coldDetailMs: { restarted: number; plain: number };
  /** Answers checked: restarted = plain, restarted = its tier=raw answer. */
  checks: number;
  peakRssMb: Record<string, number>;
}

type Range = [number, number] | null;

const seriesPath = (run: string, range: Range, raw = false) =>
  `/v1/projects/${PROJECT}/runs/${run}/series?metric=${encodeURIComponent(LONG_METRIC)}&rank=-1&points=${POINTS}${range ? `&from=${range[0]}&to=${range[1]}` : ''}${raw ? '&tier=raw' : ''}`;
const detailPath = (run: string) => `/v1/projects/${PROJECT}/runs/${run}`;

/** The views: full range, zoom levels at random offsets, and windows that hold a restart boundary. */
function viewLevels(plan: RestartPlan): { label: string; range: () => Range }[] {
  const rand = rng(42), steps = plan.steps;
  const at = (span: number): [number, number] => { const from = Math.floor(rand() * (steps - span + 1)); return [from, from + span]; };
  const around = (span: number): [number, number] => {
    const b = plan.boundaries[Math.floor(rand() * plan.boundaries.length)]!;
    const from = Math.min(steps - span, Math.max(0, b - 1 - Math.floor(rand() * (span - 2))));
    return [from, from + span];
  };
  const label = (span: number) => span.toLocaleString('en-US');
  return [
    { label: 'full range', range: () => null },
    ...[2_500_000, 1_000_000, 100_000, 10_000, 1_000].map((span) => ({ label: `${label(span)} steps`, range: () => at(span) })),
    ...[1_000_000, 100_000, 10_000, 1_000].map((span) => ({ label: `${label(span)} steps around a restart`, range: () => around(span) })),
  ];
}

/**
 * n pairs of requests, each pair the restarted and the plain path in
 * alternating order (after `warm` untimed pairs), fewer (at least
 * `minPairs`) if they take longer than `ms` in all; the times of each side.
 */
async function interleaved(http: HttpGetter, n: number, warm: number, budget: { ms: number; minPairs: number }, paths: () => [string, string]): Promise<{ restarted: number[]; plain: number[]; first: string }> {
  const restarted: number[] = [], plain: number[] = [];
  let first = '';
  let deadline = Infinity;
  for (let i = -warm; i < n && (i < budget.minPairs || performance.now() < deadline); i++) {
    if (i === 0) deadline = performance.now() + budget.ms;
    const [r, p] = paths();
    const order = i % 2 === 0 ? [r, p] : [p, r];
    const times: number[] = [];
    for (const path of order) {
      const got = await http.get(path);
      times.push(got.ms);
      if (path === r && !first) first = got.body;
    }
    if (i < 0) continue;
    restarted.push(i % 2 === 0 ? times[0]! : times[1]!);
    plain.push(i % 2 === 0 ? times[1]! : times[0]!);
  }
  return { restarted, plain, first };
}

function sideBySide(label: string, t: { restarted: number[]; plain: number[] }, bucket = 0, tier = 0): SideBySide {
  const restarted = stats(t.restarted), plain = stats(t.plain);
  return { label, restarted, plain, ratioP99: restarted.p99 / plain.p99, bucket, tier };
}

/** Checks every view level (2 ranges each) and the run detail; returns the number of answers checked. */
async function check(http: HttpGetter, plans: { long: RestartPlan; wide: RestartPlan }, data: LineageData, levels: ReturnType<typeof viewLevels>, cold: Record<string, number>): Promise<number> {
  const answer = async (p: string) => JSON.parse((await http.get(p)).body) as SeriesAnswer;
  let checks = 0;
  for (const l of levels) {
    for (let i = 0; i < (l.label === 'full range' ? 1 : 2); i++) {
      const range = l.range();
      const what = `lineage bench: ${l.label} ${JSON.stringify(range)}`;
      const restarted = await answer(seriesPath(RUNS.longRestarted, range));
      compareAnswers(`${what} (restarted vs plain run)`, restarted, await answer(seriesPath(RUNS.longPlain, range)));
      compareWithRaw(what, restarted, await answer(seriesPath(RUNS.longRestarted, range, true)));
      checks += 2;
      if (range) continue;
      const total = restarted.count.reduce((a, b) => a + b, 0), nf = restarted.nonfinite.reduce((a, b) => a + b, 0);
      if (total !== plans.long.steps || nf !== data.longNonfinite) throw new Error(`${what}: counts ${total} points, ${nf} non-finite; effective ${plans.long.steps}, ${data.longNonfinite}`);
      if (restarted.tier === 0) throw new Error(`${what}: answered from raw points`);
    }
  }
  const lineage = JSON.parse((await http.get(`${detailPath(RUNS.longRestarted)}/lineage`)).body) as { attempts: unknown[]; segments: unknown[] };
  if (lineage.attempts.length !== 10 || lineage.segments.length !== plans.long.boundaries.length + 1) {
    throw new Error(`lineage bench: the long run has ${lineage.attempts.length} attempts, ${lineage.segments.length} segments; planned 10, ${plans.long.boundaries.length + 1}`);
  }
  interface Detail { attempts: number; metrics: { name: string; ranks: number; count: number }[] }
  // The first read of each run detail, timed: for the restarted run it computes every cut attempt once (later reads find it cached).
  const first = async (run: string) => { const t = performance.now(); const d = JSON.parse((await http.get(detailPath(run))).body) as Detail; cold[run] = performance.now() - t; return d; };
  const restarted = await first(RUNS.wideRestarted), plain = await first(RUNS.widePlain);
  if (restarted!.attempts !== 10 || plain!.attempts !== 1) throw new Error(`lineage bench: run detail attempts ${restarted!.attempts} and ${plain!.attempts}`);
  if (JSON.stringify(restarted!.metrics) !== JSON.stringify(plain!.metrics)) throw new Error('lineage bench: the restarted run detail differs from the plain run\'s');
  const shape = plain!.metrics.every((m) => m.ranks === WIDE_RANKS && m.count === WIDE_RANKS * plans.wide.steps);
  if (plain!.metrics.length !== WIDE_METRICS || !shape) throw new Error('lineage bench: the run detail does not count every rank\'s every step');
  return checks + 1;
}

export async function benchLineage(opts: { quick: boolean }): Promise<LineageResult> {
  const plans = lineagePlans(opts.quick);
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-lineage-'));
  try {
    const data = await writeLineageData(dir, plans.long, plans.wide);
    return await measureLineage(dir, plans, data, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checks and the side by side timings, on data already written into `dir`. */
export async function measureLineage(dir: string, plans: { long: RestartPlan; wide: RestartPlan }, data: LineageData, opts: { quick: boolean }): Promise<LineageResult> {
  const ss = await startStepstream(['--data', dir, '--query-timeout-ms', String(READ_LIMIT_MS)]);
  const http = keepAliveGetter(ss.url);
  try {
    const levels = viewLevels(plans.long);
    const t0 = performance.now();
    const cold: Record<string, number> = {};
    const checks = await check(http, plans, data, levels, cold);
    const t1 = performance.now();
    const views: SideBySide[] = [];
    for (const l of levels) {
      // NOTE: 8 s a level in quick (~200-280 pairs here): with ~100 (4 s) a p99 was
      // the second-slowest of each side, and one request the host slowed (on
      // either side) moved the ratio 1.0 -> 1.8 while the p50s stayed within 10%.
      const budget = { ms: opts.quick ? 8_000 : 30_000, minPairs: 20 };
      const t = await interleaved(http, opts.quick ? 300 : 500, 10, budget, () => { const range = l.range(); return [seriesPath(RUNS.longRestarted, range), seriesPath(RUNS.longPlain, range)]; });
      const a = JSON.parse(t.first) as SeriesAnswer;
      views.push(sideBySide(l.label, t, a.bucket, a.tier));
    }
    const t2 = performance.now();
    // NOTE: the check has just read both run details once: quick does not warm up again (a slow detail is seconds a pair).
    const budget = { ms: opts.quick ? 20_000 : 120_000, minPairs: opts.quick ? 3 : 10 };
    const detail = sideBySide('run detail', await interleaved(http, opts.quick ? 100 : 300, opts.quick ? 0 : 3, budget, () => [detailPath(RUNS.wideRestarted), detailPath(RUNS.widePlain)]));
    const seconds = { check: (t1 - t0) / 1000, views: (t2 - t1) / 1000, detail: (performance.now() - t2) / 1000 };
    const { long, wide } = plans;
    const n = (x: number) => x.toLocaleString('en-US');
    return {
      coldDetailMs: { restarted: cold[RUNS.wideRestarted] ?? NaN, plain: cold[RUNS.widePlain] ?? NaN },
      workload: {
        views: `${POINTS}-point views of a ${n(long.steps)}-point series; restarted: 10 attempts resuming at irregular steps (restarts at ${long.boundaries.map(n).join(', ')}), crash tails of 1,000-5,000 steps, attempt ${long.rollback} rolling back past the previous restart (${n(supersededSteps(long))} superseded points)`,
        detail: `run detail of ${WIDE_METRICS} metrics × ${WIDE_RANKS} ranks, ${n(wide.steps)} effective steps; restarted: 10 attempts owning ~${n(Math.round(wide.steps / (wide.boundaries.length + 1)))} steps each, crash tails of 200-1,000 steps, attempt ${wide.rollback} rolling back past the previous restart (${n(supersededSteps(wide))} superseded steps per series)`,
      },
      plans, data, seconds, views, detail, checks, peakRssMb: { stepstream: ss.peakRssMb() },
    };
  } finally {
    http.close();
    await ss.stop();
  }
}

/** The table of both figures; the summary's entries (every figure with its target). */
export function reportLineage(r: LineageResult): Figure[] {
  const viewRows = r.views.flatMap((v): Figure[] => [
    { figure: `view of ${v.label}: restarted p99 (p50 ${v.restarted.p50.toFixed(1)}; plain p99 ${v.plain.p99.toFixed(1)}, p50 ${v.plain.p50.toFixed(1)})`, value: v.restarted.p99, unit: 'ms', target: `< ${VIEW_TARGET_MS}`, met: v.restarted.p99 < VIEW_TARGET_MS, workload: r.workload.views },
    { figure: `view of ${v.label}: p99 restarted / plain (p50 ratio ${(v.restarted.p50 / v.plain.p50).toFixed(2)})`, value: v.ratioP99, unit: '×', target: `≤ ${RATIO_TARGET}`, met: v.ratioP99 <= RATIO_TARGET, workload: r.workload.views },
  ]);
  const worstP99 = Math.max(...r.views.map((v) => v.restarted.p99)), worstRatio = Math.max(...r.views.map((v) => v.ratioP99));
  const d = r.detail;
  const figures = printTable('lineage: a run with 10 attempts next to the same run never restarted, interleaved', [
    ...viewRows,
    { figure: 'worst restarted view p99', value: worstP99, unit: 'ms', target: `< ${VIEW_TARGET_MS}`, met: worstP99 < VIEW_TARGET_MS, workload: r.workload.views },
    { figure: 'worst view p99 restarted / plain', value: worstRatio, unit: '×', target: `≤ ${RATIO_TARGET}`, met: worstRatio <= RATIO_TARGET, workload: r.workload.views },
    { figure: `run detail, first read (its cut attempts computed; plain ${r.coldDetailMs.plain.toFixed(1)})`, value: r.coldDetailMs.restarted, unit: 'ms' },
    { figure: `run detail: restarted p50 (plain ${d.plain.p50.toFixed(1)})`, value: d.restarted.p50, unit: 'ms' },
    { figure: `run detail: restarted p99 (plain ${d.plain.p99.toFixed(1)})`, value: d.restarted.p99, unit: 'ms' },
    { figure: 'run detail: p99 restarted / plain', value: d.ratioP99, unit: '×', target: `≤ ${RATIO_TARGET}`, met: d.ratioP99 <= RATIO_TARGET, workload: r.workload.detail },
  ]);
  process.stdout.write(`(${r.workload.views}\n ${r.workload.detail};\n ${fmt(r.data.points)} points written in ${r.data.seconds.toFixed(1)} s; ${r.checks} answers checked equal to the plain run's and to tier=raw)\n`);
  return figures;
}
