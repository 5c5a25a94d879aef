// The cross-rank band (/ranks/series) and heatmap (/ranks/heatmap) of issue 12
// in plain TypeScript, over one metric's effective points; the per-rank list
// and stragglers are in rank-list-reference.ts. Written from the text
// alone: ranks >= 0 only, buckets and edges as /series has them.

/** One effective point of the metric. */
export interface RankPoint { rank: number; step: number; value: number }

export interface RangeQuery { from?: number; to?: number; points?: number }

export interface BandAnswer {
  from: number;
  to: number;
  bucket: number;
  x: number[];
  min: (number | null)[];
  max: (number | null)[];
  mean: (number | null)[];
  count: number[];
  nonfinite: number[];
  min_rank: (number | null)[];
  max_rank: (number | null)[];
  ranks: number[];
}

export type HeatmapStat = 'mean' | 'min' | 'max';
export interface HeatmapQuery extends RangeQuery { rows?: number; stat?: HeatmapStat }
export interface HeatmapAnswer { bucket: number; group: number; x: number[]; row_first_rank: number[]; cells: (number | null)[][] }

/** The band's default budget, and the heatmap's defaults. */
export const BAND_POINTS = 1000;
export const HEATMAP_POINTS = 200;
export const HEATMAP_ROWS = 256;

/**
 * The /series bucket rule (docs/api.md): 1 when the range holds no more than
 * `points` steps, else the smallest power of two at least ceil(span / points).
 */
export function seriesBucket(from: number, to: number, points: number): number {
  const span = to - from;
  if (span <= points) return 1;
  const ideal = Math.ceil(span / points);
  let bucket = 1;
  while (bucket < ideal) bucket *= 2;
  return bucket;
}

/** The finite values' min, max and sum, with the lowest rank holding the min and the max. */
export class Extremes {
  count = 0;
  nonfinite = 0;
  finite = 0;
  sum = 0;
  min: number | null = null;
  max: number | null = null;
  minRank: number | null = null;
  maxRank: number | null = null;

  add(p: RankPoint): void {
    this.count++;
    if (!Number.isFinite(p.value)) { this.nonfinite++; return; }
    this.finite++;
    this.sum += p.value;
    if (this.min === null || p.value < this.min || (p.value === this.min && p.rank < this.minRank!)) { this.min = p.value; this.minRank = p.rank; }
    if (this.max === null || p.value > this.max || (p.value === this.max && p.rank < this.maxRank!)) { this.max = p.value; this.maxRank = p.rank; }
  }

  get mean(): number | null {
    return this.finite ? this.sum / this.finite : null;
  }
}

/** The band, the heatmap and the default range of one metric, over its points at ranks >= 0. */
export class BandReference {
  /** Ranks >= 0 only, in step order (equal steps by rank). */
  private readonly byStep: RankPoint[];

  constructor(points: readonly RankPoint[]) {
    this.byStep = points.filter((p) => p.rank >= 0).sort((a, b) => a.step - b.step || a.rank - b.rank);
  }

  /** False when only rank -1 has the metric: every cross-rank read answers 404. */
  exists(): boolean {
    return this.byStep.length > 0;
  }

  /** The range used: as given, else the lowest step to one past the highest, over ranks >= 0. */
  range(q: { from?: number; to?: number }): { from: number; to: number } {
    if (!this.exists()) throw new Error('no points at ranks >= 0 (a 404)');
    const from = q.from ?? this.byStep[0]!.step;
    const to = q.to ?? this.byStep.at(-1)!.step + 1;
    if (!(to > from)) throw new RangeError(`empty range [${from}, ${to}): the issue names no answer for it`);
    return { from, to };
  }

  /** The points whose step lies in [lo, hi). */
  private between(lo: number, hi: number): RankPoint[] {
    return this.byStep.slice(lowerBound(this.byStep, lo), lowerBound(this.byStep, hi));
  }

  /** Buckets of width `bucket` aligned to its multiples, meeting [from, to), holding points: whole, edges included. */
  private buckets(from: number, to: number, bucket: number): Map<number, RankPoint[]> {
    const out = new Map<number, RankPoint[]>();
    for (const p of this.between(Math.floor(from / bucket) * bucket, Math.ceil(to / bucket) * bucket)) {
      const x = Math.floor(p.step / bucket) * bucket;
      let list = out.get(x);
      if (!list) out.set(x, (list = []));
      list.push(p);
    }
    return out;
  }

  /** GET /ranks/series (the answer's `metric` left out). */
  band(q: RangeQuery = {}): BandAnswer {
    const { from, to } = this.range(q);
    const bucket = seriesBucket(from, to, q.points ?? BAND_POINTS);
    const a: BandAnswer = { from, to, bucket, x: [], min: [], max: [], mean: [], count: [], nonfinite: [], min_rank: [], max_rank: [], ranks: [] };
    for (const [x, list] of this.buckets(from, to, bucket)) {
      const e = new Extremes();
      for (const p of list) e.add(p);
      a.x.push(x);
      a.min.push(e.min);
      a.max.push(e.max);
      a.mean.push(e.mean);
      a.count.push(e.count);
      a.nonfinite.push(e.nonfinite);
      a.min_rank.push(e.minRank);
      a.max_rank.push(e.maxRank);
      a.ranks.push(new Set(list.map((p) => p.rank)).size);
    }
    return a;
  }

  /** R: one more than the highest rank >= 0 with a point of the metric (any step, not only the range's). */
  rankCount(): number {
    let highest = -1;
    for (const p of this.byStep) highest = Math.max(highest, p.rank);
    return highest + 1;
  }

  /** GET /ranks/heatmap (the answer's `metric` left out). */
  heatmap(q: HeatmapQuery = {}): HeatmapAnswer {
    const { from, to } = this.range(q);
    const bucket = seriesBucket(from, to, q.points ?? HEATMAP_POINTS);
    const R = this.rankCount();
    const group = Math.ceil(R / (q.rows ?? HEATMAP_ROWS));
    const rows = Math.ceil(R / group);
    const columns = this.buckets(from, to, bucket);
    const x = [...columns.keys()];
    const cells = Array.from({ length: rows }, () => x.map(() => new Extremes()));
    x.forEach((col, c) => {
      for (const p of columns.get(col)!) cells[Math.floor(p.rank / group)]![c]!.add(p);
    });
    const stat = q.stat ?? 'mean';
    return {
      bucket, group, x,
      row_first_rank: Array.from({ length: rows }, (_, i) => i * group),
      cells: cells.map((row) => row.map((e) => e[stat])),
    };
  }
}

/** The first index whose step is at least `step` (the points in step order). */
export function lowerBound(points: readonly RankPoint[], step: number): number {
  let lo = 0, hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.step < step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
