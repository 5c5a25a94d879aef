// The cross-rank reference itself (issue 12), on small cases computed by hand:
// the band, the heatmap, the per-rank list and the stragglers.
import { describe, expect, it } from 'vitest';
import { BandReference, seriesBucket, type RankPoint } from './support/ranks-reference.js';
import { RankListReference } from './support/rank-list-reference.js';

const P = (rank: number, step: number, value: number): RankPoint => ({ rank, step, value });

// Rank -1 has the lowest and highest step and the extreme values: a cross-rank read that counted it would show it.
const BAND_POINTS = [
  P(-1, 0, 100), P(-1, 9, -100),
  P(0, 1, 1), P(0, 2, 5), P(0, 5, NaN), P(0, 6, 3),
  P(1, 1, 1), P(1, 3, Infinity), P(1, 6, 3), P(1, 7, -2),
  P(2, 2, 5), P(2, 5, -Infinity), P(2, 8, 0.5),
];

describe('the /series bucket rule', () => {
  it('is 1 when the range holds no more than `points` steps, else the smallest power of two at least ceil(span / points)', () => {
    expect(seriesBucket(0, 10, 10)).toBe(1);
    expect(seriesBucket(0, 11, 10)).toBe(2);
    expect(seriesBucket(0, 1000, 3)).toBe(512);
    expect(seriesBucket(5, 7, 1)).toBe(2);
    expect(seriesBucket(0, 4096 * 1000, 1000)).toBe(4096);
  });
});

describe('the band', () => {
  const ref = new BandReference(BAND_POINTS);

  it('raw buckets over ranks >= 0: ties to the lowest rank, NaN/±Inf counted apart, null where no finite value', () => {
    expect(ref.band()).toEqual({
      from: 1, to: 9, bucket: 1,
      x: [1, 2, 3, 5, 6, 7, 8],
      min: [1, 5, null, null, 3, -2, 0.5],
      max: [1, 5, null, null, 3, -2, 0.5],
      mean: [1, 5, null, null, 3, -2, 0.5],
      count: [2, 2, 1, 2, 2, 1, 1],
      nonfinite: [0, 0, 1, 2, 0, 0, 0],
      min_rank: [0, 0, null, null, 0, 1, 2],
      max_rank: [0, 0, null, null, 0, 1, 2],
      ranks: [2, 2, 1, 2, 2, 1, 1],
    });
  });

  it('wider buckets aligned to their multiples, edge buckets whole', () => {
    expect(ref.band({ from: 1, to: 9, points: 2 })).toEqual({
      from: 1, to: 9, bucket: 4,
      x: [0, 4, 8],
      min: [1, -2, 0.5], max: [5, 3, 0.5], mean: [3, 4 / 3, 0.5],
      count: [5, 5, 1], nonfinite: [1, 2, 0],
      min_rank: [0, 1, 2], max_rank: [0, 0, 2], ranks: [3, 3, 1],
    });
    // [5, 7) at bucket 2 reads the whole buckets [4, 6) and [6, 8).
    const edges = ref.band({ from: 5, to: 7, points: 1 });
    expect(edges).toMatchObject({ from: 5, to: 7, bucket: 2, x: [4, 6], count: [2, 3], nonfinite: [2, 0], min: [null, -2], max: [null, 3], min_rank: [null, 1], max_rank: [null, 0], ranks: [2, 2] });
    expect(edges.mean).toEqual([null, 4 / 3]);
  });

  it('one end given, the other the default; a metric only rank -1 has does not exist', () => {
    expect(ref.band({ from: 6 })).toMatchObject({ from: 6, to: 9, x: [6, 7, 8] });
    expect(ref.band({ to: 3 })).toMatchObject({ from: 1, to: 3, x: [1, 2] });
    expect(new BandReference([P(-1, 0, 1)]).exists()).toBe(false);
  });
});

describe('the heatmap', () => {
  // Rank 3 has no point; rank 4 only one outside [1, 9): R = 5.
  const ref = new BandReference([...BAND_POINTS, P(4, 20, 7)]);
  const q = { from: 1, to: 9, points: 2 };

  it('groups of ceil(R / rows) ranks, the last partial; a row without points in the range all null', () => {
    expect(ref.heatmap({ ...q, rows: 2 })).toEqual({
      bucket: 4, group: 3, x: [0, 4, 8], row_first_rank: [0, 3],
      cells: [[3, 4 / 3, 0.5], [null, null, null]],
    });
    // rows=4: group 2, and only ceil(5 / 2) = 3 rows.
    expect(ref.heatmap({ ...q, rows: 4, stat: 'min' })).toEqual({
      bucket: 4, group: 2, x: [0, 4, 8], row_first_rank: [0, 2, 4],
      cells: [[1, -2, null], [5, null, 0.5], [null, null, null]],
    });
    expect(ref.heatmap({ ...q, rows: 4, stat: 'max' }).cells).toEqual([[5, 3, null], [5, null, 0.5], [null, null, null]]);
    expect(ref.heatmap({ ...q, rows: 1 })).toMatchObject({ group: 5, row_first_rank: [0], cells: [[3, 4 / 3, 0.5]] });
  });

  it('defaults: 256 rows (one rank each here), mean, 200 points, the band\'s default range', () => {
    const h = ref.heatmap();
    expect(h).toMatchObject({ bucket: 1, group: 1, row_first_rank: [0, 1, 2, 3, 4] });
    expect(h.x).toEqual(ref.band({ points: 200 }).x);
    expect(h.x).toEqual([1, 2, 3, 5, 6, 7, 8, 20]);
    expect(h.cells[3]).toEqual(h.x.map(() => null));
    expect(h.cells[0]).toEqual([1, 5, null, null, 3, null, null, null]);
    expect(h.cells[1]).toEqual([1, null, null, null, 3, -2, null, null]);
  });
});

