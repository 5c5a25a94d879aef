// Figures over per-rank summaries: the per-rank list's sort and the robust
// straggler score. Pure: docs/api.md's formulas and nothing else.
import type { SeriesSummaryRow } from '@stepstream/storage';

export type RankSort = 'mean' | 'max' | 'min' | 'last' | 'count';

/** The mean of a rank's finite values; null without any (or when read without sums). */
export function meanOf(r: SeriesSummaryRow): number | null {
  const finite = r.count - r.nonfinite;
  return finite > 0 && r.sum !== null ? r.sum / finite : null;
}

const key = (r: SeriesSummaryRow, sort: RankSort): number | null => {
  switch (sort) {
    case 'mean': return meanOf(r);
    case 'max': return r.max;
    case 'min': return r.min;
    case 'count': return r.count;
    case 'last': return Number.isNaN(r.last) ? null : r.last;
  }
};

/**
 * Rows by `sort` (`order` desc or asc), ties by rank ascending, a null key
 * last either way; without `sort`, by rank. NOTE: `last` may be ±Infinity,
 * which sorts as a number; NaN has no order and sorts as a null key.
 */
export function sortRanks(rows: readonly SeriesSummaryRow[], sort: RankSort | undefined, order: 'asc' | 'desc'): SeriesSummaryRow[] {
  const byRank = [...rows].sort((a, b) => a.rank - b.rank);
  if (!sort) return byRank;
  const sign = order === 'asc' ? 1 : -1;
  return byRank.map((r) => ({ r, k: key(r, sort) })).sort((a, b) => {
    if (a.k === null || b.k === null) return a.k === null ? (b.k === null ? a.r.rank - b.r.rank : 1) : -1;
    return a.k === b.k ? a.r.rank - b.r.rank : (a.k < b.k ? -1 : 1) * sign;
  }).map((x) => x.r);
}

export interface Straggler { rank: number; mean: number; score: number | null }

function median(sorted: readonly number[]): number {
  const n = sorted.length, mid = n >> 1;
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Ranks whose mean lies more than `k` robust deviations from the median of
 * all ranks' means: score = (mean - median) / (1.4826 · MAD), listed when
 * |score| > k, largest |score| first, ties by rank. With MAD 0 every rank off
 * the median is listed with a null score, largest |mean - median| first.
 */
export function stragglers(means: readonly { rank: number; mean: number }[], k: number): { median: number | null; mad: number | null; ranks: Straggler[] } {
  if (means.length === 0) return { median: null, mad: null, ranks: [] };
  const med = median(means.map((m) => m.mean).sort((a, b) => a - b));
  const mad = median(means.map((m) => Math.abs(m.mean - med)).sort((a, b) => a - b));
  const off = means.map((m) => ({ ...m, dev: Math.abs(m.mean - med) }));
  const listed = mad === 0
    ? off.filter((m) => m.dev > 0).map((m) => ({ ...m, score: null as number | null, by: m.dev }))
    : off.map((m) => ({ ...m, score: (m.mean - med) / (1.4826 * mad), by: 0 })).map((m) => ({ ...m, by: Math.abs(m.score!) })).filter((m) => m.by > k);
  listed.sort((a, b) => (b.by - a.by) || (a.rank - b.rank));
  return { median: med, mad, ranks: listed.map(({ rank, mean, score }) => ({ rank, mean, score })) };
}
