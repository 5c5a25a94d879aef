// Encodes points as one Native block: the step, value and time columns are
// the decoded requests' own arrays, the repeated strings a dictionary.
import { nativeBlock, seriesKeyColumns, type Piece } from './native.js';

/** One series' points, as they arrive in a request. */
export interface SeriesRows {
  project: string;
  run: string;
  metric: string;
  rank: number;
  /** The attempt of the run that logged these points (0 = the first). */
  attempt: number;
  steps: Float64Array;
  values: Float64Array;
  /** Empty: every point takes `receivedMs`. */
  timeMs: Float64Array;
  receivedMs: number;
}

export const POINT_COLUMNS = ['project', 'run', 'metric', 'rank', 'attempt', 'step', 'value', 'time_ms'] as const;

/** Total points of the given series. */
export function countRows(series: readonly SeriesRows[]): number {
  let n = 0;
  for (const s of series) n += s.steps.length;
  return n;
}

/**
 * Series in the table's sort order (project, run, metric, rank, first step):
 * a block that arrives sorted is not sorted again by the engine, which halves
 * the cost of an insert.
 */
export function sortSeries(series: readonly SeriesRows[]): SeriesRows[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...series].sort((a, b) => cmp(a.project, b.project) || cmp(a.run, b.run) || cmp(a.metric, b.metric) || a.rank - b.rank || a.attempt - b.attempt || (a.steps[0] ?? 0) - (b.steps[0] ?? 0));
}

// NOTE: steps and times travel as Float64 columns (exact below 2^53, which
// validation guarantees) and the engine casts them to Int64 on insert. The
// step, value and time columns are not built: they are the series' own arrays
// (views on the decoded requests), listed piece by piece, so nothing is
// copied before the adapter writes them out (one writev, off the event loop).
export function encodePointsBlock(series: readonly SeriesRows[]): Piece[] {
  const steps: Piece[] = [], values: Piece[] = [], times: Piece[] = [];
  /** Series sent without times take their receipt time: one filled array per receipt time, shared. */
  const receipt = new Map<number, Float64Array>();
  for (const s of series) {
    const n = s.steps.length;
    steps.push(s.steps);
    values.push(s.values);
    if (s.timeMs.length) times.push(s.timeMs);
    else {
      let fill = receipt.get(s.receivedMs);
      if (!fill || fill.length < n) receipt.set(s.receivedMs, (fill = new Float64Array(Math.max(n, fill?.length ?? 0)).fill(s.receivedMs)));
      times.push(fill.length === n ? fill : fill.subarray(0, n));
    }
  }
  return nativeBlock(countRows(series), [
    ...seriesKeyColumns(series, series.map((s) => s.steps.length)),
    { name: 'step', type: 'Float64', data: steps },
    { name: 'value', type: 'Float64', data: values },
    { name: 'time_ms', type: 'Float64', data: times },
  ]);
}
