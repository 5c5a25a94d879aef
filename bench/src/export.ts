// export: every raw point of a large run out of one all-in-one server (issue
// 14), as Parquet, Arrow and CSV (GET /runs/:run/export), side by side with
// reading the same points through /series pages at raw resolution
// (tier=raw, one bucket per step); the server's RSS before, during (the
// highest sampled every 100 ms) and after each export.
// The run is the ranks bench's (ranks-data.ts: 1,024 ranks × M metrics × S
// steps, made by the engine); quick: 2 metrics × 10,000 steps (20.5M
// points), full: 8 × 12,500 (102.4M).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStepstream, type Proc } from './procs.js';
import { printTable, type Figure } from './report.js';
import { METRICS, PROJECT, RANKS, RUN, pointsOfShape, writeRanksData, type RanksShape } from './ranks-data.js';

const FORMATS = ['parquet', 'arrow', 'csv'] as const;
export const EXPORT_TARGET = 5e6;
/** How much the server's RSS may grow during an export over what it was before: "flat". */
export const RSS_GROWTH_TARGET_MB = 256;

export interface FormatFigures { format: string; seconds: number; bytes: number; pointsPerSec: number; rssMb: { before: number; peak: number; after: number } }

export interface ExportResult {
  workload: string;
  points: number;
  loadSeconds: number;
  formats: FormatFigures[];
  series: { pages: number; points: number; seconds: number; pointsPerSec: number };
}

/** The resident set of a process now (VmRSS), in MB. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** GETs a path, reading the answer as it comes and dropping it; its bytes and newlines counted. */
function drain(url: string, path: string): Promise<{ bytes: number; lines: number; status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, (res) => {
      let bytes = 0, lines = 0, head = '';
      res.on('data', (c: Buffer) => {
        if (bytes < 300) head += c.subarray(0, 300).toString();
        bytes += c.length;
        for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolve({ bytes, lines, status: res.statusCode ?? 0, head }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function exportOnce(ss: Proc, format: string, points: number): Promise<FormatFigures> {
  const pid = ss.proc.pid!;
  const before = rssMb(pid);
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, 100);
  const t0 = performance.now();
  const got = await drain(ss.url, `/v1/projects/${PROJECT}/runs/${RUN}/export?format=${format}`).finally(() => clearInterval(sampler));
  const seconds = (performance.now() - t0) / 1000;
  if (got.status !== 200) throw new Error(`export ${format} answered ${got.status}: ${got.head}`);
  // A CSV line per point and the header: a cut-off export would not pass.
  if (format === 'csv' && got.lines !== points + 1) throw new Error(`the CSV export has ${got.lines - 1} points of ${points}`);
  return { format, seconds, bytes: got.bytes, pointsPerSec: points / seconds, rssMb: { before, peak: Math.max(peak, rssMb(pid)), after: rssMb(pid) } };
}

/** Exports of one format on this shared machine swing 1.5x from run to run: the median of EXPORT_ROUNDS (its RSS the highest seen). */
const EXPORT_ROUNDS = 3;
async function exportMedian(ss: Proc, format: string, points: number): Promise<FormatFigures> {
  const rounds: FormatFigures[] = [];
  for (let i = 0; i < EXPORT_ROUNDS; i++) rounds.push(await exportOnce(ss, format, points));
  rounds.sort((a, b) => a.pointsPerSec - b.pointsPerSec);
  const median = rounds[Math.floor(rounds.length / 2)]!;
  const peak = Math.max(...rounds.map((r) => r.rssMb.peak - r.rssMb.before));
  return { ...median, rssMb: { ...median.rssMb, peak: median.rssMb.before + peak } };
}

/** Every series through /series?tier=raw (one bucket per step), series after series, for at most `budgetS` seconds. */
async function seriesPages(ss: Proc, shape: RanksShape, budgetS: number): Promise<ExportResult['series']> {
  let pages = 0, points = 0;
  const t0 = performance.now();
  outer: for (let m = 0; m < shape.metrics; m++) {
    for (let rank = 0; rank < RANKS; rank++) {
      const path = `/v1/projects/${PROJECT}/runs/${RUN}/series?metric=${encodeURIComponent(METRICS[m]!)}&rank=${rank}&tier=raw&points=100000&from=0&to=${shape.steps}`;
      const res = await fetch(`${ss.url}${path}`);
      const body = (await res.json()) as { count?: number[]; bucket?: number };
      if (res.status !== 200 || body.bucket !== 1) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      points += body.count!.reduce((a, b) => a + b, 0);
      pages++;
      if ((performance.now() - t0) / 1000 > budgetS) break outer;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { pages, points, seconds, pointsPerSec: points / seconds };
}

export async function benchExport(opts: { quick: boolean }): Promise<ExportResult> {
  const shape: RanksShape = opts.quick ? { metrics: 2, steps: 10_000 } : { metrics: 8, steps: 12_500 };
  const points = pointsOfShape(shape);
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-export-'));
  try {
    const data = await writeRanksData(dir, shape);
    const ss = await startStepstream(['--data', dir]);
    try {
      // NOTE: first one small export of each format (the engine's format code
      // paged in), then one whole Arrow export, not timed: the first read of
      // the run grows the engine's caches once (measured: ~+200 MB that stay,
      // whichever format reads first), which is not what an export holds.
      for (const f of FORMATS) await drain(ss.url, `/v1/projects/${PROJECT}/runs/${RUN}/export?format=${f}&ranks=0&to=10`);
      await drain(ss.url, `/v1/projects/${PROJECT}/runs/${RUN}/export?format=arrow`);
      const formats: FormatFigures[] = [];
      for (const f of FORMATS) formats.push(await exportMedian(ss, f, points));
      const series = await seriesPages(ss, shape, opts.quick ? 10 : 30);
      return {
        workload: `one run of ${RANKS} ranks × ${shape.metrics} metrics × ${shape.steps.toLocaleString('en-US')} steps (${(points / 1e6).toFixed(1)}M points), --target all`,
        points, loadSeconds: data.seconds + data.mergeSeconds, formats, series,
      };
    } finally {
      await ss.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportExport(r: ExportResult): Figure[] {
  return printTable(`export: every raw point of a run, streamed (${r.workload})`, [
    ...r.formats.map((f) => ({ figure: `${f.format} export points/s`, value: f.pointsPerSec, unit: 'points/s', target: `≥ ${EXPORT_TARGET.toLocaleString('en-US')}`, met: f.pointsPerSec >= EXPORT_TARGET })),
    ...r.formats.map((f) => ({ figure: `${f.format} export ratio to /series raw pages`, value: f.pointsPerSec / r.series.pointsPerSec, unit: '×' })),
    ...r.formats.map((f) => ({ figure: `${f.format} export size`, value: f.bytes / r.points, unit: 'bytes/point' })),
    { figure: `/series raw pages points/s (${r.series.pages} series of ${Math.round(r.series.points / Math.max(1, r.series.pages))} points)`, value: r.series.pointsPerSec, unit: 'points/s' },
    ...r.formats.map((f) => ({ figure: `${f.format} export: server RSS before / after`, value: f.rssMb.after, unit: `MB (before ${f.rssMb.before.toFixed(0)})` })),
    ...r.formats.map((f) => ({
      figure: `${f.format} export: server RSS growth during (peak ${f.rssMb.peak.toFixed(0)} MB)`, value: f.rssMb.peak - f.rssMb.before, unit: 'MB',
      target: `≤ ${RSS_GROWTH_TARGET_MB} (flat)`, met: f.rssMb.peak - f.rssMb.before <= RSS_GROWTH_TARGET_MB,
    })),
  ], r.workload);
}
