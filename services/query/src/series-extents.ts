// The first and last step each series had when it was last read: a guess
// that lets a request with an open range be answered in one engine query
// (series-route.ts checks it against what the read returns).
import { Recent } from './recent.js';

export interface Extent { first: number; last: number }

/** Each series' extent when it was last read (the series reader's guesses). */
export class SeriesExtents extends Recent<Extent> {
  constructor(capacity = 10_000) { super(capacity); }
}
