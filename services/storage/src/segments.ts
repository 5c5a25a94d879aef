// The SQL that reads points over a run's effective history: the step ranges
// (segments) each owned by one (run, attempt), handed in by the query side,
// which owns the lineage rule. The store knows nothing of restarts or forks;
// it answers "these attempts' points in these ranges", exactly, from the
// coarsest stored rows that lie wholly inside a range (docs/storage.md).
import type { Params } from './adapter.js';
import { TIER_WIDTHS, isWriterTier, tierTable } from './tiers.js';

/** A stand-in for an open end: steps are below 2^53, so no bucket reaches it. */
export const OPEN_STEP = 2 ** 62;

/**
 * One step range of the effective history, owned by one attempt of one run.
 * `from`/`to` are exact (a point at step s counts iff from <= s < to);
 * `wideFrom`/`wideTo` are the same range widened where the attempt has no
 * points (its own first and last step bound it), so a stored row that lies
 * wholly inside the wide range holds only points that count.
 */
export interface ReadSegment {
  run: string;
  attempt: number;
  from: number;
  to: number;
  wideFrom: number;
  wideTo: number;
  /** The attempt's stored points when the lineage was read: while it stands, the segment's raw points are the same (series-edges.ts keeps them). */
  points?: number;
  /** The attempt's lowest and highest stored step when the lineage was read: no level holds a row of it outside their buckets. */
  steps?: [number, number];
}

/** Every point of one attempt of a run, at any step: `?attempt=N`, and a run that was never restarted. */
export const attemptSegment = (run: string, attempt = 0): ReadSegment =>
  ({ run, attempt, from: -OPEN_STEP, to: OPEN_STEP, wideFrom: -OPEN_STEP, wideTo: OPEN_STEP });

/** Whether a segment's wide range is unbounded both ways: its attempt's every point counts. */
export const wholeAttempt = (s: ReadSegment) => s.wideFrom <= -OPEN_STEP && s.wideTo >= OPEN_STEP;

/** What a segment read groups by: step buckets (of one series, or per rank too; `times`: with tf_, tl_), or (metric, rank). */
export type SegmentGrouping = { bucket: number; byRank?: boolean; times?: boolean } | 'series' | 'series-attempt';

/**
 * A time that stands in for a tier row's when it was stored before the tiers
 * kept times (schema-times.ts): -NO_TIME first, +NO_TIME last, beyond every
 * time ingest keeps (±2^53), so it wins the merge of a step's times.
 */
export const NO_TIME = 2 ** 62;

/** Which points a segment read covers: one series, one metric's ranks (`ranked`: ranks >= 0 only), or every series of the runs. */
export interface SegmentFilter {
  metric?: string;
  rank?: number;
  ranked?: boolean;
  /** Only ranks in [lo, hi) (a read split by ranks: LineageReads.summaries). */
  ranks?: readonly [number, number];
}

/**
 * The levels a read up to tier `top` merges, finest (1: raw points) first.
 * NOTE: for one series the 256-step tier is skipped below a coarser top: the
 * points table reads whole granules of 8,192 rows, so its raw points over a
 * 4,096-step window around a cut cost what 256 steps do, and every level more
 * is a part of the statement that costs a few ms even when it reads nothing.
 * Over many series (summaries) the 256-step tier stays: there the rows read
 * raw, not the granules, are the cost.
 */
export function levelsUpTo(top: number, oneSeries: boolean): number[] {
  return [1, ...TIER_WIDTHS.filter((w) => w <= top && (!oneSeries || w === top || w >= 4096))];
}

/**
 * A UNION ALL over the levels (raw points, then each tier up to `top`) in
 * which every effective point is counted once: at the coarsest level whose
 * bucket around it lies wholly inside its segment's wide range (raw points:
 * inside the exact range). Below the top level only the buckets of the level
 * above that cross a range's end are read.
 */
