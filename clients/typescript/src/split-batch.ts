// Halving a batch the server found too large (413), and reading a spooled
// batch back into a structure that can be halved.
import { gunzipSync } from 'node:zlib';
import { decodeIngestRequest } from './decode.js';
import { MAX_POINTS_PER_REQUEST, MAX_SERIES_PER_REQUEST } from './limits.js';
import type { IngestBatch, SeriesInput } from './types.js';

function slice(a: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  if (ArrayBuffer.isView(a)) return (a as unknown as Float64Array).subarray(start, end);
  return Array.prototype.slice.call(a, start, end) as number[];
}

function sliceSeries(s: SeriesInput, start: number, end: number): SeriesInput {
  const t = s.timeMs && s.timeMs.length > 0 ? { timeMs: slice(s.timeMs, start, end) } : {};
  return { metric: s.metric, rank: s.rank ?? -1, steps: slice(s.steps, start, end), values: slice(s.values, start, end), ...t };
}

/**
 * Splits a batch into two, the same way the Python client does (so both
 * give the same halves): with two or more non-empty series, the list of
 * series is cut in the middle; with one, its points are. Run info rides with
 * the first half. Returns null when there is nothing left to split.
 *
 * NOTE: each half needs an identity of its own, and a fixed one: the same
 * split of the same batch must get the same names when it is retried, or
 * when sync resumes after a crash, so that the server stores each half once.
 * Half i is (`${clientId}~${i}`, same sequence): derived from the parent,
 * never taking a number of the parent's sequence, which later batches use.
 */
export function splitBatch(batch: IngestBatch): [IngestBatch, IngestBatch] | null {
  const series = batch.series.filter((s) => s.steps.length > 0);
  let parts: [SeriesInput[], SeriesInput[]];
  if (series.length >= 2) {
    const mid = Math.floor(series.length / 2);
    parts = [series.slice(0, mid), series.slice(mid)];
  } else if (series.length === 1 && series[0]!.steps.length >= 2) {
    const s = series[0]!;
    const mid = Math.floor(s.steps.length / 2);
    parts = [[sliceSeries(s, 0, mid)], [sliceSeries(s, mid, s.steps.length)]];
  } else {
    return null;
  }
  const half = (i: 0 | 1): IngestBatch => ({
    project: batch.project,
    runId: batch.runId,
    run: i === 0 ? batch.run ?? null : null,
    series: parts[i],
    ...(batch.clientId ? { clientId: `${batch.clientId}~${i}` } : {}),
    ...(batch.sequence !== undefined ? { sequence: batch.sequence } : {}),
    // Both halves are points of the same attempt.
    ...(batch.attempt ? { attempt: batch.attempt } : {}),
  });
  return [half(0), half(1)];
}

/**
 * Series cut into groups the server takes in one request: at most
 * MAX_SERIES_PER_REQUEST series and MAX_POINTS_PER_REQUEST points each (a
 * series longer than that is cut too). In order; one group when it all fits.
 */
export function groupSeries(series: SeriesInput[], maxSeries = MAX_SERIES_PER_REQUEST, maxPoints = MAX_POINTS_PER_REQUEST): SeriesInput[][] {
  const groups: SeriesInput[][] = [];
  let group: SeriesInput[] = [], points = 0;
  for (const s of series) {
    const n = s.steps.length;
    let start = 0;
    do {
      if (group.length === maxSeries || (points === maxPoints && n > 0)) { groups.push(group); group = []; points = 0; }
      const take = Math.min(n - start, maxPoints - points);
      group.push(take === n ? s : sliceSeries(s, start, start + take));
      points += take;
      start += take;
    } while (start < n);
  }
  if (group.length > 0 || groups.length === 0) groups.push(group);
  return groups;
}

/** An encoded IngestRequest (gzipped or not) back as a batch, for splitting a spooled one. */
export function decodeBatch(bytes: Uint8Array, gzipped = false): IngestBatch {
  // Our own batch, maybe larger than the server takes: that is why it is split.
  return decodeIngestRequest(gzipped ? gunzipSync(bytes) : bytes);
}
