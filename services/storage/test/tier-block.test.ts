import { describe, expect, it } from 'vitest';
import { bucketsOf } from '../src/tier-block.js';

const F = (a: number[]) => Float64Array.from(a);

describe('writer-side rollups', () => {
  it('aggregates a series into aligned buckets: finite min/max/sum, counts, first/last by step', () => {
    const b = bucketsOf(F([0, 1, 2, 15, 16, 17, 40]), F([5, NaN, -1, 7, Infinity, 2, 3]), 16);
    expect(b.map((x) => x.bucket)).toEqual([0, 16, 32]);
    expect(b[0]).toMatchObject({ firstStep: 0, lastStep: 15, first: 5, last: 7, min: -1, max: 7, sum: 11, count: 4, nonfinite: 1 });
    expect(b[1]).toMatchObject({ first: Infinity, last: 2, min: 2, max: 2, sum: 2, count: 2, nonfinite: 1 });
    expect(b[2]).toMatchObject({ count: 1, first: 3, last: 3 });
  });

  it('gives the same buckets for steps out of order', () => {
    const steps = [40, 3, 17, 0, 16, 2, 33];
    const values = [1, 2, 3, 4, 5, 6, 7];
    const sorted = steps.map((s, i) => [s, values[i]!] as const).sort((a, b) => a[0] - b[0]);
    const inOrder = bucketsOf(F(sorted.map((p) => p[0])), F(sorted.map((p) => p[1])), 16);
    const shuffled = bucketsOf(F(steps), F(values), 16).sort((a, b) => a.bucket - b.bucket);
    expect(shuffled).toEqual(inOrder);
    expect(shuffled[0]).toMatchObject({ firstStep: 0, first: 4, lastStep: 3, last: 2 });
  });

  it('keeps the earliest time at the first step and the latest at the last, in and out of order; one time for a request sent without', () => {
    // Bucket 0: steps 3 (twice: 50, then 40) .. 9 (twice: 70, then 90); bucket 16: step 20 alone, sent twice.
    const steps = F([5, 3, 9, 3, 9, 7, 20, 20]), times = F([10, 50, 60, 40, 90, 20, 8, 6]);
    const [b0, b1] = bucketsOf(steps, F([1, 2, 3, 4, 5, 6, 7, 8]), 16, times);
    expect(b0).toMatchObject({ firstStep: 3, firstTime: 40, lastStep: 9, lastTime: 90, first: 2, last: 3 });
    expect(b1).toMatchObject({ firstStep: 20, lastStep: 20, firstTime: 6, lastTime: 8 });
    expect(bucketsOf(steps, F([1, 2, 3, 4, 5, 6, 7, 8]), 16, 1234).map((b) => [b.firstTime, b.lastTime])).toEqual([[1234, 1234], [1234, 1234]]);
  });

  it('keeps a bucket with no finite value as ±Infinity sentinels (read back as null)', () => {
    const [b] = bucketsOf(F([1, 2]), F([NaN, -Infinity]), 16);
    expect(b).toMatchObject({ min: Infinity, max: -Infinity, sum: 0, nonfinite: 2, count: 2 });
  });

});
