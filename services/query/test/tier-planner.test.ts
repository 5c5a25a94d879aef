import { describe, expect, it } from 'vitest';
import { TIER_WIDTHS } from '@stepstream/storage';
import { planSeries } from '../src/tier-planner.js';

// The tiers the store has (migration 3 dropped the 16-step one).
const TIERS = TIER_WIDTHS;
const FINEST = TIERS[0], COARSEST = TIERS[TIERS.length - 1]!;

describe('planSeries', () => {
  it('answers from raw points, bucket 1, when the range holds no more steps than the budget', () => {
    expect(planSeries(0, 1000, 1000, TIERS)).toEqual({ bucket: 1, source: 0, lo: 0, hi: 1000 });
    expect(planSeries(17, 18, 1, TIERS)).toEqual({ bucket: 1, source: 0, lo: 17, hi: 18 });
  });

  it('keeps every bucket rule of design §4 over many ranges and budgets', () => {
    let seed = 42;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let i = 0; i < 5000; i++) {
      const from = rnd(2 ** 30) * (i % 3 === 0 ? 4096 : 1);
      const span = 1 + rnd(i % 2 ? 10_000_000 : 5000);
      const points = 1 + rnd(3000);
      const to = from + span;
      const p = planSeries(from, to, points, TIERS);
      const ideal = Math.ceil(span / points);
      if (span <= points) expect(p.bucket).toBe(1);
      else {
        expect(p.bucket).toBeGreaterThanOrEqual(ideal);
        expect(p.bucket).toBeLessThanOrEqual(2 * ideal);
      }
      expect(Math.log2(p.bucket) % 1).toBe(0);
      // buckets meeting the range
      const buckets = (p.hi - p.lo) / p.bucket;
      expect(buckets).toBeLessThanOrEqual(points + 1);
      expect(p.lo).toBeLessThanOrEqual(from);
      expect(p.hi).toBeGreaterThanOrEqual(to);
      expect(p.lo % p.bucket).toBe(0);
      // merged from the coarsest tier that divides it: at most 8 rows per bucket below the coarsest tier,
      // and raw points only for buckets finer than the finest tier (at most 128 points each)
      if (p.source === 0) expect(p.bucket).toBeLessThan(FINEST);
      else {
        expect(TIERS).toContain(p.source);
        expect(p.bucket % p.source).toBe(0);
        if (p.source < COARSEST) expect(p.bucket / p.source).toBeLessThanOrEqual(8);
      }
    }
  });

  it('refuses an empty range', () => {
    expect(() => planSeries(5, 5, 100, TIERS)).toThrow(RangeError);
  });
});
