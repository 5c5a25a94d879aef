// Smoothing over buckets equals smoothing over the raw points they hold: exactly at raw
// resolution (TensorBoard's per-point formulas, written out here), and exactly for buckets of
// equal values at any width; a zoomed view read with marginPoints of history matches the whole view.
import { describe, expect, it } from 'vitest';
import { emaBuckets, marginPoints, runningAverageBuckets, smooth } from '../src/smoothing.js';

/** TensorBoard's debiased EMA, point by point (NaN passed through, not accumulated). */
function tensorboardEma(ys: number[], w: number): number[] {
  let last = 0, n = 0;
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    last = last * w + (1 - w) * y;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

function trailingMean(ys: number[], window: number): number[] {
  return ys.map((_, i) => { const part = ys.slice(Math.max(0, i - window + 1), i + 1); return part.reduce((a, b) => a + b, 0) / part.length; });
}

const noisy = Array.from({ length: 500 }, (_, i) => Math.sin(i / 17) * 3 + ((i * 7919) % 13) / 13);
const ones = (n: number) => new Array(n).fill(1);

describe('EMA over buckets', () => {
  it('is TensorBoard\'s debiased EMA at raw resolution', () => {
    const got = emaBuckets(noisy, ones(noisy.length), 0.9);
    const want = tensorboardEma(noisy, 0.9);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    expect(got[0]).toBeCloseTo(noisy[0]!, 12); // debiased: the first point is itself
  });

  it('over buckets of equal values equals the EMA of the raw points, at the buckets\' last points', () => {
    const raw: number[] = [], means: number[] = [], counts: number[] = [];
    for (let b = 0; b < 40; b++) { const v = Math.cos(b) * 5, c = 1 + (b % 7); means.push(v); counts.push(c); for (let k = 0; k < c; k++) raw.push(v); }
    const point = tensorboardEma(raw, 0.97);
    const got = emaBuckets(means, counts, 0.97);
    let end = -1;
    counts.forEach((c, b) => { end += c; expect(got[b]).toBeCloseTo(point[end]!, 10); });
  });

  it('leaves a gap at a bucket without finite points and carries on from the state before it', () => {
    const got = emaBuckets([1, null, 3], [1, 0, 1], 0.5);
    const want = tensorboardEma([1, NaN, 3], 0.5);
    expect(got[1]).toBeNull();
    expect(got[2]).toBeCloseTo(want[2]!, 12);
  });

  it('smooths a zoomed view read with marginPoints of history within the negligible weight of the whole view', () => {
    const w = 0.95, s = { kind: 'ema' as const, weight: w };
    const whole = emaBuckets(noisy, ones(noisy.length), w);
    const from = 300, margin = marginPoints(s);
    const part = emaBuckets(noisy.slice(from - margin), ones(noisy.length - from + margin), w).slice(margin);
    const range = Math.max(...noisy) - Math.min(...noisy);
    part.forEach((v, i) => expect(Math.abs(v! - whole[from + i]!)).toBeLessThan(2e-3 * range));
  });
});

describe('running average over buckets', () => {
  it('is the trailing mean of the last N points at raw resolution', () => {
    const got = runningAverageBuckets(noisy, ones(noisy.length), 25);
    trailingMean(noisy, 25).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 10));
  });

  it('over buckets of equal values weighs in only the part of the oldest bucket the window still covers', () => {
    const raw: number[] = [], means: number[] = [], counts: number[] = [];
    for (let b = 0; b < 30; b++) { const v = b * b - 10 * b, c = 1 + (b % 5); means.push(v); counts.push(c); for (let k = 0; k < c; k++) raw.push(v); }
    const point = trailingMean(raw, 7);
    const got = runningAverageBuckets(means, counts, 7);
    let end = -1;
    counts.forEach((c, b) => { end += c; expect(got[b]).toBeCloseTo(point[end]!, 9); });
  });

  it('a zoomed view read with marginPoints of history is exactly the whole view', () => {
    const s = { kind: 'avg' as const, window: 40 };
    const whole = smooth(s, noisy, ones(noisy.length));
    const from = 200, margin = marginPoints(s);
    const part = smooth(s, noisy.slice(from - margin), ones(noisy.length - from + margin)).slice(margin);
    part.forEach((v, i) => expect(v).toBeCloseTo(whole[from + i]!, 10));
  });
});

it('none leaves the means as they are', () => {
  expect(smooth({ kind: 'none' }, [1, null, 2], [1, 0, 1])).toEqual([1, null, 2]);
});
