// Which bucket width answers a series request, and which stored tier to merge
// it from. Pure: the rules of design §4 and nothing else.
//
// - A range that holds no more than `points` steps is answered from raw
//   points, bucket 1.
// - Otherwise the bucket is the smallest power of two at least
//   ceil(span / points): so at most points + 1 aligned buckets meet the range,
//   and the bucket is under twice the ideal width.
// - It is merged from the coarsest tier whose width divides it (tiers are
//   powers of two too), so each answer bucket merges at most 8 stored rows
//   when tiers are 16× apart; below the finest tier, from raw points.

export interface SeriesPlan {
  bucket: number;
  /** 0 = raw points, else the tier width merged from. */
  source: number;
  /** The aligned range actually read: whole buckets, [lo, hi). */
  lo: number;
  hi: number;
}

export function planSeries(from: number, to: number, points: number, tiers: readonly number[]): SeriesPlan {
  if (!(to > from)) throw new RangeError(`empty range [${from}, ${to})`);
  if (!(points >= 1)) throw new RangeError(`points must be at least 1, got ${points}`);
  const span = to - from;
  let bucket = 1;
  if (span > points) {
    const ideal = Math.ceil(span / points);
    while (bucket < ideal) bucket *= 2;
  }
  let source = 0;
  for (const w of tiers) if (w <= bucket && bucket % w === 0 && w > source) source = w;
  return { bucket, source, lo: Math.floor(from / bucket) * bucket, hi: Math.ceil(to / bucket) * bucket };
}
