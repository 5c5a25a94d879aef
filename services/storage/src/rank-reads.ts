// Reads across the ranks of one metric (ranks >= 0; rank -1, the run as a
// whole, is never part of them), over a run's effective segments: the band
// (per step bucket: min, max, mean, which rank holds the min and the max, how
// many ranks have points) and the heatmap (step buckets × rank groups).
import { WITH_JIT, num, type Params, type StoreAdapter } from './adapter.js';
import type { EngineScheduler } from './engine-scheduler.js';
import { segmentArms, segmentUnion, type ReadSegment } from './segments.js';
import { finiteOrNull } from './series-columns.js';

export interface RankRead {
  project: string;
  metric: string;
  /** Bucket width of the answer (a power of two). */
  bucket: number;
  /** 0 = raw points, else the coarsest tier to merge from. */
  source: number;
  /** Aligned, whole-bucket step range [lo, hi). */
  lo: number;
  hi: number;
}

/** The band, a value per bucket; min/max/min_rank/max_rank null where a bucket holds no finite value. */
export interface RankBand {
  x: number[]; min: (number | null)[]; max: (number | null)[]; sum: number[]; count: number[]; nonfinite: number[];
  minRank: (number | null)[]; maxRank: (number | null)[]; ranks: number[];
}

/** The band of a band statement's rows (x, mn, mx, s, c, nf, mn_rank, mx_rank, nranks). */
function bandOf(rows: readonly Record<string, unknown>[]): RankBand {
  const out: RankBand = { x: [], min: [], max: [], sum: [], count: [], nonfinite: [], minRank: [], maxRank: [], ranks: [] };
  for (const r of rows) {
    out.x.push(Number(r['x'])); out.min.push(finiteOrNull(r['mn'])); out.max.push(finiteOrNull(r['mx']));
    out.sum.push(num(r['s'])); out.count.push(Number(r['c'])); out.nonfinite.push(Number(r['nf']));
    out.minRank.push(finiteOrNull(r['mn_rank'])); out.maxRank.push(finiteOrNull(r['mx_rank'])); out.ranks.push(Number(r['nranks']));
  }
  return out;
}

/** Steps a band reads from which its ranks are picked as packed Int128s (rankOfLeast): below, the tuples cost less. */
const PACKED_FROM_STEPS = 32_768;

/**
 * The rank of the least (value, rank) pair of a group's rows. Over a wide
 * range, as the least of one Int128 per row: the value's bits mapped to an
 * Int64 in the value's order (negatives' bits flipped but the sign), above the
 * rank (>= 0, 32 bits); -0 is made +0 first, so it ties with 0 as the tuple
 * does, and a value is never NaN here (the rollup holds ±inf where no value
 * is finite). NOTE: measured in the engine over a 100,000-step band: the
 * statement 58 -> 44 ms (the two ranks alone 63-84 -> 35-47 ms); over 100
 * steps the longer expression cost ~3 ms more to prepare than it saved.
 */
function rankOfLeast(value: string, rank: string, steps: number): string {
  if (steps < PACKED_FROM_STEPS) return `argMin(${rank}, (${value}, ${rank}))`;
  const v = `(${value} + 0)`;
  const ordered = `bitXor(reinterpretAsInt64(${v}), if(${v} < 0, toInt64(9223372036854775807), toInt64(0)))`;
  return `toInt32(bitAnd(min(bitShiftLeft(toInt128(${ordered}), 32) + ${rank}), 4294967295))`;
}

export type HeatmapStat = 'mean' | 'min' | 'max';

/** The cells of a heatmap that hold points, as columns: step bucket, row, and the stat (NaN where no value is finite). */
export interface HeatmapCells { x: Float64Array; row: Float64Array; value: Float64Array }

const NO_CELLS: HeatmapCells = { x: new Float64Array(0), row: new Float64Array(0), value: new Float64Array(0) };

export class RankReads {
  constructor(private readonly adapter: StoreAdapter, private readonly db: string, private readonly line: EngineScheduler) {}