export function segmentUnion(db: string, segs: readonly ReadSegment[], top: number, group: SegmentGrouping,
  filter: SegmentFilter, params: Params, range: { lo?: number; hi?: number } = {}): string {
  const chain = levelsUpTo(top, filter.metric !== undefined && filter.rank !== undefined);
  const runs = [...new Set(segs.map((s) => s.run))];
  runs.forEach((r, i) => { params[`run${i}`] = r; });
  const runList = runs.map((_, i) => `{run${i}:String}`).join(', ');
  if (filter.metric !== undefined) params['metric'] = filter.metric;
  if (filter.rank !== undefined) params['rank'] = filter.rank;

  const parts: string[] = [];
  chain.forEach((width, i) => {
    const above = i + 1 < chain.length ? chain[i + 1]! : 0;
    const key = width === 1 ? 'step' : 'bucket';
    const arms = segmentArms(segs, runs, width, above, range, params);
    if (arms.length === 0) return;
    const x = group === 'series' ? 'metric, rank' : group === 'series-attempt' ? 'metric, rank, toString(run) AS run_, attempt' : `intDiv(${key}, ${group.bucket}) * ${group.bucket} AS x${group.byRank ? ', rank' : ''}`;
    const where = width === 1
      ? `project = {project:String} AND run IN (${runList})${seriesFilter(filter)}`
      : `sid IN (${sids(db, runList, runs.length, filter)})`;
    parts.push(`SELECT ${x}, ${levelValues(width, typeof group === 'object' && group.times === true)} FROM ${db}.${width === 1 ? 'points' : tierTable(width)}
      WHERE ${where} AND (${arms.join(' OR ')})`);
  });
  return parts.join('\nUNION ALL\n');
}

/** A level's rows as a segment union yields them (fs_, ls_, mn_, mx_, s_, c_, nf_, f_, l_; `times`: tf_, tl_ too). */
export function levelValues(width: number, times: boolean): string {
  const values = width === 1
    ? `step AS fs_, step AS ls_, if(isFinite(value), value, inf) AS mn_, if(isFinite(value), value, -inf) AS mx_,
       if(isFinite(value), value, 0) AS s_, toUInt64(1) AS c_, toUInt64(NOT isFinite(value)) AS nf_, value AS f_, value AS l_`
    : `first_step AS fs_, last_step AS ls_, min AS mn_, max AS mx_, sum AS s_, count AS c_, nonfinite AS nf_,
       ${isWriterTier(width) ? 'first AS f_, last AS l_' : 'finalizeAggregation(first) AS f_, finalizeAggregation(last) AS l_'}`;
  if (!times) return values;
  return values + (width === 1 ? `, ${timePair('step', 'time_ms')} AS tf_, ${timePair('step', 'time_ms')} AS tl_`
    : isWriterTier(width) ? `, ${timePair('first_step', 'first_time')} AS tf_, ${timePair('last_step', 'last_time')} AS tl_`
      : `, ${timePair('time_first.1', 'time_first.2')} AS tf_, ${timePair('time_last.1', 'time_last.2')} AS tl_`);
}

/**
 * Which rows of one level each segment counts, as `(attempt = A AND (key
 * ranges))` arms to OR together (with `run = R` when several runs are read):
 * the rows of `width` (1: raw points, keyed by step; else a tier, by bucket)
 * not counted at the level `above` (0: none above). `runs` binds as run0, run1...
 * NOTE: each level's rows are picked by ranges of its key (step or bucket
 * start) per segment, computed here: a chain of plain comparisons per row,
 * which also bound the index (bucket arithmetic or an array lookup per row
 * cost more than the rows they saved).
 */
export function segmentArms(segs: readonly ReadSegment[], runs: readonly string[], width: number, above: number,
  range: { lo?: number; hi?: number }, params: Params): string[] {
  const key = width === 1 ? 'step' : 'bucket';
  let n = 0;
  const arms: string[] = [];
  segs.forEach((seg) => {
    const ranges = levelRanges(seg, width, above, range);
    if (ranges.length === 0) return;
    const a = `a${width}_${n}`;
    params[a] = seg.attempt;
    const tests = ranges.map(([lo, hi], j) => {
      const t: string[] = [];
      if (lo > -OPEN_STEP) { params[`${a}r${j}lo`] = BigInt(lo); t.push(`${key} >= {${a}r${j}lo:Int64}`); }
      if (hi < OPEN_STEP) { params[`${a}r${j}hi`] = BigInt(hi); t.push(`${key} < {${a}r${j}hi:Int64}`); }
      return t.length ? `(${t.join(' AND ')})` : 'true';
    });
    const who = `${runs.length > 1 ? `run = {run${runs.indexOf(seg.run)}:String} AND ` : ''}attempt = {${a}:UInt32}`;
    arms.push(`(${who} AND (${tests.join(' OR ')}))`);
    n++;
  });
  return arms;
}

/**
 * The merge of a segment union's rows (each level yields fs_, ls_, mn_, mx_,
 * s_, c_, nf_, f_, l_: first/last step, finite min/max/sum, count, non-finite
 * count, first/last value), per group.
 */
export const MERGE_PARTS = `min(fs_) AS fs, max(ls_) AS ls, min(mn_) AS mn, max(mx_) AS mx, sum(s_) AS s, sum(c_) AS c, sum(nf_) AS nf,
  argMin(f_, fs_) AS f, argMax(l_, ls_) AS l`;

