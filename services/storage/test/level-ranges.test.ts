// Which rows of each level a segment counts: every step of the segment once,
// at the coarsest level whose bucket lies inside its wide range.
import { describe, expect, it } from 'vitest';
import { OPEN_STEP, levelRanges, levelsUpTo, type ReadSegment } from '../src/segments.js';

const seg = (from: number, to: number, wideFrom = -OPEN_STEP, wideTo = OPEN_STEP): ReadSegment => ({ run: 'r', attempt: 0, from, to, wideFrom, wideTo });

/** The level counting each step of [lo, hi), by the ranges of every level. */
function owners(s: ReadSegment, top: number, lo: number, hi: number, oneSeries = false): number[] {
  const chain = levelsUpTo(top, oneSeries);
  return Array.from({ length: hi - lo }, (_, i) => {
    const step = lo + i;
    const at = chain.filter((w, j) => levelRanges(s, w, chain[j + 1] ?? 0, {}).some(([a, b]) => {
      const key = w === 1 ? step : Math.floor(step / w) * w;
      return key >= a && key < b;
    }));
    return at.length === 1 ? at[0]! : -at.length;
  });
}

describe('level ranges of a segment', () => {
  it('counts a whole attempt at the top level only', () => {
    expect(levelRanges(seg(-OPEN_STEP, OPEN_STEP), 4096, 0, {})).toEqual([[-OPEN_STEP, OPEN_STEP]]);
    expect(levelRanges(seg(-OPEN_STEP, OPEN_STEP), 1, 4096, {})).toEqual([]);
  });

  it('counts a step cut at its tail once: top buckets inside, the bucket across the cut from below', () => {
    const s = seg(0, 10_000, -OPEN_STEP, 10_000);
    const got = owners(s, 65536, 0, 10_000);
    expect(got.every((w) => w > 0)).toBe(true);
    expect(new Set(got)).toEqual(new Set([1, 256, 4096]));
    expect(got[8191]).toBe(4096);
    expect(got[9983]).toBe(256); // 9728..9983 is a 256-bucket inside
    expect(got[9999]).toBe(1); // the 256-bucket across the cut: raw
  });

  it('counts steps cut at both ends once, and nothing outside the exact range', () => {
    const s = seg(300, 9_000, 300, 9_000);
    for (const top of [256, 4096, 65536]) {
      const got = owners(s, top, 0, 10_000, top !== 65536);
      expect(got.slice(300, 9_000).every((w) => w > 0), `top ${top}`).toBe(true);
      expect([...got.slice(0, 300), ...got.slice(9_000)].every((w) => w === 0), `top ${top}`).toBe(true);
    }
  });

  it('clips to the range read', () => {
    expect(levelRanges(seg(-OPEN_STEP, OPEN_STEP), 4096, 0, { lo: 8192, hi: 16384 })).toEqual([[8192, 16384]]);
    expect(levelRanges(seg(0, 100), 1, 0, { lo: 200, hi: 300 })).toEqual([]);
  });

  it('reads no level beyond the attempt\'s stored steps, and still counts each of them once', () => {
    // A window [1000, 2000) of an attempt whose points lie at steps 0..1999.
    const s = { ...seg(1000, 2000, 1000, OPEN_STEP), steps: [0, 1999] as [number, number] };
    expect(levelRanges(s, 65536, 0, {})).toEqual([]);
    expect(levelRanges(s, 4096, 65536, {})).toEqual([]);
    expect(levelRanges(s, 256, 4096, {})).toEqual([[1024, 2048]]);
    expect(levelRanges(s, 1, 256, {})).toEqual([[1000, 1024]]);
    const got = owners(s, 65536, 0, 2000);
    expect(got.slice(1000).every((w) => w > 0)).toBe(true);
    expect(got.slice(0, 1000).every((w) => w === 0)).toBe(true);
    // Without the steps, the same counts (the coarser levels read, holding nothing).
    expect(owners(seg(1000, 2000, 1000, OPEN_STEP), 65536, 0, 2000)).toEqual(got);
  });
});
