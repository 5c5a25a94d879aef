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
}

/** What a segment read groups by: step buckets (of one series, or per rank too; `times`: with tf_, tl_), or (metric, rank). */
export type SegmentGrouping = { bucket: number; byRank?: boolean; times?: boolean } | 'series';

/**
 * A time that stands in for a tier row's when it was stored before the tiers
 * kept times (schema-times.ts): -NO_TIME first, +NO_TIME last, beyond every
 * time ingest keeps (±2^53), so it wins the merge of a step's times.
 */
export const NO_TIME = 2 ** 62;

/** Which points a segment read covers: one series, one metric's ranks (`ranked`: ranks >= 0 only), or every series of the runs. */
export interface SegmentFilter { metric?: string; rank?: number; ranked?: boolean }

/**
 * A UNION ALL over the levels (raw points, then each tier up to `top`) in
 * which every effective point is counted once: at the coarsest level whose
 * bucket around it lies wholly inside its segment's wide range (raw points:
 * inside the exact range). Below the top level only the buckets of the level
 * above that cross a range's end are read.
 */
export function segmentUnion(db: string, segs: readonly ReadSegment[], top: number, group: SegmentGrouping,
  filter: SegmentFilter, params: Params, range: { lo?: number; hi?: number } = {}): string {
  const chain = [1, ...TIER_WIDTHS.filter((w) => w <= top)];
  params['segRuns'] = segs.map((s) => s.run);
  params['segAttempts'] = segs.map((s) => s.attempt);
  params['segFrom'] = segs.map((s) => BigInt(s.from));
  params['segTo'] = segs.map((s) => BigInt(s.to));
  params['segWideFrom'] = segs.map((s) => BigInt(s.wideFrom));
  params['segWideTo'] = segs.map((s) => BigInt(s.wideTo));
  const runs = [...new Set(segs.map((s) => s.run))];
  runs.forEach((r, i) => { params[`run${i}`] = r; });
  const runList = runs.map((_, i) => `{run${i}:String}`).join(', ');
  if (filter.metric !== undefined) params['metric'] = filter.metric;
  if (filter.rank !== undefined) params['rank'] = filter.rank;

  // NOTE: which segment a row is in, by its (run, attempt). Evaluated per
  // row, so the cheapest form that can tell: one segment (the run never
  // restarted, or one attempt read) by scalars; one run by the attempt alone;
  // else a (run, attempt) lookup.
  const one = segs.length === 1 ? segs[0]! : null;
  const seg = (name: string, type: string, v: number | string) => {
    if (!one) return `{${name}:Array(${type})}[k]`;
    params[`${name}1`] = typeof v === 'number' ? BigInt(v) : v;
    return `{${name}1:${type}}`;
  };
  const k = one ? null : runs.length === 1
    ? 'indexOf({segAttempts:Array(UInt32)}, attempt)'
    : 'indexOf(arrayZip({segRuns:Array(String)}, {segAttempts:Array(UInt32)}), (toString(run), attempt))';
  if (one) params['segAttempt1'] = one.attempt;
  const which = k ? `(${k} AS k) > 0` : 'attempt = {segAttempt1:UInt32}';
  const bound = (cond: string, open: boolean) => (one && open ? [] : [cond]);
  const inside = (start: string, width: number) => [
    ...bound(`${start} >= ${seg('segWideFrom', 'Int64', one?.wideFrom ?? 0)}`, (one?.wideFrom ?? 0) <= -OPEN_STEP),
    ...bound(`${start} + ${width} <= ${seg('segWideTo', 'Int64', one?.wideTo ?? 0)}`, (one?.wideTo ?? 0) >= OPEN_STEP),
  ].join(' AND ') || 'true';
  const parts: string[] = [];
  chain.forEach((width, i) => {
    const above = i + 1 < chain.length ? chain[i + 1]! : 0;
    const key = width === 1 ? 'step' : 'bucket';
    const windows = above ? edgeWindows(segs, above, range) : [range.lo === undefined && range.hi === undefined ? null : [range.lo ?? -OPEN_STEP, range.hi ?? OPEN_STEP] as const];
    if (windows.length === 0) return;
    const win = windows.map((w, j) => {
      if (!w) return 'true';
      params[`w${width}_${j}lo`] = BigInt(w[0]); params[`w${width}_${j}hi`] = BigInt(w[1]);
      return `(${key} >= {w${width}_${j}lo:Int64} AND ${key} < {w${width}_${j}hi:Int64})`;
    }).join(' OR ');
    const mine = width === 1
      ? [...bound(`step >= ${seg('segFrom', 'Int64', one?.from ?? 0)}`, (one?.from ?? 0) <= -OPEN_STEP),
         ...bound(`step < ${seg('segTo', 'Int64', one?.to ?? 0)}`, (one?.to ?? 0) >= OPEN_STEP)].join(' AND ') || 'true'
      : inside('bucket', width);
    const notAbove = above ? ` AND NOT (${inside(`intDiv(${key}, ${above}) * ${above}`, above)})` : '';
    const x = group === 'series' ? 'metric, rank' : `intDiv(${key}, ${group.bucket}) * ${group.bucket} AS x${group.byRank ? ', rank' : ''}`;
    const where = width === 1
      ? `project = {project:String} AND run IN (${runList})${seriesFilter(filter)}`
      : `sid IN (${sids(db, runList, runs.length, filter)})`;
    const values = width === 1
      ? `step AS fs_, step AS ls_, if(isFinite(value), value, inf) AS mn_, if(isFinite(value), value, -inf) AS mx_,
         if(isFinite(value), value, 0) AS s_, toUInt64(1) AS c_, toUInt64(NOT isFinite(value)) AS nf_, value AS f_, value AS l_`
      : `first_step AS fs_, last_step AS ls_, min AS mn_, max AS mx_, sum AS s_, count AS c_, nonfinite AS nf_,
         ${isWriterTier(width) ? 'first AS f_, last AS l_' : 'finalizeAggregation(first) AS f_, finalizeAggregation(last) AS l_'}`;
    const times = group !== 'series' && group.times
      ? width === 1 ? `, ${timePair('step', 'time_ms')} AS tf_, ${timePair('step', 'time_ms')} AS tl_`
        : isWriterTier(width) ? `, ${timePair('first_step', 'first_time')} AS tf_, ${timePair('last_step', 'last_time')} AS tl_`
          : `, ${timePair('time_first.1', 'time_first.2')} AS tf_, ${timePair('time_last.1', 'time_last.2')} AS tl_`
      : '';
    parts.push(`SELECT ${x}, ${values}${times} FROM ${db}.${width === 1 ? 'points' : tierTable(width)}
      WHERE ${where} AND (${win}) AND ${which} AND ${mine}${notAbove}`);
  });
  return parts.join('\nUNION ALL\n');
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

function seriesFilter(filter: SegmentFilter): string {
  return (filter.metric === undefined ? '' : ' AND metric = {metric:String}') + (filter.rank === undefined ? '' : ' AND rank = {rank:Int32}')
    + (filter.ranked ? ' AND rank >= 0' : '');
}

/** The tiers' series keys (schema.ts, migration 4) of the runs' series the filter names. */
function sids(db: string, runList: string, runs: number, filter: SegmentFilter): string {
  if (filter.metric !== undefined && filter.rank !== undefined) {
    return Array.from({ length: runs }, (_, i) => `sipHash128({project:String}, {run${i}:String}, {metric:String}, {rank:Int32})`).join(', ');
  }
  return `SELECT DISTINCT sipHash128(project, run, metric, rank) FROM ${db}.summaries
    WHERE project = {project:String} AND run IN (${runList})${seriesFilter(filter)}`;
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