/**
 * A (step, time) pair as one Int128, step in the high 64 bits: the lowest
 * pair is the earliest time at the lowest step, the highest the latest at the
 * highest. NOTE: not a tuple: min() of tuples took 3× as long over raw points.
 */
const timePair = (step: string, time: string) => `(bitShiftLeft(toInt128(${step}), 64) + ${time})`;

/** The merge of a segment union's time pairs (grouped `times`): the times of the first and last point (their steps are fs_'s and ls_'s). */
export const MERGE_TIMES = 'toInt64(min(tf_) - bitShiftLeft(toInt128(min(fs_)), 64)) AS tf, toInt64(max(tl_) - bitShiftLeft(toInt128(max(ls_)), 64)) AS tl';

/** The filter's tests, each after an AND; its parameters are {metric} and {rank}. */
export function seriesFilter(filter: SegmentFilter): string {
  const ranks = filter.ranks ? ` AND rank >= ${Math.trunc(filter.ranks[0])} AND rank < ${Math.trunc(filter.ranks[1])}` : '';
  return (filter.metric === undefined ? '' : ' AND metric = {metric:String}') + (filter.rank === undefined ? '' : ' AND rank = {rank:Int32}')
    + (filter.ranked ? ' AND rank >= 0' : '') + ranks;
}

/** The tiers' series keys (schema.ts, migration 4) of the runs' series the filter names. */
function sids(db: string, runList: string, runs: number, filter: SegmentFilter): string {
  if (filter.metric !== undefined && filter.rank !== undefined) {
    return Array.from({ length: runs }, (_, i) => `sipHash128({project:String}, {run${i}:String}, {metric:String}, {rank:Int32})`).join(', ');
  }
  return `SELECT DISTINCT sipHash128(project, run, metric, rank) FROM ${db}.summaries
    WHERE project = {project:String} AND run IN (${runList})${seriesFilter(filter)}`;
}

const floorTo = (v: number, w: number) => (Math.abs(v) >= OPEN_STEP ? v : Math.floor(v / w) * w);
const ceilTo = (v: number, w: number) => (Math.abs(v) >= OPEN_STEP ? v : Math.ceil(v / w) * w);

/**
 * The key ranges [lo, hi) of a level's rows one segment counts: buckets of
 * `width` inside the segment's wide range [F, T) are those starting in
 * [ceil(F), floor(T)); of them, those whose bucket of the level above
 * (`above`) is inside too are counted there instead; raw points (width 1)
 * count in the exact range, less the buckets above inside. Clipped to `range`.
 */
export function levelRanges(seg: ReadSegment, width: number, above: number, range: { lo?: number; hi?: number }): [number, number][] {
  let own: [number, number] = width === 1 ? [seg.from, seg.to] : [ceilTo(seg.wideFrom, width), floorTo(seg.wideTo, width)];
  own = [Math.max(own[0], range.lo ?? -OPEN_STEP), Math.min(own[1], range.hi ?? OPEN_STEP)];
  // NOTE: buckets beyond the attempt's stored steps hold none of its rows: a
  // level with none left is not read (each level read costs ~10 ms of the
  // engine's even when it reads nothing: a window's summary over the 4,096-
  // and 65,536-step tiers of a 2,000-step run).
  if (seg.steps) own = [Math.max(own[0], floorTo(seg.steps[0], width)), Math.min(own[1], floorTo(seg.steps[1], width) + width)];
  if (own[1] <= own[0]) return [];
  if (!above) return [own];
  const up: [number, number] = [ceilTo(seg.wideFrom, above), floorTo(seg.wideTo, above)];
  if (up[1] <= up[0]) return [own];
  return ([[own[0], Math.min(own[1], up[0])], [Math.max(own[0], up[1]), own[1]]] as [number, number][]).filter(([lo, hi]) => hi > lo);
}

/**
 * The buckets of width `width` that cross a segment's wide end, within the
 * range: the only places a level finer than `width` is needed.
 */
export function edgeWindows(segs: readonly ReadSegment[], width: number, range: { lo?: number; hi?: number }): [number, number][] {
  const starts = new Set<number>();
  for (const s of segs) {
    for (const end of [s.wideFrom, s.wideTo]) {
      if (Math.abs(end) >= OPEN_STEP || end % width === 0) continue;
      starts.add(Math.floor(end / width) * width);
    }
  }
  const out: [number, number][] = [];
  for (const b of [...starts].sort((a, c) => a - c)) {
    const lo = Math.max(b, range.lo ?? -OPEN_STEP), hi = Math.min(b + width, range.hi ?? OPEN_STEP);
    if (hi > lo) out.push([lo, hi]);
  }
  return out;
}
