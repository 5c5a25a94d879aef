// A series' buckets as the engine answers them, column by column, and as
// rows (BucketRow) for tests and tools.
import { num } from './adapter.js';

/** A number the engine answered (read as `num` reads it), or null where it is not finite: a min or max over no finite value. */
export const finiteOrNull = (v: unknown): number | null => {
  if (v === null || v === undefined) return null;
  const n = num(v);
  return Number.isFinite(n) ? n : null;
};

/** One bucket of a series; `sum` is over finite values only. */
export interface BucketRow {
  x: number;
  /** The lowest and highest step holding a point in this bucket. */
  firstStep: number;
  lastStep: number;
  min: number | null;
  max: number | null;
  sum: number;
  count: number;
  nonfinite: number;
  first: number;
  last: number;
}

/**
 * The buckets of a series column by column (BucketRow's fields, a value per
 * bucket): no object per bucket, the engine's answer as it is read. min and
 * max are ±Infinity where a bucket holds no finite value (BucketRow's null).
 */
export interface SeriesColumns {
  x: Float64Array; firstStep: Float64Array; lastStep: Float64Array; min: Float64Array; max: Float64Array;
  sum: Float64Array; count: Float64Array; nonfinite: Float64Array; first: Float64Array; last: Float64Array;
  /** When read with times: the time_ms of the first point (the earliest at the first step) and of the last (the latest at the last step); NaN unknown. */
  timeFirst?: Float64Array; timeLast?: Float64Array;
}

export function bucketRows(c: SeriesColumns): BucketRow[] {
  return Array.from(c.x, (x, i) => ({
    x, firstStep: c.firstStep[i]!, lastStep: c.lastStep[i]!, min: finiteOrNull(c.min[i]), max: finiteOrNull(c.max[i]),
    sum: c.sum[i]!, count: c.count[i]!, nonfinite: c.nonfinite[i]!, first: c.first[i]!, last: c.last[i]!,
  }));
}

/** The columns of some rows (stand-in stores in tests). */
export function bucketColumns(rows: readonly BucketRow[]): SeriesColumns {
  const col = (f: (r: BucketRow) => number | null) => Float64Array.from(rows, (r) => f(r) ?? NaN);
  return {
    x: col((r) => r.x), firstStep: col((r) => r.firstStep), lastStep: col((r) => r.lastStep),
    min: col((r) => r.min ?? Infinity), max: col((r) => r.max ?? -Infinity), sum: col((r) => r.sum),
    count: col((r) => r.count), nonfinite: col((r) => r.nonfinite), first: col((r) => r.first), last: col((r) => r.last),
  };
}
