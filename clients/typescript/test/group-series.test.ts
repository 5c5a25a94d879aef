import { describe, expect, it } from 'vitest';
import { MAX_POINTS_PER_REQUEST, MAX_SERIES_PER_REQUEST } from '@stepstream/proto';
import { groupSeries } from '../src/split-batch.js';
import type { SeriesInput } from '../src/types.js';

const series = (metric: string, n: number): SeriesInput => {
  const steps = Float64Array.from({ length: n }, (_, i) => i);
  return { metric, rank: 0, steps, values: steps, timeMs: steps };
};
const shape = (groups: SeriesInput[][]) => groups.map((g) => g.map((s) => `${s.metric}:${s.steps[0] ?? '-'}+${s.steps.length}`));

describe('groupSeries', () => {
  it('keeps a batch that fits whole, the same objects', () => {
    const all = [series('a', 3), series('b', 2)];
    const groups = groupSeries(all);
    expect(groups).toHaveLength(1);
    expect(groups[0]![0]).toBe(all[0]);
  });

  it('cuts by series count and by points, a long series across requests, in order', () => {
    expect(shape(groupSeries([series('a', 3), series('b', 3), series('c', 1)], 2, 100))).toEqual([['a:0+3', 'b:0+3'], ['c:0+1']]);
    expect(shape(groupSeries([series('a', 3), series('b', 6)], 10, 4))).toEqual([['a:0+3', 'b:0+1'], ['b:1+4'], ['b:5+1']]);
    const cut = groupSeries([series('a', 5)], 10, 2);
    expect(Array.from(cut[2]![0]!.timeMs!)).toEqual([4]);
  });

  it('never makes a request past the server limits', () => {
    const many = Array.from({ length: MAX_SERIES_PER_REQUEST * 2 + 1 }, (_, i) => series(`m${i}`, 100));
    for (const g of groupSeries(many)) {
      expect(g.length).toBeLessThanOrEqual(MAX_SERIES_PER_REQUEST);
      expect(g.reduce((a, s) => a + s.steps.length, 0)).toBeLessThanOrEqual(MAX_POINTS_PER_REQUEST);
    }
  });
});
