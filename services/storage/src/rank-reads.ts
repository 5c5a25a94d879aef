// Reads across the ranks of one metric (ranks >= 0; rank -1, the run as a
// whole, is never part of them), over a run's effective segments: the band
// (per step bucket: min, max, mean, which rank holds the min and the max, how
// many ranks have points) and the heatmap (step buckets × rank groups).
import { num, type Params, type StoreAdapter } from './adapter.js';
import type { EngineScheduler } from './engine-scheduler.js';
import { OPEN_STEP, levelRanges, segmentUnion, type ReadSegment } from './segments.js';
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

export type HeatmapStat = 'mean' | 'min' | 'max';

export interface HeatmapCell { x: number; row: number; value: number | null }

export class RankReads {
  constructor(private readonly adapter: StoreAdapter, private readonly db: string, private readonly line: EngineScheduler) {}

  /** The band: from the rank rollups where its buckets are finer than a tier's, else from the ranks' tiers. */
  async band(q: RankRead, segs: readonly ReadSegment[]): Promise<RankBand> {
    if (q.source !== 0) return this.bandOverSeries(q, segs);
    const params: Params = { project: q.project };
    return this.readBand(q.project, this.bandFromRankSteps(q, segs, params), params, segs);
  }

  /** The band from every rank's own rows (raw points, or tiers up to `source`): the computation the rank rollups stand in for. */
  async bandOverSeries(q: RankRead, segs: readonly ReadSegment[]): Promise<RankBand> {
    const params: Params = { project: q.project };
    return this.readBand(q.project, segs.length ? this.bandFromSeries(q, segs, params) : '', params, segs);
  }

  private async readBand(project: string, sql: string, params: Params, segs: readonly ReadSegment[]): Promise<RankBand> {
    const out: RankBand = { x: [], min: [], max: [], sum: [], count: [], nonfinite: [], minRank: [], maxRank: [], ranks: [] };
    if (segs.length === 0) return out;
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(sql, params, limit));
    for (const r of rows) {
      out.x.push(Number(r['x'])); out.min.push(finiteOrNull(r['mn'])); out.max.push(finiteOrNull(r['mx']));
      out.sum.push(num(r['s'])); out.count.push(Number(r['c'])); out.nonfinite.push(Number(r['nf']));
      out.minRank.push(finiteOrNull(r['mn_rank'])); out.maxRank.push(finiteOrNull(r['mx_rank'])); out.ranks.push(Number(r['ranks']));
    }
    return out;
  }

  /**
   * The band from the rank rollups (schema-rank-steps.ts): a row per step
   * across ranks, each segment's exact step range of its attempt.
   */
  private bandFromRankSteps(q: RankRead, segs: readonly ReadSegment[], params: Params): string {
    params['metric'] = q.metric;
    const runs = [...new Set(segs.map((s) => s.run))];
    runs.forEach((r, i) => { params[`run${i}`] = r; });
    const arms = segs.flatMap((seg, i) => levelRanges(seg, 1, 0, { lo: q.lo, hi: q.hi }).map(([lo, hi], j) => {
      params[`a${i}`] = seg.attempt;
      const t = [`run = {run${runs.indexOf(seg.run)}:String}`, `attempt = {a${i}:UInt32}`];
      if (lo > -OPEN_STEP) { params[`a${i}r${j}lo`] = BigInt(lo); t.push(`step >= {a${i}r${j}lo:Int64}`); }
      if (hi < OPEN_STEP) { params[`a${i}r${j}hi`] = BigInt(hi); t.push(`step < {a${i}r${j}hi:Int64}`); }
      return `(${t.join(' AND ')})`;
    }));
    if (arms.length === 0) arms.push('false');
    return `SELECT x, mn_.1 AS mn, mx_.1 AS mx, if(isFinite(mn_.1), mn_.2, NULL) AS mn_rank, if(isFinite(mx_.1), -mx_.2, NULL) AS mx_rank,
        s, c, nf, ranks
      FROM (SELECT intDiv(step, ${q.bucket}) * ${q.bucket} AS x, min(mn) AS mn_, max(mx) AS mx_, sum(sum) AS s, sum(count) AS c,
              sum(nonfinite) AS nf, groupBitmapMerge(ranks) AS ranks
            FROM ${this.db}.rank_steps
            WHERE project = {project:String} AND run IN (${runs.map((_, i) => `{run${i}:String}`).join(', ')}) AND metric = {metric:String}
              AND (${arms.join(' OR ')})
            GROUP BY x)
      ORDER BY x`;
  }

  /** The band from every rank's series (raw points and tiers), where its buckets are a tier's. */
  private bandFromSeries(q: RankRead, segs: readonly ReadSegment[], params: Params): string {
    const union = segmentUnion(this.db, segs, q.source, { bucket: q.bucket, byRank: true }, { metric: q.metric, ranked: true }, params, { lo: q.lo, hi: q.hi });
    // NOTE: first per (bucket, rank), then per bucket over at most one row per
    // rank: the rank of the least per-rank min holds the bucket's min, and
    // (value, rank) picks the lowest rank on a tie. In one pass the tuple
    // comparisons ran per point and cost ~5x.
    return `SELECT x, min(rmn) AS mn, max(rmx) AS mx, sum(rs) AS s, sum(rc) AS c, sum(rnf) AS nf,
         if(countIf(isFinite(rmn)) > 0, argMinIf(rank, (rmn, rank), isFinite(rmn)), NULL) AS mn_rank,
         if(countIf(isFinite(rmx)) > 0, argMinIf(rank, (-rmx, rank), isFinite(rmx)), NULL) AS mx_rank,
         count() AS ranks
       FROM (SELECT x, rank, min(mn_) AS rmn, max(mx_) AS rmx, sum(s_) AS rs, sum(c_) AS rc, sum(nf_) AS rnf
             FROM (${union}) GROUP BY x, rank)
       GROUP BY x ORDER BY x`;
  }

  /** Cells of the buckets × rank groups (`group` ranks a row) that hold points. */
  async heatmap(q: RankRead & { group: number; stat: HeatmapStat }, segs: readonly ReadSegment[]): Promise<HeatmapCell[]> {
    if (segs.length === 0) return [];
    const params: Params = { project: q.project, group: q.group };
    const union = segmentUnion(this.db, segs, q.source, { bucket: q.bucket, byRank: true }, { metric: q.metric, ranked: true }, params, { lo: q.lo, hi: q.hi });
    const value = q.stat === 'mean' ? 'if(sum(c_) > sum(nf_), sum(s_) / (sum(c_) - sum(nf_)), NULL)' : q.stat === 'min' ? 'min(mn_)' : 'max(mx_)';
    const rows = await this.line.read(q.project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT x, intDiv(rank, {group:UInt32}) AS row, ${value} AS v FROM (${union}) GROUP BY x, row ORDER BY row, x`, params, limit,
    ));
    return rows.map((r) => ({ x: Number(r['x']), row: Number(r['row']), value: finiteOrNull(r['v']) }));
  }
}
