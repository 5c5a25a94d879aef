// A run's series summaries over its effective history, for the run list, the
// run detail and the ranks view. An attempt whose every point counts is read
// from the stored summaries each time (it may still be growing). An attempt
// cut by a later one, or by a fork step, needs its points up to the cut: read
// from the tiers and from raw points at the cut, which for a run of thousands
// of series costs far more than a summary, so it is computed once and kept
// while the attempt's stored point count stays the same (docs/storage.md).
import { wholeAttempt, type LineageReads, type ReadSegment, type SegmentFilter, type SeriesSummaryRow } from '@stepstream/storage';
import type { Lineage } from './lineage.js';
import { addSummary, metricSummaries, type MetricSummary } from './run-summaries.js';

/** Series rows the cache holds at most (~100 bytes each); the entry used longest ago goes first. */
export const CUT_SUMMARY_ROWS = 500_000;

/** Runs whose cut attempts' series are also kept merged, and the most rows such a run may have. */
const MERGED_RUNS = 256, MERGED_ROWS = 100_000;

interface Entry { points: number; rows: SeriesSummaryRow[] }

const segmentKey = (project: string, seg: ReadSegment) => JSON.stringify([project, seg.run, seg.attempt, seg.from, seg.to, seg.wideFrom, seg.wideTo]);
/** The stored points of a segment's attempt as the lineage read them: what a kept entry is valid for. */
const pointsOf = (l: Lineage, seg: ReadSegment) => l.points.get(`${seg.run}\u0000${seg.attempt}`) ?? 0;
/** The segments of a lineage whose attempt is cut by a later one (or a fork step): the costly ones, kept here. */
const cutSegments = (l: Lineage) => l.read.filter((s) => !wholeAttempt(s));
const cutKey = (project: string, l: Lineage, segs: readonly ReadSegment[]) => JSON.stringify(segs.map((s) => [segmentKey(project, s), pointsOf(l, s)]));
/** Moves a kept entry to the end of its map: the one used longest ago is the first. */
function touch<V>(m: Map<string, V>, key: string, v: V): void {
  m.delete(key);
  m.set(key, v);
}

export class EffectiveSummaries {
  private readonly cache = new Map<string, Entry>();
  private readonly merged = new Map<string, SeriesSummaryRow[]>();
  /** Merges being read, by their key: a read that needs one being read waits for it instead of reading it again. */
  private readonly reading = new Map<string, Promise<SeriesSummaryRow[]>>();
  private rows = 0;
  /** Reads of cut segments' summaries made so far (the costly reads the cache saves). */
  cutReads = 0;

  constructor(private readonly lineage: Pick<LineageReads, 'summaries' | 'summariesBySegment' | 'rawAgreesWithTier' | 'metricSummaries'>, private readonly maxRows = CUT_SUMMARY_ROWS) {}

  /**
   * Each metric of the run over its ranks (the run detail). NOTE: without cut
   * attempts, merged in the engine (a row per metric, not per series: 8,192
   * series' rows were ~40 of a ~60 ms read); with them, from their kept
   * summaries, here.
   */
  async metrics(project: string, l: Lineage): Promise<MetricSummary[]> {
    return cutSegments(l).length === 0 ? this.lineage.metricSummaries(project, l.read) : metricSummaries(await this.of(project, l));
  }

  /** Every series of the run (or of one metric), sorted by metric and rank; series without effective points left out. */
  async of(project: string, l: Lineage, filter: SegmentFilter = {}): Promise<SeriesSummaryRow[]> {
    const whole = l.read.filter(wholeAttempt), cut = cutSegments(l);
    const parts: SeriesSummaryRow[][] = [];
    if (whole.length) parts.push(await this.lineage.summaries(project, whole, filter));
    if (cut.length) {
      const rows = await this.cutMerged(project, l, cut);
      parts.push(filter.metric === undefined ? rows : rows.filter((r) => r.metric === filter.metric && (filter.rank === undefined || r.rank === filter.rank)));
    }
    return mergeSummaries(parts);
  }

  /**
   * Reads and keeps what the first read of `l` over its whole history would
   * (its cut attempts' summaries, the costly part), unless kept already.
   * Whether they are kept afterwards: not while a write set has landed in part.
   */
  async warm(project: string, l: Lineage): Promise<boolean> {
    if (!this.isWarm(project, l)) await this.cutMerged(project, l, cutSegments(l));
    return this.isWarm(project, l);
  }

  /** Whether the cache has room to read runs ahead (less than half of it used): warming must never evict what it warmed. */
  hasRoom(): boolean { return this.rows < this.maxRows / 2; }

