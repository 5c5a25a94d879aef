// The cache of cut attempts' summaries: computed once, kept while the
// attempt's point count stands, never kept while raw points and tier rows
// disagree at the cut. The store is stubbed (this test is about the query
// side of the LineageReads boundary).
import { describe, expect, it } from 'vitest';
import { OPEN_STEP, type ReadSegment, type SeriesSummaryRow } from '@stepstream/storage';
import { EffectiveSummaries, mergeSummaries } from '../src/effective-summaries.js';
import type { Lineage } from '../src/lineage.js';

const row = (metric: string, rank: number, first: number, last: number, count: number, lastValue = last): SeriesSummaryRow =>
  ({ metric, rank, first_step: first, last_step: last, count, nonfinite: 0, last: lastValue, min: first, max: last, sum: null });

/** Attempt 0 cut at 100 by attempt 1, which owns the rest. */
const CUT: ReadSegment = { run: 'r', attempt: 0, from: 0, to: 100, wideFrom: -OPEN_STEP, wideTo: 100 };
const WHOLE: ReadSegment = { run: 'r', attempt: 1, from: 100, to: OPEN_STEP, wideFrom: -OPEN_STEP, wideTo: OPEN_STEP };
const lineage = (points0: number): Lineage => ({
  run: 'r', forkOf: null, cut: null, attempts: [], segments: [], read: [CUT, WHOLE],
  points: new Map([['r\u00000', points0], ['r\u00001', 50]]), facts: new Map(),
});

function stub() {
  const calls = { cut: 0, whole: 0, merged: 0 };
  let agrees = true;
  const reads = {
    async summaries(_project: string, segs: readonly ReadSegment[]) {
      if (segs.some((s) => s === CUT)) { calls.cut++; return [row('loss', 0, 0, 99, 100), row('acc', 0, 0, 99, 100)]; }
      calls.whole++;
      return [row('loss', 0, 100, 149, 50)];
    },
    async summariesBySegment(project: string, segs: readonly ReadSegment[]) {
      return new Map(await Promise.all(segs.map(async (s) => [s, await reads.summaries(project, [s])] as const)));
    },
    async rawAgreesWithTier() { return agrees; },
    async metricSummaries(_project: string, segs: readonly ReadSegment[]) {
      calls.merged++;
      return segs.length ? [{ name: 'loss', ranks: 1, first_step: 100, last_step: 149, count: 50, nonfinite: 0, last: 1, min: 1, max: 1 }] : [];
    },
  };
  return { reads, calls, disagree: () => { agrees = false; } };
}

describe('effective summaries of a restarted run', () => {
  it('merges the cut attempt and the whole one per series, the last value from the highest step', async () => {
    const { reads } = stub();
    const rows = await new EffectiveSummaries(reads).of('p', lineage(130));
    expect(rows).toEqual([row('acc', 0, 0, 99, 100), { ...row('loss', 0, 0, 149, 150), min: 0 }]);
  });

  it('computes a cut attempt once while its point count stands, and again when it grows', async () => {
    const { reads, calls } = stub();
    const s = new EffectiveSummaries(reads);
    await s.of('p', lineage(130));
    await s.of('p', lineage(130));
    await s.of('p', lineage(130), { metric: 'loss' });
    expect(calls).toEqual({ cut: 1, whole: 3, merged: 0 });
    await s.of('p', lineage(131)); // a late batch of attempt 0
    expect(calls.cut).toBe(2);
  });

  it('does not keep a summary made while raw points and tier rows disagree at the cut', async () => {
    const { reads, calls, disagree } = stub();
    disagree();
    const s = new EffectiveSummaries(reads);
    await s.of('p', lineage(130));
    await s.of('p', lineage(130));
    expect(calls.cut).toBe(2);
  });

  it('keeps at most its row budget, forgetting the entry used longest ago', async () => {
    const { reads, calls } = stub();
    const s = new EffectiveSummaries(reads, 2);
    await s.of('p', lineage(130));
    await s.of('q', lineage(130)); // a second entry of 2 rows: the first goes
    await s.of('p', lineage(130));
    expect(calls.cut).toBe(3);
  });

  it('reads a run ahead: warm() keeps its cut attempt, a later read reads none, a grown attempt is warm no more', async () => {
    const { reads, calls } = stub();
    const s = new EffectiveSummaries(reads);
    expect(s.isWarm('p', lineage(130))).toBe(false);
    expect(await s.warm('p', lineage(130))).toBe(true);
    expect(calls).toEqual({ cut: 1, whole: 0, merged: 0 });
    expect(await s.warm('p', lineage(130))).toBe(true);
    await s.of('p', lineage(130));
    expect(calls).toEqual({ cut: 1, whole: 1, merged: 0 });
    expect(s.isWarm('p', lineage(131))).toBe(false);
  });

  it('warm() says so when what it read could not be kept', async () => {
    const { reads, disagree } = stub();
    disagree();
    expect(await new EffectiveSummaries(reads).warm('p', lineage(130))).toBe(false);
  });

  it('reads at once of a cut attempt not kept read it once', async () => {
    const { reads, calls } = stub();
    const s = new EffectiveSummaries(reads);
    const [a, b] = await Promise.all([s.of('p', lineage(130)), s.warm('p', lineage(130)).then(() => s.of('p', lineage(130)))]);
    expect(a).toEqual(b);
    expect(calls.cut).toBe(1);
    expect(s.cutReads).toBe(1);
  });

  it('has a run\'s metrics merged in the engine without cut attempts, and merges them itself from the kept summaries with them', async () => {
    const { reads, calls } = stub();
    const s = new EffectiveSummaries(reads);
    expect(await s.metrics('p', { ...lineage(130), read: [WHOLE] })).toEqual([{ name: 'loss', ranks: 1, first_step: 100, last_step: 149, count: 50, nonfinite: 0, last: 1, min: 1, max: 1 }]);
    expect(calls).toEqual({ cut: 0, whole: 0, merged: 1 });
    expect(await s.metrics('p', lineage(130))).toEqual([
      { name: 'acc', ranks: 1, first_step: 0, last_step: 99, count: 100, nonfinite: 0, last: 99, min: 0, max: 99 },
      { name: 'loss', ranks: 1, first_step: 0, last_step: 149, count: 150, nonfinite: 0, last: 149, min: 0, max: 149 },
    ]);
    expect(calls).toEqual({ cut: 1, whole: 1, merged: 1 });
  });

  it('leaves out series without points', () => {
    expect(mergeSummaries([[row('a', 0, 0, 0, 0)], [row('b', 0, 1, 2, 2)]])).toEqual([row('b', 0, 1, 2, 2)]);
  });
});
