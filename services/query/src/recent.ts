// A bounded map of what was read last: the series reader's extent guesses
// (series-extents.ts) and the ranks' rank counts (ranks-routes.ts) keep theirs in one.

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
