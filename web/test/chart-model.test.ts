// Several runs on one time axis: their buckets interleave, and may meet at one time. Each layer
// keeps the steps of its own buckets, so a restart mark or a drag maps to the right run's steps.
import { describe, expect, it } from 'vitest';
import { buildModel, stepsAt, type RunSeries } from '../src/chart-model.js';
import type { Series } from '../src/types.js';

function series(x: number[], times: number[]): Series {
  const ones = x.map(() => 1);
  return { metric: 'm', rank: -1, from: x[0]!, to: x.at(-1)! + 1, bucket: 1, tier: 0, x, min: ones, max: ones, mean: ones, first: ones, last: ones, count: ones, nonfinite: x.map(() => 0), time_first: times, time_last: times };
}

describe('chart model on a time axis', () => {
  it('keeps each layer\'s own steps where runs meet at one time', () => {
    // Relative to their starts, run a's step 1 and run b's step 51 were both logged 400 ms in.
    const runs: RunSeries[] = [
      { key: 'a', label: 'a', color: '#000000', series: series([0, 1, 2], [1_000, 1_400, 1_800]), startMs: 1_000 },
      { key: 'b', label: 'b', color: '#ffffff', series: series([50, 51], [9_000, 9_400]), startMs: 9_000 },
    ];
    const m = buildModel(runs, 'relative', { kind: 'none' }, false);
    expect(m.x).toEqual([0, 400, 800]);
    expect(m.layers.map((l) => l.steps)).toEqual([[0, 1, 2], [50, 51, null]]);
    expect(stepsAt(m, 1)).toEqual([1, 51]);
    expect(stepsAt(m, 2)).toEqual([2]);
  });
});
