// The lineage reference itself, on small cases computed by hand from the
// rule of issue 11, and the log's retry rule (run, attempt, client, sequence).
import { describe, expect, it } from 'vitest';
import { LineageReference, type RunLineageInfo, type StoredPoint } from './support/lineage-reference.js';
import { metricSummaries, rankRows, runFields, seriesPoints } from './support/lineage-summaries.js';
import { LineageLog } from './support/lineage-log.js';

/** Points of one attempt at `steps`; value = step + attempt / 10 unless given. */
const pts = (run: string, attempt: number, steps: number[], o: { metric?: string; rank?: number; value?: (s: number) => number } = {}): StoredPoint[] =>
  steps.map((step) => ({ run, attempt, metric: o.metric ?? 'loss', rank: o.rank ?? -1, step, value: o.value ? o.value(step) : step + attempt / 10 }));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const info = (o: { resume?: [number, number][]; forkOf?: string; forkStep?: number } = {}): RunLineageInfo =>
  ({ resumeSteps: new Map(o.resume ?? []), ...(o.forkOf ? { forkOf: { run: o.forkOf, step: o.forkStep ?? 0 } } : {}) });
const steps = (ps: readonly StoredPoint[]) => ps.map((p) => `${p.run}/${p.attempt}@${p.step}`);

