// The first and last step each series had when it was last read: a guess
// that lets a request with an open range be answered in one engine query
// (series-route.ts checks it against what the read returns); and the bounded
// map of what was last read that keeps them (the ranks' counts use it too).

export interface Extent { first: number; last: number }

/** Insertion-ordered, bounded: the key read longest ago is forgotten first. */
export class Recent<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

/** Each series' extent when it was last read (the series reader's guesses). */
export class SeriesExtents extends Recent<Extent> {
  constructor(capacity = 10_000) { super(capacity); }
}