describe('the per-rank list', () => {
  const ref = new RankListReference([
    P(-1, 0, 10), P(-1, 4, 20),
    P(0, 1, 2), P(0, 2, 4), P(0, 3, NaN),
    P(1, 1, Infinity), P(1, 2, -Infinity),
    P(2, 2, 4), P(2, 5, 0),
    P(3, 3, 3), P(3, 4, 1),
  ]);
  const ranks = (q: Parameters<typeof ref.list>[0]) => ref.list(q).map((e) => e.rank);

  it('without parameters: every rank, -1 included, in rank order', () => {
    expect(ref.list()).toEqual([
      { rank: -1, first_step: 0, last_step: 4, count: 2, nonfinite: 0, last: 20, min: 10, max: 20, mean: 15 },
      { rank: 0, first_step: 1, last_step: 3, count: 3, nonfinite: 1, last: 'NaN', min: 2, max: 4, mean: 3 },
      { rank: 1, first_step: 1, last_step: 2, count: 2, nonfinite: 2, last: '-Infinity', min: null, max: null, mean: null },
      { rank: 2, first_step: 2, last_step: 5, count: 2, nonfinite: 0, last: 0, min: 0, max: 4, mean: 2 },
      { rank: 3, first_step: 3, last_step: 4, count: 2, nonfinite: 0, last: 1, min: 1, max: 3, mean: 2 },
    ]);
  });

  it('sorted: desc by default, ties by rank ascending and null keys last in either order, then the limit', () => {
    expect(ranks({ sort: 'mean' })).toEqual([-1, 0, 2, 3, 1]);
    expect(ranks({ sort: 'mean', order: 'asc' })).toEqual([2, 3, 0, -1, 1]);
    expect(ranks({ sort: 'count', order: 'desc' })).toEqual([0, -1, 1, 2, 3]);
    expect(ranks({ sort: 'count', order: 'asc' })).toEqual([-1, 1, 2, 3, 0]);
    expect(ranks({ sort: 'min', order: 'asc' })).toEqual([2, 3, 0, -1, 1]);
    expect(ranks({ sort: 'max' })).toEqual([-1, 0, 2, 3, 1]);
    expect(ranks({ sort: 'mean', limit: 2 })).toEqual([-1, 0]);
    expect(ranks({ sort: 'mean', order: 'asc', limit: 100 })).toEqual([2, 3, 0, -1, 1]);
  });

  it('a window [from, to): figures over its points only, ranks without one left out; last sorts with ±Infinity in place', () => {
    expect(ref.unorderable({ sort: 'last' })).toBe(true);
    const w = { from: 0, to: 3 };
    expect(ref.unorderable({ ...w, sort: 'last' })).toBe(false);
    expect(ref.list(w).map((e) => e.rank)).toEqual([-1, 0, 1, 2]);
    expect(ref.list(w)[1]).toEqual({ rank: 0, first_step: 1, last_step: 2, count: 2, nonfinite: 0, last: 4, min: 2, max: 4, mean: 3 });
    expect(ranks({ ...w, sort: 'last' })).toEqual([-1, 0, 2, 1]);
    expect(ranks({ ...w, sort: 'last', order: 'asc' })).toEqual([1, 0, 2, -1]);
    expect(ranks({ from: 4 })).toEqual([-1, 2, 3]);
    expect(ranks({ to: 2 })).toEqual([-1, 0, 1]);
  });
});

describe('the stragglers', () => {
  it('an even count: the median between the two middle means, MAD likewise; ties in |score| by rank', () => {
    // Means 1, 2, 4, 10: median 3; deviations 2, 1, 1, 7: MAD 1.5. Rank -1 and a rank with only NaN are left out.
    const ref = new RankListReference([P(-1, 0, 1000), P(0, 0, 1), P(1, 0, 2), P(2, 0, 3), P(2, 1, 5), P(3, 0, 10), P(4, 0, NaN)]);
    const s = 1.4826 * 1.5;
    expect(ref.stragglers()).toEqual({ median: 3, mad: 1.5, ranks: [] });
    expect(ref.stragglers({ k: 3 })).toEqual({ median: 3, mad: 1.5, ranks: [{ rank: 3, mean: 10, score: 7 / s }] });
    expect(ref.stragglers({ k: 0.4 }).ranks).toEqual([
      { rank: 3, mean: 10, score: 7 / s }, { rank: 0, mean: 1, score: -2 / s }, { rank: 1, mean: 2, score: -1 / s }, { rank: 2, mean: 4, score: 1 / s },
    ]);
    // Over [1, 2) only rank 2 has a point: median 5, MAD 0, nobody off it.
    expect(ref.stragglers({ from: 1, to: 2 })).toEqual({ median: 5, mad: 0, ranks: [] });
  });

  it('MAD 0: every rank off the median, score null whatever k, largest distance first, ties by rank', () => {
    // Means 5, 5, 5, 7, 3, 5, 4: median 5, deviations 0, 0, 0, 2, 2, 0, 1: MAD 0.
    const ref = new RankListReference([P(0, 0, 5), P(1, 0, 5), P(2, 0, 5), P(3, 0, 7), P(4, 0, 3), P(5, 0, 5), P(6, 0, 4), P(6, 1, Infinity)]);
    const want = { median: 5, mad: 0, ranks: [{ rank: 3, mean: 7, score: null }, { rank: 4, mean: 3, score: null }, { rank: 6, mean: 4, score: null }] };
    expect(ref.stragglers()).toEqual(want);
    expect(ref.stragglers({ k: 1000 })).toEqual(want);
  });
});