describe('the lineage reference', () => {
  it('restart rollback: an attempt starting below a later one supersedes it', () => {
    // a0 0..9, a1 from 5, a2 from 3: steps 0-2 are a0's, 3 on a2's; a1 owns nothing.
    const ref = new LineageReference([...pts('R', 0, range(0, 10)), ...pts('R', 1, range(5, 8)), ...pts('R', 2, range(3, 5))], new Map([['R', info()]]));
    expect([...ref.starts('R')]).toEqual([[0, 0], [1, 5], [2, 3]]);
    expect(steps(ref.effective('R'))).toEqual(['R/0@0', 'R/0@1', 'R/0@2', 'R/2@3', 'R/2@4']);
    expect(ref.lineage('R')).toEqual({
      run: 'R', fork_of: null, cut: null,
      attempts: [
        { attempt: 0, start_step: 0, first_step: 0, last_step: 9, points: 10 },
        { attempt: 1, start_step: 5, first_step: 5, last_step: 7, points: 3 },
        { attempt: 2, start_step: 3, first_step: 3, last_step: 4, points: 2 },
      ],
      segments: [{ run: 'R', attempt: 0, from: 0, to: 3 }, { run: 'R', attempt: 2, from: 3, to: null }],
    });
    expect(runFields(ref, 'R')).toEqual({ id: 'R', last_step: 4, metric_count: 1, attempts: 3, fork_of: null });
  });

  it('resume_step above the first point: the attempt\'s points below it are superseded', () => {
    const ref = new LineageReference([...pts('R', 0, range(0, 10)), ...pts('R', 1, range(4, 13))], new Map([['R', info({ resume: [[1, 6]] })]]));
    expect(steps(ref.effective('R'))).toEqual([...range(0, 6).map((s) => `R/0@${s}`), ...range(6, 13).map((s) => `R/1@${s}`)]);
    expect(ref.attempts('R')[1]).toEqual({ attempt: 1, start_step: 6, first_step: 4, last_step: 12, points: 9 });
    expect(ref.segments('R')).toEqual([{ run: 'R', attempt: 0, from: 0, to: 6 }, { run: 'R', attempt: 1, from: 6, to: null }]);
    // ?attempt=1 reads all of its points, superseded ones too.
    expect(seriesPoints(ref, 'R', 'loss', -1, { kind: 'attempt', attempt: 1 }).map((p) => p.step)).toEqual(range(4, 13));
  });

  it('elastic restart with fewer ranks ends the missing rank at the restart', () => {
    const ref = new LineageReference([
      ...pts('R', 0, range(0, 10), { rank: 0 }), ...pts('R', 0, range(0, 10), { rank: 1, value: () => NaN }), ...pts('R', 0, range(0, 10), { rank: -1 }),
      ...pts('R', 1, range(5, 10), { rank: 0, value: () => 100 }), ...pts('R', 1, range(5, 10), { rank: -1, value: () => -1 }),
    ], new Map([['R', info()]]));
    const eff = ref.effective('R');
    expect(rankRows(eff, 'loss')).toEqual([
      { rank: -1, first_step: 0, last_step: 9, count: 10, nonfinite: 0, last: -1, min: -1, max: 4 },
      { rank: 0, first_step: 0, last_step: 9, count: 10, nonfinite: 0, last: 100, min: 0, max: 100 },
      { rank: 1, first_step: 0, last_step: 4, count: 5, nonfinite: 5, last: 'NaN', min: null, max: null },
    ]);
    // last: the highest step's value, from the lowest rank holding it (-1 before 0).
    expect(metricSummaries(eff)).toEqual([{ name: 'loss', ranks: 3, first_step: 0, last_step: 9, count: 25, nonfinite: 5, last: -1, min: -1, max: 100 }]);
  });

  it('a metric all of whose points are superseded has none', () => {
    const ref = new LineageReference([...pts('R', 0, range(0, 10)), ...pts('R', 0, [8, 9], { metric: 'eval' }), ...pts('R', 1, range(5, 7))], new Map([['R', info()]]));
    expect(metricSummaries(ref.effective('R')).map((m) => m.name)).toEqual(['loss']);
    expect(rankRows(ref.effective('R'), 'eval')).toEqual([]);
    expect(runFields(ref, 'R')).toMatchObject({ last_step: 6, metric_count: 1 });
  });

  it('an attempt known only from its resume_step owns its steps with no points', () => {
    const ref = new LineageReference(pts('R', 0, range(0, 10)), new Map([['R', info({ resume: [[1, 5]] })]]));
    expect(ref.effective('R').map((p) => p.step)).toEqual(range(0, 5));
    expect(ref.lineage('R')).toMatchObject({
      attempts: [{ attempt: 0, start_step: 0, first_step: 0, last_step: 9, points: 10 }, { attempt: 1, start_step: 5, first_step: null, last_step: null, points: 0 }],
      segments: [{ run: 'R', attempt: 0, from: 0, to: 5 }, { run: 'R', attempt: 1, from: 5, to: null }],
    });
    expect(runFields(ref, 'R')).toMatchObject({ attempts: 2, last_step: 4 });
  });

  it('a step logged twice by one attempt is two points', () => {
    const ref = new LineageReference(pts('R', 0, [0, 1, 1, 2]), new Map([['R', info()]]));
    expect(rankRows(ref.effective('R'), 'loss')[0]).toMatchObject({ count: 4, first_step: 0, last_step: 2 });
  });

  it('a fork of a fork: each parent\'s effective history below the fork step, own points below it not effective', () => {
    // P: a0 0..9, a1 from 6. Q forks P at 4 (own 2..9). R forks Q at 7 (own 5..11, a1 from 9).
    const ref = new LineageReference([
      ...pts('P', 0, range(0, 10)), ...pts('P', 1, range(6, 10)),
      ...pts('Q', 0, range(2, 10)),
      ...pts('R', 0, range(5, 12)), ...pts('R', 1, range(9, 12)),
    ], new Map([['P', info()], ['Q', info({ forkOf: 'P', forkStep: 4 })], ['R', info({ forkOf: 'Q', forkStep: 7 })]]));
    expect(steps(ref.effective('Q'))).toEqual(['P/0@0', 'P/0@1', 'P/0@2', 'P/0@3', ...range(4, 10).map((s) => `Q/0@${s}`)]);
    expect(steps(ref.effective('R'))).toEqual([...range(0, 4).map((s) => `P/0@${s}`), 'Q/0@4', 'Q/0@5', 'Q/0@6', 'R/0@7', 'R/0@8', 'R/1@9', 'R/1@10', 'R/1@11']);
    expect(ref.lineage('R')).toEqual({
      run: 'R', fork_of: { run: 'Q', step: 7 }, cut: null,
      attempts: [{ attempt: 0, start_step: 5, first_step: 5, last_step: 11, points: 7 }, { attempt: 1, start_step: 9, first_step: 9, last_step: 11, points: 3 }],
      segments: [
        { run: 'P', attempt: 0, from: 0, to: 4 }, { run: 'Q', attempt: 0, from: 4, to: 7 },
        { run: 'R', attempt: 0, from: 7, to: 9 }, { run: 'R', attempt: 1, from: 9, to: null },
      ],
    });
    // P's a1 from 6 is above Q's fork step: Q inherits none of it.
    expect(ref.segments('Q')).toEqual([{ run: 'P', attempt: 0, from: 0, to: 4 }, { run: 'Q', attempt: 0, from: 4, to: null }]);
    // ?lineage=own: R's own points at every step, rules 1 and 2 only.
    expect(steps(ref.select('R', { kind: 'own' }))).toEqual(['R/0@5', 'R/0@6', 'R/0@7', 'R/0@8', 'R/1@9', 'R/1@10', 'R/1@11']);
    expect(runFields(ref, 'R')).toEqual({ id: 'R', last_step: 11, metric_count: 1, attempts: 2, fork_of: { run: 'Q', step: 7 } });
  });

  it('a fork at step 0 inherits nothing; a parent not sent (yet) has no points', () => {
    const ref = new LineageReference([...pts('P', 0, range(0, 5)), ...pts('Z', 0, range(0, 5)), ...pts('G', 0, range(0, 5))],
      new Map([['P', info()], ['Z', info({ forkOf: 'P' })], ['G', info({ forkOf: 'ghost', forkStep: 3 })]]));
    expect(steps(ref.effective('Z'))).toEqual(range(0, 5).map((s) => `Z/0@${s}`));
    expect(ref.lineage('Z')).toMatchObject({ fork_of: { run: 'P', step: 0 }, cut: null, segments: [{ run: 'Z', attempt: 0, from: 0, to: null }] });
    expect(steps(ref.effective('G'))).toEqual(['G/0@3', 'G/0@4']);
    expect(ref.segments('G')).toEqual([{ run: 'G', attempt: 0, from: 3, to: null }]);
    expect(ref.runIds()).toEqual(['G', 'P', 'Z']);
  });

  it('a loop (A forks B, B forks A) serves both, and a fork of either, as if they had no parent', () => {
    const ref = new LineageReference([...pts('A', 0, range(0, 6)), ...pts('B', 0, range(0, 6)), ...pts('C', 0, range(0, 6)), ...pts('S', 0, range(0, 3))],
      new Map([['A', info({ forkOf: 'B', forkStep: 3 })], ['B', info({ forkOf: 'A', forkStep: 2 })], ['C', info({ forkOf: 'A', forkStep: 4 })], ['S', info({ forkOf: 'S', forkStep: 1 })]]));
    for (const run of ['A', 'B', 'C', 'S']) {
      expect(ref.parentOf(run), run).toEqual({ parent: null, cut: 'loop' });
      expect(ref.effective(run).every((p) => p.run === run), run).toBe(true);
    }
    expect(ref.lineage('A')).toMatchObject({ fork_of: { run: 'B', step: 3 }, cut: 'loop', segments: [{ run: 'A', attempt: 0, from: 0, to: null }] });
    expect(ref.effective('A')).toHaveLength(6);
  });

  it('a chain of 16 parents is followed, one of 17 is cut as too deep', () => {
    // D0 has no parent; D(k) forks D(k-1) at step k: D16 has 16 parents, D17 has 17.
    const points: StoredPoint[] = [], runs = new Map<string, RunLineageInfo>();
    for (let k = 0; k <= 17; k++) {
      points.push(...pts(`D${k}`, 0, range(k, 20)));
      runs.set(`D${k}`, info(k ? { forkOf: `D${k - 1}`, forkStep: k } : {}));
    }
    const ref = new LineageReference(points, runs);
    expect(ref.parentOf('D16')).toEqual({ parent: { run: 'D15', step: 16 }, cut: null });
    expect(steps(ref.effective('D16')).slice(0, 3)).toEqual(['D0/0@0', 'D1/0@1', 'D2/0@2']);
    expect(ref.segments('D16')).toHaveLength(17);
    expect(ref.lineage('D17')).toMatchObject({ fork_of: { run: 'D16', step: 17 }, cut: 'too deep', segments: [{ run: 'D17', attempt: 0, from: 17, to: null }] });
    expect(ref.effective('D17').map((p) => p.step)).toEqual(range(17, 20));
  });
});

