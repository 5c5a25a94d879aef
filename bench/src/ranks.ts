// ranks: a job of 1,024 ranks (issue 12). Its cross-rank reads
// (ranks-reads.ts) over one run loaded by the engine itself (ranks-data.ts),
// and how such a job sends (ranks-ingest.ts): a small batch per rank and step
// into the gateway, next to large batches and an empty route.
//   node bench/dist/ranks.js [--full] [--cpu-prof=DIR]
// --cpu-prof also runs the small-batch side once more with the gateway under
// node --cpu-prof, its profile written into DIR (read it with cpu-profile-top.js).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, printTable, writeResult, type Figure } from './report.js';
import type { Latency } from './timing.js';
import { METRICS, RANKS, STRAGGLER, pointsOfShape, writeRanksData, type RanksShape } from './ranks-data.js';
import { benchRanksIngest, type RanksIngestResult } from './ranks-ingest.js';
import { BAND_POINTS, HEATMAP, LIST_LIMIT, WINDOW_STEPS, measureRanksReads, type RanksReadsResult } from './ranks-reads.js';

export const RANKS_SHAPES: Record<'quick' | 'full', RanksShape> = { quick: { metrics: 8, steps: 2_000 }, full: { metrics: 8, steps: 20_000 } };

const TARGET = { bandMs: 100, speedup: 10, heatmapMs: 300, listMs: 50, stragglersMs: 100, detailMs: 100, ingestRatio: 0.5 };

export interface RanksResult {
  workload: { reads: string; ingest: string };
  shape: RanksShape;
  load: { seconds: number; mergeSeconds: number; points: number };
  reads: RanksReadsResult;
  ingest: RanksIngestResult;
}

export async function benchRanks(opts: { quick: boolean; cpuProfDir?: string }): Promise<RanksResult> {
  const shape = RANKS_SHAPES[opts.quick ? 'quick' : 'full'];
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-ranks-'));
  let load, reads;
  try {
    load = await writeRanksData(dir, shape);
    reads = await measureRanksReads(dir, shape, opts.quick);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ingest = await benchRanksIngest({ seconds: opts.quick ? 5 : 15, ...(opts.cpuProfDir ? { cpuProfDir: opts.cpuProfDir } : {}) });
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    workload: {
      reads: `1 run of ${RANKS} ranks × ${shape.metrics} per-rank metrics × ${n(shape.steps)} steps (${n(pointsOfShape(shape))} points), loaded with the engine's INSERT … SELECT `
        + `into points and the 256-step tier (views fill the rest); rank ${STRAGGLER.rank} ${STRAGGLER.factor}× slower from step ${n(Math.floor(shape.steps * STRAGGLER.fromFraction))}; reads of ${METRICS[0]}`,
      ingest: ingest.workload,
    },
    shape, load, reads, ingest,
  };
}

/** A row of a table: `detail` is printed beside the figure and kept as the summary entry's note, so the figure's name stays the same from run to run. */
type Row = Figure & { detail?: string; p50?: number };

function table(title: string, rows: Row[], workload: string): Figure[] {
  const printed = printTable(title, rows.map((r) => ({ ...r, figure: r.detail ? `${r.figure} (${r.detail})` : r.figure })), workload);
  const targeted = rows.filter((r) => r.target !== undefined);
  return printed.map((f, i) => {
    const r = targeted[i]!;
    return { ...f, figure: r.figure, ...(r.detail ? { note: r.detail } : {}), ...(r.p50 !== undefined ? { p50: r.p50 } : {}) };
  });
}

