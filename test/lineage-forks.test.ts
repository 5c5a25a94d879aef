// Run lineage (issue 11), forks: a fork of a fork, a fork that restarts
// itself, a fork at 0, a parent that arrives late, loops and a chain too deep,
// every read of an all-in-one Stepstream against the lineage reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptBatches, LineageLog } from './support/lineage-log.js';
import { checkProject, waitStored } from './support/lineage-check.js';
import { startInProcess, type Started } from './support/stepstream.js';

const ALL_TIERS = [0, 256, 4096, 65536];

describe('run lineage: forks', () => {
  let ss: Started;
  beforeAll(async () => { ss = await startInProcess(); });
  afterAll(async () => { await ss?.stop(); });

  it('a fork of a fork that restarts itself, a fork at step 0, and a parent that arrives after its fork', async () => {
    const log = new LineageLog('forks');
    const f1 = attemptBatches({ run: 'f1', attempt: 0, from: 440_000, to: 900_000, stride: 199, ranks: [0, 1], fork: { run: 'base', step: 450_017 } });
    await log.post(ss.url, [
      ...attemptBatches({ run: 'base', attempt: 0, from: 0, to: 600_000, stride: 199, ranks: [0, 1] }),
      ...attemptBatches({ run: 'base', attempt: 1, from: 300_000, to: 1_000_000, stride: 199, ranks: [0, 1], resumeStep: 300_000 }),
      // f1 logs from 440,000, below its fork step: those points are its own (?lineage=own), not effective.
      ...f1,
      // A later, different fork_of is ignored: the first one received is kept.
      { run: 'f1', attempt: 0, clientId: 'f1:rank0', sequence: f1.length + 1, series: [], info: { forkOf: 'elsewhere', forkStep: 5 } },
      // f2 forks f1 at 700,003, restarts at 900,000, then rolls back to 800,000 (past that restart, above the fork step).
      ...attemptBatches({ run: 'f2', attempt: 0, from: 690_000, to: 1_100_000, stride: 199, ranks: [0, 1], fork: { run: 'f1', step: 700_003 } }),
      ...attemptBatches({ run: 'f2', attempt: 1, from: 900_000, to: 1_300_000, stride: 199, ranks: [0, 1], resumeStep: 900_000 }),
      ...attemptBatches({ run: 'f2', attempt: 2, from: 800_000, to: 1_400_000, stride: 199, ranks: [0, 1], resumeStep: 800_000 }),
      // fork_step not given: a fork at 0 inherits nothing.
      ...attemptBatches({ run: 'zero', attempt: 0, from: 0, to: 200_000, stride: 149, ranks: [0], fork: { run: 'base', step: 0 } }),
      ...attemptBatches({ run: 'orphan', attempt: 0, from: 50_000, to: 300_000, stride: 149, ranks: [0], fork: { run: 'ghost', step: 100_003 } }),
    ]);
    let ref = log.reference();
    expect(ref.lineage('f2').segments).toEqual([
      { run: 'base', attempt: 0, from: 0, to: 300_000 }, { run: 'base', attempt: 1, from: 300_000, to: 450_017 },
      { run: 'f1', attempt: 0, from: 450_017, to: 700_003 }, { run: 'f2', attempt: 0, from: 700_003, to: 800_000 }, { run: 'f2', attempt: 2, from: 800_000, to: null },
    ]);
    await waitStored(ss.url, log.project, ref);
    const seen = await checkProject(ss.url, log.project, ref);
    expect(ALL_TIERS.filter((t) => !seen.has(t))).toEqual([]);

    // The parent arrives: the orphan now inherits its points below 100,003.
    await log.post(ss.url, attemptBatches({ run: 'ghost', attempt: 0, from: 0, to: 200_000, stride: 149, ranks: [0] }));
    ref = log.reference();
    await waitStored(ss.url, log.project, ref);
    await checkProject(ss.url, log.project, ref, { runs: ['ghost', 'orphan'] });
  }, 120_000);

  it('a loop (A forks B, B forks A), a fork of a run in a loop and a run forking itself are served as if they had no parent', async () => {
    const log = new LineageLog('loops');
    await log.post(ss.url, [
      ...attemptBatches({ run: 'a', attempt: 0, from: 0, to: 500_000, stride: 211, ranks: [0], fork: { run: 'b', step: 300_000 } }),
      ...attemptBatches({ run: 'a', attempt: 1, from: 400_000, to: 700_000, stride: 211, ranks: [0], resumeStep: 400_000 }),
      ...attemptBatches({ run: 'b', attempt: 0, from: 0, to: 500_000, stride: 211, ranks: [0], fork: { run: 'a', step: 200_000 } }),
      // c's parents: a, b, then a again: a loop met on c's way up, so c is cut too.
      ...attemptBatches({ run: 'c', attempt: 0, from: 250_000, to: 600_000, stride: 211, ranks: [0], fork: { run: 'a', step: 250_000 } }),
      ...attemptBatches({ run: 'self', attempt: 0, from: 0, to: 200_000, stride: 211, ranks: [0], fork: { run: 'self', step: 100_000 } }),
    ]);
    const ref = log.reference();
    for (const run of ['a', 'b', 'c', 'self']) expect(ref.lineage(run).cut, run).toBe('loop');
    await waitStored(ss.url, log.project, ref);
    const seen = await checkProject(ss.url, log.project, ref);
    expect(ALL_TIERS.filter((t) => !seen.has(t))).toEqual([]);
  }, 120_000);

  it('a chain of 16 parents is followed; one of 17 is cut as too deep', async () => {
    const log = new LineageLog('chain');
    // d0 has no parent; d(k) forks d(k-1) at 30,000 k + 7 and logs from 30,000 k - 1,000: d16 has 16 parents, d17 17.
    for (let k = 0; k <= 17; k++) {
      const at = 30_000 * k;
      await log.post(ss.url, attemptBatches({ run: `d${k}`, attempt: 0, from: Math.max(0, at - 1_000), to: at + 60_000, stride: 97, ranks: [0], ...(k ? { fork: { run: `d${k - 1}`, step: at + 7 } } : {}) }));
    }
    const ref = log.reference();
    expect(ref.lineage('d16')).toMatchObject({ cut: null });
    expect(ref.lineage('d16').segments).toHaveLength(17);
    expect(ref.lineage('d17')).toMatchObject({ cut: 'too deep', fork_of: { run: 'd16', step: 510_007 } });
    await waitStored(ss.url, log.project, ref);
    // Every run's detail, ranks and lineage; the series of the deepest two.
    const seen = await checkProject(ss.url, log.project, ref, { series: ['d16', 'd17'] });
    expect(ALL_TIERS.filter((t) => !seen.has(t))).toEqual([]);
    // NOTE: ~60 s on a quiet 2-core machine, 100-120 s beside the rest of the suite: the bound is for a hang.
  }, 300_000);
});