  /**
   * The band from the rollup across ranks (schema-ranks.ts): a row per step
   * and write set, so every bucket is whole at any width, and a segment's
   * rows are exactly those of its attempt in its step range.
   */
  async band(q: RankRead, segs: readonly ReadSegment[]): Promise<RankBand> {
    if (segs.length === 0) return bandOf([]);
    const runs = [...new Set(segs.map((s) => s.run))];
    const params: Params = { project: q.project, metric: q.metric };
    runs.forEach((r, i) => { params[`run${i}`] = r; });
    const arms = segmentArms(segs, runs, 1, 0, { lo: q.lo, hi: q.hi }, params);
    if (arms.length === 0) return bandOf([]);
    // The arms hold each segment's step range clipped to [lo, hi).
    // NOTE: the least (value, rank) pair picks the lowest rank on a tie; -max
    // makes the highest max the least. A row without a finite value holds
    // ±inf, which any finite one beats.
    const rows = await this.line.read(q.project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT intDiv(step, ${q.bucket}) * ${q.bucket} AS x, min(min) AS mn, max(max) AS mx, sum(sum) AS s, sum(count) AS c, sum(nonfinite) AS nf,
         if(isFinite(mn), ${rankOfLeast('min', 'min_rank', q.hi - q.lo)}, NULL) AS mn_rank,
         if(isFinite(mx), ${rankOfLeast('-max', 'max_rank', q.hi - q.lo)}, NULL) AS mx_rank,
         arraySum(arrayMap(w -> bitCount(w), groupBitOrForEach(ranks))) + length(groupUniqArrayArray(ranks_high)) AS nranks
       FROM ${this.db}.rank_steps
       WHERE project = {project:String} AND run IN (${runs.map((_, i) => `{run${i}:String}`).join(', ')}) AND metric = {metric:String}
         AND (${arms.join(' OR ')})
       GROUP BY x ORDER BY x`, params, limit,
    ));
    return bandOf(rows);
  }

  /**
   * The same band from the points (raw, or the per-rank tiers up to
   * `source`), per (bucket, rank) first: the benchmark's baseline and the
   * tests' second opinion of the rollup across ranks.
   */
  async bandFromPoints(q: RankRead, segs: readonly ReadSegment[]): Promise<RankBand> {
    if (segs.length === 0) return bandOf([]);
    const params: Params = { project: q.project };
    const union = segmentUnion(this.db, segs, q.source, { bucket: q.bucket, byRank: true }, { metric: q.metric, ranked: true }, params, { lo: q.lo, hi: q.hi });
    // NOTE: first per (bucket, rank), then per bucket over at most one row per
    // rank: the rank of the least per-rank min holds the bucket's min, and
    // (value, rank) picks the lowest rank on a tie. In one pass the tuple
    // comparisons ran per point and cost ~5x.
    const rows = await this.line.read(q.project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT x, min(rmn) AS mn, max(rmx) AS mx, sum(rs) AS s, sum(rc) AS c, sum(rnf) AS nf,
         if(countIf(isFinite(rmn)) > 0, argMinIf(rank, (rmn, rank), isFinite(rmn)), NULL) AS mn_rank,
         if(countIf(isFinite(rmx)) > 0, argMinIf(rank, (-rmx, rank), isFinite(rmx)), NULL) AS mx_rank,
         count() AS nranks
       FROM (SELECT x, rank, min(mn_) AS rmn, max(mx_) AS rmx, sum(s_) AS rs, sum(c_) AS rc, sum(nf_) AS rnf
             FROM (${union}) GROUP BY x, rank)
       GROUP BY x ORDER BY x`, params, { ...limit, ...WITH_JIT },
    ));
    return bandOf(rows);
  }

  /**
   * Cells of the buckets × rank groups (`group` ranks a row) that hold
   * points, ordered by row, then bucket. NOTE: read as columns (the engine's
   * Native format): 256 rows × 125 buckets as JSON rows cost ~35 ms more of
   * a ~200 ms statement.
   */
  async heatmap(q: RankRead & { group: number; stat: HeatmapStat }, segs: readonly ReadSegment[]): Promise<HeatmapCells> {
    if (segs.length === 0) return NO_CELLS;
    const params: Params = { project: q.project, group: q.group };
    const union = segmentUnion(this.db, segs, q.source, { bucket: q.bucket, byRank: true }, { metric: q.metric, ranked: true }, params, { lo: q.lo, hi: q.hi });
    const value = q.stat === 'mean' ? 'if(sum(c_) > sum(nf_), sum(s_) / (sum(c_) - sum(nf_)), nan)' : q.stat === 'min' ? 'min(mn_)' : 'max(mx_)';
    const c = await this.line.read(q.project, (limit) => this.adapter.queryColumns(
      `SELECT toFloat64(x) AS x, toFloat64(intDiv(rank, {group:UInt32})) AS row, toFloat64(${value}) AS v FROM (${union}) GROUP BY x, row ORDER BY row, x`,
      params, { ...limit, ...WITH_JIT },
    ));
    return { x: c['x'] ?? NO_CELLS.x, row: c['row'] ?? NO_CELLS.row, value: c['v'] ?? NO_CELLS.value };
  }
}
