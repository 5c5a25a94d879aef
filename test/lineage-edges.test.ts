// The raw points beside a restart that a tier read keeps (series-edges.ts)
// are kept only while their attempt's point count stands: points of the
// superseded attempt that arrive late, below the cut and inside the kept
// edge, are in the next read of every tier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptBatches, LineageLog } from './support/lineage-log.js';
import { checkProject, waitStored } from './support/lineage-check.js';
import { startInProcess, type Started } from './support/stepstream.js';

describe('run lineage: the points beside a restart, kept', () => {
  let ss: Started;
  beforeAll(async () => { ss = await startInProcess(); });
  afterAll(async () => { await ss?.stop(); });

  it('a late batch of the superseded attempt inside a kept edge is read', async () => {
    const log = new LineageLog('edges');
    // Attempt 0 logs the even steps; attempt 1 resumes at 20,037, inside the
    // 4,096-step bucket [16,384, 20,480) and the 256-step one [19,968, 20,224).
    await log.post(ss.url, [
      ...attemptBatches({ run: 'job', attempt: 0, from: 0, to: 30_000, stride: 2, ranks: [0, 1] }),
      ...attemptBatches({ run: 'job', attempt: 1, from: 20_037, to: 40_000, stride: 3, ranks: [0, 1], resumeStep: 20_037 }),
    ]);
    let ref = log.reference();
    await waitStored(ss.url, log.project, ref);
    const seen = await checkProject(ss.url, log.project, ref);
    expect([256, 4096].filter((t) => !seen.has(t))).toEqual([]);

    // Attempt 0's odd steps in [16,385, 20,037), from another process (its own client id): late, below the cut.
    await log.post(ss.url, attemptBatches({ run: 'job', attempt: 0, from: 16_385, to: 20_037, stride: 2, ranks: [0, 1] })
      .map((b) => ({ ...b, clientId: `${b.clientId}:late` })));
    ref = log.reference();
    await waitStored(ss.url, log.project, ref);
    await checkProject(ss.url, log.project, ref);
  }, 180_000);
});
