// Growing an answer by its tail (live charts): the tail read keeps the bucket width by the read
// API's bucket rule, and the merge replaces the last bucket and appends the new ones.
import { describe, expect, it } from 'vitest';
import { TAIL_BUCKETS, mergeTail, tailRange } from '../src/live-merge.js';

/** The bucket rule of docs/api.md, to check the tail range picks the same width. */
function bucketOf(from: number, to: number, points: number): number {
  if (to - from <= points) return 1;
  let b = 1;
  while (b < Math.ceil((to - from) / points)) b *= 2;
  return b;
}

const answer = (x: number[], bucket: number) => ({ x, bucket, to: x.at(-1)! + bucket, mean: x.map((v) => v / 10), count: x.map(() => bucket), min: x.map((v) => v) });

describe('live merge', () => {
  it('reads from the last bucket start over TAIL_BUCKETS buckets of the same width', () => {
    for (const bucket of [1, 2, 16, 4096]) {
      const r = tailRange(answer([0, bucket, 2 * bucket], bucket))!;
      expect(r.from).toBe(2 * bucket);
      expect(r.points).toBe(TAIL_BUCKETS);
      expect(bucketOf(r.from, r.to, r.points)).toBe(bucket);
    }
    expect(tailRange(answer([], 1) as never)).toBeNull();
  });

  it('replaces the buckets from the tail on and appends the new ones; columns only', () => {
    const old = answer([0, 16, 32], 16);
    const tail = { ...answer([32, 48], 16), count: [16, 3] };
    const m = mergeTail(old, tail)!;
    expect(m.x).toEqual([0, 16, 32, 48]);
    expect(m.count).toEqual([16, 16, 16, 3]);
    expect(m.mean).toEqual([0, 1.6, 3.2, 4.8]);
    expect(m.to).toBe(64);
    expect(m.bucket).toBe(16);
    expect(mergeTail(old, { ...tail, x: [], mean: [], count: [], min: [] })).toEqual(old);
  });

  it('does not join a tail of another bucket width', () => {
    expect(mergeTail(answer([0, 16], 16), answer([16, 48], 32))).toBeNull();
  });
});