describe('the lineage log', () => {
  const batch = (attempt: number, sequence: number, steps: number[], extra: object = {}) =>
    ({ run: 'R', attempt, clientId: 'c', sequence, series: [{ metric: 'm', rank: 0, steps, values: steps }], ...extra });

  it('stores a retry once, but a restarted process\'s sequence again as new points', () => {
    const log = new LineageLog('p');
    log.record(batch(0, 1, [0, 1]));
    log.record(batch(0, 1, [0, 1])); // a retry
    log.record(batch(1, 1, [1, 2])); // attempt 1 reusing client id and sequence: not a retry
    expect(log.reference().stored('R').map((p) => `${p.attempt}@${p.step}`)).toEqual(['0@0', '0@1', '1@1', '1@2']);
  });

  it('keeps each attempt\'s last resume_step and the first fork_of', () => {
    const log = new LineageLog('p');
    log.record(batch(1, 1, [], { info: { resumeStep: 5, forkOf: 'P', forkStep: 3 } }));
    log.record(batch(1, 2, [], { info: { resumeStep: 0, forkOf: 'Q', forkStep: 9 } }));
    const ref = log.reference();
    expect([...ref.starts('R')]).toEqual([[1, 0]]);
    expect(ref.declaredForkOf('R')).toEqual({ run: 'P', step: 3 });
  });
});
