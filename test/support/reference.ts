// The reference aggregation: what every series answer must equal, computed
// over raw points in plain TypeScript.

export interface RefPoint { step: number; value: number }

export interface RefBucket {
  x: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  first: number;
  last: number;
  count: number;
  nonfinite: number;
}

/** Buckets of width `bucket` (aligned to multiples of it) that meet [from, to) and hold points. */
export function referenceBuckets(points: readonly RefPoint[], bucket: number, from: number, to: number): RefBucket[] {
  const lo = Math.floor(from / bucket) * bucket;
  const hi = Math.ceil(to / bucket) * bucket;
  const byX = new Map<number, RefPoint[]>();
  for (const p of points) {
    if (p.step < lo || p.step >= hi) continue;
    const x = Math.floor(p.step / bucket) * bucket;
    let list = byX.get(x);
    if (!list) byX.set(x, (list = []));
    list.push(p);
  }
  return [...byX.keys()].sort((a, b) => a - b).map((x) => {
    const list = byX.get(x)!.slice().sort((a, b) => a.step - b.step);
    const finite = list.filter((p) => Number.isFinite(p.value)).map((p) => p.value);
    const sum = finite.reduce((a, b) => a + b, 0);
    return {
      x,
      min: finite.length ? Math.min(...finite) : null,
      max: finite.length ? Math.max(...finite) : null,
      mean: finite.length ? sum / finite.length : null,
      first: list[0]!.value,
      last: list[list.length - 1]!.value,
      count: list.length,
      nonfinite: list.length - finite.length,
    };
  });
}

/** Equal, with NaN equal to NaN and means within a relative 1e-12 (float sums reassociate). */
export function sameValue(a: number | null, b: number | null, tolerance = 0): boolean {
  if (a === null || b === null) return a === b;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return tolerance > 0 && Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}