/** The tables; the summary's entries (every figure with its target; latencies with their p50). */
export function reportRanks(r: RanksResult): Figure[] {
  const { reads: q, ingest: g } = r;
  // The route reads the rollup across ranks (rank_steps) at every bucket width; the plan's source is what /series would merge.
  const from = (b: RanksReadsResult['bands'][number]) => `the rollup across ranks (/series: ${b.source ? `tier ${b.source}` : 'raw points'})`;
  const bandRows = q.bands.flatMap((b): Row[] => [
    { figure: `band, ${b.label}: p99`, detail: `p50 ${b.http.p50.toFixed(0)}; n ${b.http.n}; bucket ${b.bucket} from ${from(b)}`, p50: b.http.p50, value: b.http.p99, unit: 'ms', target: `< ${TARGET.bandMs}`, met: b.http.p99 < TARGET.bandMs },
    { figure: `band, ${b.label}: raw p50 / route p50`, detail: `raw, in-process: p50 ${b.raw.p50.toFixed(0)} ms, n ${b.raw.n}`, value: b.raw.p50 / b.http.p50, unit: '×', target: `≥ ${TARGET.speedup}`, met: b.raw.p50 / b.http.p50 >= TARGET.speedup },
  ]);
  const win = `${WINDOW_STEPS.toLocaleString('en-US')}-step window`;
  const p99 = (label: string, l: Latency, target: number): Row =>
    ({ figure: `${label}: p99`, detail: `p50 ${l.p50.toFixed(1)}; n ${l.n}`, p50: l.p50, value: l.p99, unit: 'ms', target: `< ${target}`, met: l.p99 < target });
  const figures = table(`ranks: cross-rank reads over HTTP (${r.workload.reads})`, [
    ...bandRows,
    p99(`heatmap ${HEATMAP.rows} rows × ${HEATMAP.points} buckets, full range`, q.heatmap, TARGET.heatmapMs),
    p99(`/ranks?sort=mean&limit=${LIST_LIMIT}, all steps`, q.listAll, TARGET.listMs),
    p99(`/ranks?sort=mean&limit=${LIST_LIMIT}, ${win}`, q.listWindow, TARGET.listMs),
    p99(`/ranks/stragglers, ${win}`, q.stragglers, TARGET.stragglersMs),
    p99(`GET /runs/:run (${RANKS * r.shape.metrics} series)`, q.detail, TARGET.detailMs),
    { figure: `peak RSS (--target query)`, value: q.peakRssMb, unit: 'MB' },
  ], r.workload.reads);
  process.stdout.write(`(${fmt(r.load.points)} points loaded in ${r.load.seconds.toFixed(1)} s, merged in ${r.load.mergeSeconds.toFixed(1)} s; `
    + `${q.checks} answers checked; bands of ${BAND_POINTS} points; windows [${q.window[0]}, ${q.window[1]}))\n`);
  const ingestFigures = table(`ranks: ingest as a 1,024-rank job sends (${g.workload})`, [
    { figure: 'small batches (100 points): requests/s', value: g.small.requestsPerSec, unit: 'req/s' },
    { figure: 'small batches: points/s', value: g.small.pointsPerSec, unit: 'points/s' },
    { figure: 'small batches: latency p99', detail: `p50 ${g.small.p50Ms} ms`, value: g.small.p99Ms, unit: 'ms' },
    { figure: `large batches (${fmt(g.large.pointsPerRequest)} points): requests/s`, value: g.large.requestsPerSec, unit: 'req/s' },
    { figure: 'large batches: points/s', value: g.large.pointsPerSec, unit: 'points/s' },
    { figure: 'bare Fastify, empty GET route: requests/s', value: g.emptyGet.requestsPerSec, unit: 'req/s' },
    { figure: 'bare Fastify, empty POST route, the small bodies: requests/s', value: g.emptyPost.requestsPerSec, unit: 'req/s' },
    { figure: 'runtime server, empty POST route, the small bodies: requests/s', value: g.runtimePost.requestsPerSec, unit: 'req/s' },
    { figure: 'requests failed or timed out (> 10 s), every side', value: [g.small, g.large, g.emptyGet, g.emptyPost, g.runtimePost].reduce((a, s) => a + s.errors, 0), unit: 'requests' },
    { figure: 'small-batch requests/s / empty GET route requests/s', detail: `${fmt(g.small.requestsPerSec)} / ${fmt(g.emptyGet.requestsPerSec)}`, value: g.ratio, unit: '×', target: `≥ ${TARGET.ingestRatio}`, met: g.ratio >= TARGET.ingestRatio },
  ], g.workload);
  return [...figures, ...ingestFigures];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cpuProfDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice(11);
  const r = await benchRanks({ quick: !process.argv.includes('--full'), ...(cpuProfDir ? { cpuProfDir } : {}) });
  reportRanks(r);
  writeResult('ranks', r);
}
