// The rollup across ranks of a write set (rank-block.ts) against a plain
// per-step aggregation of the same points: steps close together and far
// apart (indexed by offset, and by search), a step logged twice by one rank,
// ties, non-finite values, ranks on both sides of the bitmap's end.
import { describe, expect, it } from 'vitest';
import { rankStepsOf } from '../src/rank-block.js';
import { sortSeries, type SeriesRows } from '../src/points-block.js';
import { RANK_BITS } from '../src/schema-ranks.js';

const series = (rank: number, steps: number[], values: number[], metric = 'm'): SeriesRows =>
  ({ project: 'p', run: 'r', metric, rank, attempt: 0, steps: Float64Array.from(steps), values: Float64Array.from(values), timeMs: new Float64Array(0), receivedMs: 1 });

interface Want { min: number; minRank: number; max: number; maxRank: number; sum: number; count: number; nonfinite: number; ranks: Set<number> }

/** Per (metric, step): the figures of every point of a rank >= 0, the lowest rank on a tie. */
function naive(all: readonly SeriesRows[]): Map<string, Want> {
  const out = new Map<string, Want>();
  for (const s of all) {
    if (s.rank < 0) continue;
    s.steps.forEach((step, i) => {
      const v = s.values[i]!, k = `${s.metric}/${step}`;
      const w = out.get(k) ?? { min: Infinity, minRank: 0, max: -Infinity, maxRank: 0, sum: 0, count: 0, nonfinite: 0, ranks: new Set<number>() };
      out.set(k, w);
      w.count++; w.ranks.add(s.rank);
      if (!Number.isFinite(v)) { w.nonfinite++; return; }
      if (v < w.min || (v === w.min && s.rank < w.minRank)) { w.min = v; w.minRank = s.rank; }
      if (v > w.max || (v === w.max && s.rank < w.maxRank)) { w.max = v; w.maxRank = s.rank; }
      w.sum += v;
    });
  }
  return out;
}

/** The rows merged per (metric, step), as a read merges them. */
function merged(all: readonly SeriesRows[]): Map<string, Want> {
  const out = new Map<string, Want>();
  for (const g of rankStepsOf(sortSeries(all))) {
    g.step.forEach((step, row) => {
      const k = `${g.metric}/${step}`;
      const w = out.get(k) ?? { min: Infinity, minRank: 0, max: -Infinity, maxRank: 0, sum: 0, count: 0, nonfinite: 0, ranks: new Set<number>() };
      out.set(k, w);
      if (g.min[row]! < w.min || (g.min[row] === w.min && g.minRank[row]! < w.minRank)) { w.min = g.min[row]!; w.minRank = g.minRank[row]!; }
      if (g.max[row]! > w.max || (g.max[row] === w.max && g.maxRank[row]! < w.maxRank)) { w.max = g.max[row]!; w.maxRank = g.maxRank[row]!; }
      w.sum += g.sum[row]!; w.count += g.count[row]!; w.nonfinite += g.nonfinite[row]!;
      for (let b = 0; b < g.words * 32; b++) if (g.bits[row * g.words + (b >> 5)]! & (1 << (b & 31))) w.ranks.add(b);
      for (const r of g.high.get(row) ?? []) w.ranks.add(r);
    });
  }
  return out;
}

describe('rankStepsOf', () => {
  it('equals a per-step aggregation of the points, whatever the ranks and steps', () => {
    const all: SeriesRows[] = [];
    const ranks = [0, 1, 31, 32, 63, 64, 200, RANK_BITS - 1, RANK_BITS, 2 ** 31 - 1];
    for (const [r, rank] of ranks.entries()) {
      const near = Array.from({ length: 300 }, (_, i) => 1000 + i * (1 + (r % 3)));
      const far = [0, 5_000_000 + r, 2 ** 40];
      const steps = [...near, ...far];
      all.push(series(rank, steps, steps.map((s, i) => (i % 41 === 5 ? NaN : i % 53 === 7 ? -Infinity : (s % 7) - 3))));
      // The same rank again at some steps (another request of the write set): two points there.
      all.push(series(rank, near.slice(0, 20), near.slice(0, 20).map(() => -3)));
      // Only steps close together (indexed by offset), some of them twice.
      all.push(series(rank, near, near.map((s, i) => (i % 37 === 3 ? NaN : (s * (r + 1)) % 11)), 'near'));
      all.push(series(rank, near.slice(10, 30), near.slice(10, 30).map(() => 5), 'near'));
    }
    all.push(series(-1, [1000, 1001], [100, -100]));
    all.push(series(5, [1000, 1002], [1, 2], 'other'));
    const want = naive(all), got = merged(all);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, w] of want) expect(got.get(k), k).toEqual(w);
  });
});
