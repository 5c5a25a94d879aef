// Encodes points as one Native block: values are a straight copy of the
// request's packed doubles and the repeated strings are filled natively.
import { bytesOf, nativeBlock, seriesKeyColumns } from './native.js';

/** One series' points, as they arrive in a request. */
export interface SeriesRows {
  project: string;
  run: string;
  metric: string;
  rank: number;
  steps: Float64Array;
  values: Float64Array;
  /** Empty: every point takes `receivedMs`. */
  timeMs: Float64Array;
  receivedMs: number;
}

export const POINT_COLUMNS = ['project', 'run', 'metric', 'rank', 'step', 'value', 'time_ms'] as const;

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
  const key = (s: SeriesRows) => `${s.project}\u0000${s.run}\u0000${s.metric}`;
  return series
    .map((s) => ({ s, k: key(s) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.s.rank - b.s.rank || (a.s.steps[0] ?? 0) - (b.s.steps[0] ?? 0)))
    .map((x) => x.s);
}

// NOTE: steps and times travel as Float64 columns (exact below 2^53, which
// validation guarantees) and the engine casts them to Int64 on insert. The
// step, value and time columns are not built: they are the series' own arrays
// (views on the decoded requests), listed piece by piece, so nothing is
// copied before the adapter writes them out (one writev, off the event loop).
export function encodePointsBlock(series: readonly SeriesRows[]): Buffer[] {
  const rows = countRows(series);
  const rank = new Int32Array(rows);
  const steps: Buffer[] = [], values: Buffer[] = [], times: Buffer[] = [];
  /** Series sent without times take their receipt time: one filled array per receipt time, shared. */
  const receipt = new Map<number, Float64Array>();
  let at = 0;
  for (const s of series) {
    const n = s.steps.length;
    rank.fill(s.rank, at, at + n);
    steps.push(bytesOf(s.steps));
    values.push(bytesOf(s.values));
    if (s.timeMs.length) times.push(bytesOf(s.timeMs));
    else {
      let fill = receipt.get(s.receivedMs);
      if (!fill || fill.length < n) receipt.set(s.receivedMs, (fill = new Float64Array(Math.max(n, fill?.length ?? 0)).fill(s.receivedMs)));
      times.push(bytesOf(fill.subarray(0, n)));
    }
    at += n;
  }
  const counts = series.map((s) => s.steps.length);
  return nativeBlock(rows, [
    ...seriesKeyColumns(series, counts),
    { name: 'rank', type: 'Int32', data: bytesOf(rank) },
    { name: 'step', type: 'Float64', data: steps },
    { name: 'value', type: 'Float64', data: values },
    { name: 'time_ms', type: 'Float64', data: times },
  ]);
}
