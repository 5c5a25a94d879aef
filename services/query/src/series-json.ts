// The series answer's JSON text, built from the store's columns: the same
// text JSON.stringify makes of the answer object (docs/api.md), without an
// array per field, and in slices with the event loop free between them.
import type { SeriesColumns } from '@stepstream/storage';

/** Values written between two turns of the event loop. */
export const SLICE = 8192;

/** The answer's fields before its columns, in the answer's order. */
export interface SeriesHead { metric: string; rank: number; from: number; to: number; bucket: number; tier: number }

type Format = (i: number, j: number) => string;

// NOTE: String(v) is JSON.stringify's text for a finite number (-0 is "0" in both).
/** Integers (x, counts): a typed array's own join. */
const plain = (a: Float64Array): Format => (i, j) => a.subarray(i, j).join(',');
/** null where not finite (min, max, mean), as JSON.stringify writes NaN and ±Infinity. */
const finiteOrNull = (a: Float64Array): Format => (i, j) => {
  let s = '';
  for (let k = i; k < j; k++) { const v = a[k]!; s += (k > i ? ',' : '') + (Number.isFinite(v) ? String(v) : 'null'); }
  return s;
};
/** first and last: a non-finite value as a string (params.ts jnum). */
const jnums = (a: Float64Array): Format => (i, j) => {
  let s = '';
  for (let k = i; k < j; k++) {
    const v = a[k]!;
    s += (k > i ? ',' : '') + (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"');
  }
  return s;
};

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * NOTE: why not return the object for Fastify to stringify: a 100,000-bucket
 * answer is ~10 MB of text, ~100 ms of one synchronous JSON.stringify, and a
 * request of another project arriving meanwhile waits for all of it (issue 9:
 * B's 1000-point views took 2.4 s at p99 while A read 100,000-point answers).
 * Here a slice is at most SLICE values (~1–2 ms), so it waits for a slice.
 * An answer of at most SLICE buckets is built in one go, with no turn waited.
 */
export async function seriesJson(head: SeriesHead, c: SeriesColumns): Promise<string> {
  const n = c.x.length;
  const mean = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const finite = c.count[i]! - c.nonfinite[i]!;
    mean[i] = finite > 0 ? c.sum[i]! / finite : NaN;
  }
  const fields: [string, Format][] = [
    ['x', plain(c.x)], ['min', finiteOrNull(c.min)], ['max', finiteOrNull(c.max)], ['mean', finiteOrNull(mean)],
    ['first', jnums(c.first)], ['last', jnums(c.last)], ['count', plain(c.count)], ['nonfinite', plain(c.nonfinite)],
  ];
  const parts = [JSON.stringify(head).slice(0, -1)];
  let since = 0;
  for (const [name, format] of fields) {
    parts.push(`,"${name}":[`);
    for (let i = 0; i < n; i += SLICE) {
      if (since >= SLICE) { await turn(); since = 0; }
      const j = Math.min(n, i + SLICE);
      parts.push((i > 0 ? ',' : '') + format(i, j));
      since += j - i;
    }
    parts.push(']');
  }
  parts.push('}');
  return parts.join('');
}
