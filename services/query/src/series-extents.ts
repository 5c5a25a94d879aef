// The first and last step each series had when it was last read: a guess
// that lets a request with an open range be answered in one engine query
// (series-route.ts checks it against what the read returns).

export interface Extent { first: number; last: number }

/** Insertion-ordered, bounded: the series read longest ago is forgotten first. */
export class SeriesExtents {
  private readonly map = new Map<string, Extent>();

  constructor(private readonly capacity = 10_000) {}

  get(key: string): Extent | undefined {
    return this.map.get(key);
  }

  set(key: string, extent: Extent): void {
    this.map.delete(key);
    this.map.set(key, extent);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}
