// The cross-rank answers as the API sends them, and the ranks bench's checks
// of them: the band equal to the store's band over raw points, and the
// injected straggler found by the heatmap, the per-rank list and /stragglers.
import type { RankBand } from '@stepstream/storage';
import { METRICS, NAN_AT, RANKS, STRAGGLER, type RanksShape } from './ranks-data.js';

export interface BandAnswer {
  metric: string; from: number; to: number; bucket: number; x: number[];
  min: (number | null)[]; max: (number | null)[]; mean: (number | null)[]; count: number[]; nonfinite: number[];
  min_rank: (number | null)[]; max_rank: (number | null)[]; ranks: number[];
}
export interface HeatmapAnswer { metric: string; bucket: number; group: number; x: number[]; row_first_rank: number[]; cells: (number | null)[][] }
export interface RankListAnswer { metric: string; ranks: { rank: number; count: number; mean: number | null }[] }
export interface StragglersAnswer { metric: string; median: number | null; mad: number | null; ranks: { rank: number; mean: number; score: number | null }[] }
export interface RunDetailAnswer { attempts: number; metrics: { name: string; ranks: number; count: number; nonfinite: number }[] }

const fail = (what: string, msg: string): never => { throw new Error(`ranks bench: ${what}: ${msg}`); };

/** Throws unless the route's band equals the store's band read from raw points (mean within 1e-9 relative). */
export function compareBandWithRaw(what: string, a: BandAnswer, raw: RankBand): void {
  if (a.x.length !== raw.x.length) fail(what, `${a.x.length} buckets vs ${raw.x.length} from raw points`);
  const pairs: [string, readonly unknown[], readonly unknown[]][] = [
    ['x', a.x, raw.x], ['min', a.min, raw.min], ['max', a.max, raw.max], ['count', a.count, raw.count], ['nonfinite', a.nonfinite, raw.nonfinite],
    ['min_rank', a.min_rank, raw.minRank], ['max_rank', a.max_rank, raw.maxRank], ['ranks', a.ranks, raw.ranks],
  ];
  for (const [k, p, q] of pairs) for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) fail(what, `${k}[${i}] (x=${a.x[i]}): ${p[i]} vs ${q[i]} from raw points`);
  for (let i = 0; i < a.mean.length; i++) {
    const finite = raw.count[i]! - raw.nonfinite[i]!;
    const m = a.mean[i] ?? null, r = finite > 0 ? raw.sum[i]! / finite : null;
    if (m === null || r === null ? m !== r : Math.abs(m - r) > 1e-9 * Math.max(Math.abs(m), Math.abs(r))) fail(what, `mean[${i}]: ${m} vs ${r} from raw points`);
  }
}

/** The full-range band counts every point of every rank, and the one NaN of the metric. */
export function checkBandTotals(what: string, a: BandAnswer, shape: RanksShape): void {
  const count = a.count.reduce((s, c) => s + c, 0), nf = a.nonfinite.reduce((s, c) => s + c, 0);
  if (count !== RANKS * shape.steps || nf !== (NAN_AT.step < shape.steps ? 1 : 0)) fail(what, `counts ${count} points, ${nf} non-finite; loaded ${RANKS * shape.steps}, 1`);
  if (a.ranks.some((r) => r !== RANKS)) fail(what, `a bucket with fewer than ${RANKS} ranks`);
}

/** The heatmap has 256 rows of 4 ranks, and the straggler's row holds the largest cell of the last column. */
export function checkHeatmap(what: string, h: HeatmapAnswer, rows: number): void {
  if (h.row_first_rank.length !== rows || h.group !== RANKS / rows) fail(what, `${h.row_first_rank.length} rows of ${h.group} ranks`);
  const col = h.x.length - 1;
  let top = 0;
  h.cells.forEach((row, i) => { if ((row[col] ?? -Infinity) > (h.cells[top]![col] ?? -Infinity)) top = i; });
  if (top !== Math.floor(STRAGGLER.rank / h.group)) fail(what, `the largest cell of the last column is row ${top}, not the straggler's`);
}

/** The straggler leads the per-rank list by mean (with `limit` entries) and /stragglers. */
export function checkStraggler(what: string, list: RankListAnswer | null, found: StragglersAnswer | null, limit: number): void {
  if (list && (list.ranks.length !== limit || list.ranks[0]?.rank !== STRAGGLER.rank)) fail(what, `the list has ${list.ranks.length} ranks, rank ${list.ranks[0]?.rank} first`);
  if (found && found.ranks[0]?.rank !== STRAGGLER.rank) fail(what, `stragglers ${JSON.stringify(found.ranks.slice(0, 3))}`);
}

/** The run detail lists every metric over every rank's every step. */
export function checkDetail(what: string, d: RunDetailAnswer, shape: RanksShape): void {
  const names = METRICS.slice(0, shape.metrics);
  if (d.metrics.length !== names.length) fail(what, `${d.metrics.length} metrics, loaded ${names.length}`);
  for (const m of d.metrics) if (!names.includes(m.name as (typeof names)[number]) || m.ranks !== RANKS || m.count !== RANKS * shape.steps) fail(what, `metric ${JSON.stringify(m)}`);
}