  /** What a read of `l`'s whole history would keep is for: its cut segments and their attempts' point counts. */
  warmKey(project: string, l: Lineage): string { return cutKey(project, l, cutSegments(l)); }

  /** Whether a read of `l`'s whole history would find its cut attempts' summaries kept. */
  isWarm(project: string, l: Lineage): boolean {
    return this.kept(project, l, cutSegments(l));
  }

  /** Whether each segment's own summary is kept, for the point count its attempt has now. */
  private kept(project: string, l: Lineage, segs: readonly ReadSegment[]): boolean {
    return segs.every((s) => this.cache.get(segmentKey(project, s))?.points === pointsOf(l, s));
  }

  /**
   * The cut attempts' series merged into one row per series, kept while every
   * segment's summary is (a run detail of 10 attempts merges 2 parts, not 10).
   */
  private async cutMerged(project: string, l: Lineage, segs: readonly ReadSegment[]): Promise<SeriesSummaryRow[]> {
    const key = cutKey(project, l, segs);
    // Kept merged only while each segment's own summary is (its rows bound the merged ones).
    const hit = this.merged.get(key);
    if (hit && this.kept(project, l, segs)) {
      touch(this.merged, key, hit);
      for (const seg of segs) touch(this.cache, segmentKey(project, seg), this.cache.get(segmentKey(project, seg))!);
      return hit;
    }
    const running = this.reading.get(key);
    if (running) return running;
    this.merged.delete(key);
    const read = (async () => {
      const rows = mergeSummaries(await this.cut(project, l, segs));
      if (rows.length <= MERGED_ROWS && this.kept(project, l, segs)) {
        this.merged.set(key, rows);
        if (this.merged.size > MERGED_RUNS) this.merged.delete(this.merged.keys().next().value!);
      }
      return rows;
    })();
    this.reading.set(key, read);
    try { return await read; } finally { this.reading.delete(key); }
  }

  /**
   * The cut attempts' series over their segments: those remembered with the
   * point count their attempt still has (read before the summary), the others
   * read together and remembered; one list of rows per segment, in no
   * particular order (rows of count 0 included).
   */
  async cut(project: string, l: Lineage, segs: readonly ReadSegment[]): Promise<SeriesSummaryRow[][]> {
    const key = (seg: ReadSegment) => segmentKey(project, seg);
    const out: SeriesSummaryRow[][] = [];
    const missing: ReadSegment[] = [];
    for (const seg of segs) {
      const hit = this.cache.get(key(seg));
      if (hit && hit.points === pointsOf(l, seg)) {
        touch(this.cache, key(seg), hit);
        out.push(hit.rows);
      } else missing.push(seg);
    }
    if (missing.length === 0) return out;
    // NOTE: the segments missing are read together, in one pass over the
    // run's points at every cut (a read per segment read them once each).
    this.cutReads++;
    const read = await this.lineage.summariesBySegment(project, missing);
    // A write set's points and tier rows land apart; while only one of them
    // has, the summary may hold part of it: answer it, do not keep it.
    const keep = await this.lineage.rawAgreesWithTier(project, missing);
    for (const seg of missing) {
      const rows = read.get(seg) ?? [];
      if (keep) this.remember(key(seg), { points: pointsOf(l, seg), rows });
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

/**
 * The rows of disjoint step ranges merged per (metric, rank): counts add, the
 * last is the one at the highest step; sorted by metric, then rank.
 * NOTE: by metric, then by rank, in maps of their own: a string key per row
 * and a sort of every row were ~6 ms of a 10-attempt run detail's ~40.
 */
export function mergeSummaries(parts: readonly (readonly SeriesSummaryRow[])[]): SeriesSummaryRow[] {
  if (parts.length === 1) return parts[0]!.filter((r) => r.count > 0);
  const by = new Map<string, Map<number, SeriesSummaryRow>>();
  for (const rows of parts) {
    for (const r of rows) {
      if (r.count === 0) continue;
      let ranks = by.get(r.metric);
      if (!ranks) by.set(r.metric, (ranks = new Map()));
      const m = ranks.get(r.rank);
      if (!m) { ranks.set(r.rank, { ...r }); continue; }
      m.sum = m.sum === null || r.sum === null ? null : m.sum + r.sum;
      addSummary(m, r);
    }
  }
  const out: SeriesSummaryRow[] = [];
  for (const metric of [...by.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ranks = by.get(metric)!;
    for (const rank of [...ranks.keys()].sort((a, b) => a - b)) out.push(ranks.get(rank)!);
  }
  return out;
}
