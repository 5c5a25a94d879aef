// The series answer's text is JSON.stringify's text of the answer object (the
// shape of docs/api.md), value for value, built here or on the worker, and a
// large one lets the event loop turn while it is built.
import { describe, expect, it } from 'vitest';
import { bucketColumns, type BucketRow } from '@stepstream/storage';
import { jnum } from '../src/params.js';
import { INLINE_BUCKETS, seriesJson } from '../src/series-json.js';

const HEAD = { metric: 'loss/"q"\u2028', rank: -1, from: 0, to: 2 ** 53, bucket: 4, tier: 0 };
const ODD = [NaN, Infinity, -Infinity, -0, 0, 2 ** 53, -(2 ** 53), 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 1e21, 1e-7];

/** The answer as the route built it before: an array per field, for JSON.stringify. */
function reference(rows: BucketRow[]): string {
  return JSON.stringify({
    ...HEAD,
    x: rows.map((b) => b.x), min: rows.map((b) => b.min), max: rows.map((b) => b.max),
    mean: rows.map((b) => (b.count - b.nonfinite > 0 ? b.sum / (b.count - b.nonfinite) : null)),
    first: rows.map((b) => jnum(b.first)), last: rows.map((b) => jnum(b.last)), count: rows.map((b) => b.count), nonfinite: rows.map((b) => b.nonfinite),
  });
}

function rows(n: number): BucketRow[] {
  return Array.from({ length: n }, (_, i) => {
    const v = ODD[i % ODD.length]!, w = ODD[(i * 7 + 3) % ODD.length]!;
    const finite = (u: number) => (Number.isFinite(u) ? u : null);
    return { x: i * 4, firstStep: i * 4, lastStep: i * 4 + 3, min: finite(v), max: finite(w), sum: i % 5 === 0 ? 1.7976931348623157e308 : v * 3 || 0,
      count: 4 + (i % 3), nonfinite: i % 4 === 0 ? 4 + (i % 3) : i % 2, first: v, last: w };
  });
}

describe('series answer text', () => {
  it('is the text JSON.stringify makes of the answer: NaN/±Infinity as strings or null, -0, 2^53, an overflowing mean', async () => {
    for (const n of [0, 1, ODD.length, INLINE_BUCKETS, INLINE_BUCKETS + 1, 3 * INLINE_BUCKETS + 17]) {
      const r = rows(n);
      const got = await seriesJson(HEAD, bucketColumns(r));
      expect(typeof got === 'string' ? got : Buffer.from(got).toString('utf8'), `${n} buckets`).toBe(reference(r));
    }
  });

  it('writes whole numbers (x, counts, the times) as JSON.stringify does, at the edges of the digit writer and past them', async () => {
    const EDGES = [0, -0, 1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 99_999_999, 100_000_000, 1_764_500_001_235, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -1, -(2 ** 31), 1e21, 0.5];
    for (const n of [1, EDGES.length, 3 * EDGES.length, INLINE_BUCKETS + 5]) {
      const r = rows(n).map((b, i) => ({ ...b, x: EDGES[i % EDGES.length]!, count: EDGES[(i + 3) % EDGES.length]!, nonfinite: EDGES[(i + 7) % EDGES.length]! }));
      const timeFirst = Float64Array.from(r, (_, i) => EDGES[(i + 11) % EDGES.length]!), timeLast = Float64Array.from(r, (_, i) => 1_764_500_000_000 + i * 1_234);
      // (before the call: a large answer's columns are moved to the worker)
      const want = reference(r).slice(0, -1) + `,"time_first":${JSON.stringify([...timeFirst])},"time_last":${JSON.stringify([...timeLast])}}`;
      const got = await seriesJson(HEAD, { ...bucketColumns(r), timeFirst, timeLast });
      expect(typeof got === 'string' ? got : Buffer.from(got).toString('utf8'), `${n} buckets`).toBe(want);
    }
  });

  it('lets the event loop turn while a 100,000-bucket answer is built, and not for a small one', async () => {
    let turns = 0;
    const count = async (n: number) => {
      turns = 0;
      let on = true;
      const tick = () => { if (on) { turns++; setImmediate(tick); } };
      setImmediate(tick);
      await seriesJson(HEAD, bucketColumns(rows(n)));
      on = false;
      return turns;
    };
    await seriesJson(HEAD, bucketColumns(rows(INLINE_BUCKETS + 1))); // the worker started
    expect(await count(100_000)).toBeGreaterThan(10);
    expect(await count(1_000)).toBe(0);
  });
});
