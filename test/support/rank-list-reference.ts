// The per-rank list (/ranks with window, sort, order and limit) and the
// stragglers (/ranks/stragglers) of issue 12 in plain TypeScript, over one
// metric's effective points. Written from the text alone.
import { jsonNumber } from './lineage-summaries.js';
import { Extremes, lowerBound, type RankPoint } from './ranks-reference.js';

/** Steps [from, to); either end may be open. */
export interface Window { from?: number; to?: number }
export type SortKey = 'mean' | 'max' | 'min' | 'last' | 'count';
export type Order = 'desc' | 'asc';
export interface ListQuery extends Window { sort?: SortKey; order?: Order; limit?: number }

export interface RankEntry {
  rank: number;
  first_step: number;
  last_step: number;
  count: number;
  nonfinite: number;
  /** The value at the rank's highest step in the window, as JSON carries it (NaN and ±Infinity as strings). */
  last: number | string;
  min: number | null;
  max: number | null;
  mean: number | null;
}

export interface Straggler { rank: number; mean: number; score: number | null }
export interface StragglersAnswer { median: number; mad: number; ranks: Straggler[] }

export const STRAGGLER_K = 3.5;
/** MAD times this estimates a standard deviation for normal data. */
export const MAD_SCALE = 1.4826;

interface RankFigures { entry: RankEntry; last: number; finiteMean: number | null }

export class RankListReference {
  /** Every rank, -1 included, in step order (equal steps in the order given). */
  private readonly byStep: RankPoint[];
  /** Figures by window: a test asks for one window many times. */
  private readonly memo = new Map<string, RankFigures[]>();

  constructor(points: readonly RankPoint[]) {
    this.byStep = points.slice().sort((a, b) => a.step - b.step);
  }

  private inWindow(w: Window): RankPoint[] {
    const lo = w.from === undefined ? 0 : lowerBound(this.byStep, w.from);
    const hi = w.to === undefined ? this.byStep.length : lowerBound(this.byStep, w.to);
    return this.byStep.slice(lo, hi);
  }

  /** Each rank's figures over the window's points, in rank order; ranks without a point in it left out. A fresh array. */
  private figures(w: Window): RankFigures[] {
    const key = `${w.from ?? ''}|${w.to ?? ''}`;
    let figures = this.memo.get(key);
    if (!figures) this.memo.set(key, (figures = this.compute(w)));
    return figures.slice();
  }

  private compute(w: Window): RankFigures[] {
    const byRank = new Map<number, RankPoint[]>();
    for (const p of this.inWindow(w)) {
      let list = byRank.get(p.rank);
      if (!list) byRank.set(p.rank, (list = []));
      list.push(p);
    }
    return [...byRank].sort((a, b) => a[0] - b[0]).map(([rank, list]) => {
      const e = new Extremes();
      for (const p of list) e.add(p);
      // In step order: the last point is at the highest step.
      const last = list.at(-1)!;
      return {
        entry: { rank, first_step: list[0]!.step, last_step: last.step, count: e.count, nonfinite: e.nonfinite, last: jsonNumber(last.value), min: e.min, max: e.max, mean: e.mean },
        last: last.value,
        finiteMean: e.mean,
      };
    });
  }

  private static key(f: RankFigures, sort: SortKey): number | null {
    if (sort === 'last') return f.last;
    if (sort === 'count') return f.entry.count;
    return f.entry[sort];
  }

  /** The key an entry is sorted by (null sorts last), for the checker's tolerance on float keys. */
  static sortKeyOf(e: RankEntry, sort: SortKey): number | null {
    if (sort === 'last') return typeof e.last === 'number' ? e.last : Number(e.last);
    return e[sort];
  }

  /**
   * True when sorting by `last` meets a NaN: the issue orders null keys
   * (last in either order) but names no place for NaN, so such a list is not checked.
   */
  unorderable(q: ListQuery): boolean {
    return q.sort === 'last' && this.figures(q).some((f) => Number.isNaN(f.last));
  }

  /** GET /ranks: rank order without `sort`; sorted by key (`order` desc by default), ties by rank ascending, null keys last; then the limit. */
  list(q: ListQuery = {}): RankEntry[] {
    const all = this.figures(q);
    const sort = q.sort;
    if (sort !== undefined) {
      const desc = (q.order ?? 'desc') === 'desc';
      all.sort((a, b) => {
        const ka = RankListReference.key(a, sort), kb = RankListReference.key(b, sort);
        if (ka === null || kb === null) return ka === kb ? a.entry.rank - b.entry.rank : ka === null ? 1 : -1;
        if (Number.isNaN(ka) || Number.isNaN(kb)) throw new Error('a NaN key: the issue names no order for it (see unorderable)');
        if (ka !== kb) return (ka < kb) === desc ? 1 : -1;
        return a.entry.rank - b.entry.rank;
      });
    }
    const entries = all.map((f) => f.entry);
    return q.limit === undefined ? entries : entries.slice(0, q.limit);
  }

  /** GET /ranks/stragglers (the answer's `metric` left out), over ranks >= 0 with a finite point in the window. */
  stragglers(q: Window & { k?: number } = {}): StragglersAnswer {
    const means = this.figures(q)
      .filter((f) => f.entry.rank >= 0 && f.finiteMean !== null)
      .map((f) => ({ rank: f.entry.rank, mean: f.finiteMean! }));
    if (means.length === 0) throw new Error('no rank >= 0 has a finite point in the window: the issue names no answer for it');
    const m = median(means.map((r) => r.mean));
    const mad = median(means.map((r) => Math.abs(r.mean - m)));
    const byDistance = (a: Straggler, b: Straggler) => Math.abs(b.mean - m) - Math.abs(a.mean - m) || a.rank - b.rank;
    if (mad === 0) {
      // Every rank off the median, whatever k: no scale to score it by.
      return { median: m, mad, ranks: means.filter((r) => r.mean !== m).map((r) => ({ ...r, score: null })).sort(byDistance) };
    }
    const k = q.k ?? STRAGGLER_K;
    const scored = means.map((r) => ({ ...r, score: (r.mean - m) / (MAD_SCALE * mad) }));
    return { median: m, mad, ranks: scored.filter((r) => Math.abs(r.score) > k).sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.rank - b.rank) };
  }
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
