// The statement of series' summaries over a run's effective segments, as
// rows (metric, rank[, run_, attempt], first_step, last_step, count,
// nonfinite, mn, mx, last, s), and the summary rows' shapes.
import { WITH_JIT, type Params, type Settings } from './adapter.js';
import { segmentUnion, seriesFilter, wholeAttempt, type ReadSegment, type SegmentFilter } from './segments.js';
import { TIER_WIDTHS } from './tiers.js';

/** How many times the read limit (--query-timeout-ms) a cut attempt's summary may run: it is read once, then kept. */
export const CUT_SUMMARY_READ_FACTOR = 6;

/** A series' effective summary over some segments; min/max null without a finite value. */
export interface SeriesSummaryRow {
  metric: string;
  rank: number;
  first_step: number;
  last_step: number;
  count: number;
  nonfinite: number;
  last: number;
  min: number | null;
  max: number | null;
  /** Sum of the finite values, when read `withSums` (the summaries table keeps none); else null. */
  sum: number | null;
}

export interface SummaryOptions {
  /** Each series' sum of finite values too (read from the tiers and points: the summaries table keeps none). */
  withSums?: boolean;
  /** The read aggregates the raw points of a window of many series (the ranks' list and stragglers over a window): the engine's JIT on (adapter.ts WITH_JIT). */
  jit?: boolean;
  /**
   * Of one metric: read as two statements side by side, ranks below this one
   * and the others (the second a spare read, engine-scheduler.ts). NOTE: a
   * 1,000-step window over 1,024 ranks reads every granule of the metric's
   * raw points for its edges (each rank's steps lie in few granules), 41 ms
   * as one statement, 31 ms as two halves at once.
   */
  splitAtRank?: number;
}

/** What a summary groups by: each series, or each series' segment. */
const BY_SERIES = 'metric, rank', BY_SEGMENT = 'metric, rank, run_, attempt';

/**
 * One metric's summary over its series (lineage-reads.ts metricSummaries):
 * `ranks`, its series with effective points; `last`, the value at the highest
 * step, on a tie the lowest rank's (rank -1 first).
 */
export type MetricSummaryRow = Omit<SeriesSummaryRow, 'metric' | 'rank' | 'sum'> & { name: string; ranks: number };

/**
 * The statement of each series' summary over segments (grouped by `key`, unordered), its
 * parameters, and the settings it runs with under a read limit. An attempt
 * whose every point counts is read from the summaries table; one cut by a
 * later attempt (or a fork step) from the tiers, with raw points only at the cut.
 */
export function summaryStatement(db: string, project: string, segs: readonly ReadSegment[], filter: SegmentFilter, opts: SummaryOptions & { longRead?: boolean }, bySegment: boolean) {
  const params: Params = { project };
  // NOTE: with sums, every attempt is read from the tiers: the summaries table keeps no sum.
  const whole = opts.withSums ? [] : segs.filter(wholeAttempt), cut = opts.withSums ? segs : segs.filter((s) => !wholeAttempt(s));
  const parts: string[] = [];
  const key = bySegment ? BY_SEGMENT : BY_SERIES;
  if (whole.length) {
    params['wholeRuns'] = whole.map((s) => s.run);
    params['wholeAttempts'] = whole.map((s) => s.attempt);
    parts.push(`SELECT metric, rank, first_step AS fs_, last_step AS ls_, min AS mn_, max AS mx_, toFloat64(0) AS s_, count AS c_, nonfinite AS nf_,
        toFloat64(0) AS f_, finalizeAggregation(last) AS l_
      FROM ${db}.summaries WHERE project = {project:String} AND run IN {wholeRuns:Array(String)}
        ${seriesFilter(filter)}
        AND has(arrayZip({wholeRuns:Array(String)}, {wholeAttempts:Array(UInt32)}), (toString(run), attempt))`);
    if (filter.metric !== undefined) params['metric'] = filter.metric;
    if (filter.rank !== undefined) params['rank'] = filter.rank;
  }
  if (cut.length) parts.push(segmentUnion(db, cut, TIER_WIDTHS[TIER_WIDTHS.length - 1]!, bySegment ? 'series-attempt' : 'series', filter, params));
  const sql = `SELECT ${key}, min(fs_) AS first_step, max(ls_) AS last_step, sum(c_) AS count, sum(nf_) AS nonfinite,
      min(mn_) AS mn, max(mx_) AS mx, argMax(l_, ls_) AS last, sum(s_) AS s
    FROM (${parts.join('\nUNION ALL\n')}) GROUP BY ${key}`;
  // NOTE: a cut attempt's summary is read once and then kept (the query
  // side's cache): it may run CUT_SUMMARY_READ_FACTOR times the read limit,
  // else a large run's would be refused on every try and never kept.
  const settings = (limit: Settings): Settings => ({
    ...(opts.longRead && typeof limit['max_execution_time'] === 'number' ? { ...limit, max_execution_time: limit['max_execution_time'] * CUT_SUMMARY_READ_FACTOR } : limit),
    ...(opts.jit ? WITH_JIT : {}),
  });
  return { sql, params, settings, key };
}
