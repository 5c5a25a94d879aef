// A run's series summaries over its effective history, for the run list, the
// run detail and the ranks view. An attempt whose every point counts is read
// from the stored summaries each time (it may still be growing). An attempt
// cut by a later one, or by a fork step, needs its points up to the cut: read
// from the tiers and from raw points at the cut, which for a run of thousands
// of series costs far more than a summary, so it is computed once and kept
// while the attempt's stored point count stays the same (docs/storage.md).
import { wholeAttempt, type LineageReads, type ReadSegment, type SegmentFilter, type SeriesSummaryRow } from '@stepstream/storage';
import type { Lineage } from './lineage.js';
import { addSummary } from './run-summaries.js';

/** Series rows the cache holds at most (~100 bytes each); the entry used longest ago goes first. */
export const CUT_SUMMARY_ROWS = 500_000;

interface Entry { points: number; rows: SeriesSummaryRow[] }

export class EffectiveSummaries {
  private readonly cache = new Map<string, Entry>();
  private rows = 0;

  constructor(private readonly lineage: Pick<LineageReads, 'summaries' | 'summariesBySegment' | 'rawAgreesWithTier'>, private readonly maxRows = CUT_SUMMARY_ROWS) {}

  /** Every series of the run (or of one metric), sorted by metric and rank; series without effective points left out. */
  async of(project: string, l: Lineage, filter: SegmentFilter = {}): Promise<SeriesSummaryRow[]> {
    const whole = l.read.filter(wholeAttempt), cut = l.read.filter((s) => !wholeAttempt(s));
    const parts: SeriesSummaryRow[][] = [];
    if (whole.length) parts.push(await this.lineage.summaries(project, whole, filter));
    for (const rows of await this.cut(project, l, cut)) {
      parts.push(filter.metric === undefined ? rows : rows.filter((r) => r.metric === filter.metric && (filter.rank === undefined || r.rank === filter.rank)));
    }
    return mergeSummaries(parts);
  }

  /**
   * The cut attempts' series over their segments: those remembered with the
   * point count their attempt still has (read before the summary), the others
   * read together and remembered; one list of rows per segment, in no
   * particular order (rows of count 0 included).
   */
  async cut(project: string, l: Lineage, segs: readonly ReadSegment[]): Promise<SeriesSummaryRow[][]> {
    const key = (seg: ReadSegment) => JSON.stringify([project, seg.run, seg.attempt, seg.from, seg.to, seg.wideFrom, seg.wideTo]);
    const points = (seg: ReadSegment) => l.points.get(`${seg.run}\u0000${seg.attempt}`) ?? 0;
    const out: SeriesSummaryRow[][] = [];
    const missing: ReadSegment[] = [];
    for (const seg of segs) {
      const hit = this.cache.get(key(seg));
      if (hit && hit.points === points(seg)) {
        this.cache.delete(key(seg));
        this.cache.set(key(seg), hit);
        out.push(hit.rows);
      } else missing.push(seg);
    }
    if (missing.length === 0) return out;
    // NOTE: the segments missing are read together, in one pass over the
    // run's points at every cut (a read per segment read them once each).
    const read = await this.lineage.summariesBySegment(project, missing);
    // A write set's points and tier rows land apart; while only one of them
    // has, the summary may hold part of it: answer it, do not keep it.
    const keep = await this.lineage.rawAgreesWithTier(project, missing);
    for (const seg of missing) {
      const rows = read.get(seg) ?? [];
      if (keep) this.remember(key(seg), { points: points(seg), rows });
      out.push(rows);
    }
    return out;
  }

  private remember(key: string, entry: Entry): void {
    const old = this.cache.get(key);
    if (old) { this.rows -= old.rows.length; this.cache.delete(key); }
    if (entry.rows.length > this.maxRows) return;
    this.cache.set(key, entry);
    this.rows += entry.rows.length;
    for (const [k, e] of this.cache) {
      if (this.rows <= this.maxRows) break;
      this.cache.delete(k);
      this.rows -= e.rows.length;
    }
  }
}

/** The rows of disjoint step ranges merged per (metric, rank): counts add, the last is the one at the highest step. */
export function mergeSummaries(parts: readonly (readonly SeriesSummaryRow[])[]): SeriesSummaryRow[] {
  if (parts.length === 1) return parts[0]!.filter((r) => r.count > 0);
  const by = new Map<string, SeriesSummaryRow>();
  for (const rows of parts) {
    for (const r of rows) {
      if (r.count === 0) continue;
      const key = `${r.metric}\u0000${r.rank}`;
      const m = by.get(key);
      if (!m) { by.set(key, { ...r }); continue; }
      m.sum = m.sum === null || r.sum === null ? null : m.sum + r.sum;
      addSummary(m, r);
    }
  }
  return [...by.values()].sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : a.rank - b.rank));
}
