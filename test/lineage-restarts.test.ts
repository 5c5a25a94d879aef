// Run lineage (issue 11), restarts of one run: every read of an all-in-one
// Stepstream against the lineage reference, each scenario in its own project.
// Every attempt's rank processes reuse their client ids with sequences from 1
// again, as a restarted job's do: never mistaken for retries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptBatches, LineageLog, type LineageBatch } from './support/lineage-log.js';
import { checkProject, waitStored } from './support/lineage-check.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const ALL_TIERS = [0, 256, 4096, 65536];

describe('run lineage: restarts', () => {
  let ss: Started;
  beforeAll(async () => { ss = await startInProcess(); });
  afterAll(async () => { await ss?.stop(); });

  it('restarts at several steps, one rolling back past an earlier restart; a metric only the rolled-back attempt logged is gone', async () => {
    const log = new LineageLog('restarts');
    await log.post(ss.url, [
      // eval/acc is logged by attempt 0 only, above 300,000: attempt 1 (from 250,037) supersedes all of it.
      ...attemptBatches({ run: 'job', attempt: 0, from: 0, to: 400_000, stride: 131, ranks: [0, 1], extra: [{ metric: 'eval/acc', from: 300_000, to: 400_000, stride: 10_000 }] }),
      ...attemptBatches({ run: 'job', attempt: 1, from: 250_037, to: 700_000, stride: 131, ranks: [0, 1], resumeStep: 250_037 }),
      // No resume_step: attempt 2 starts at its lowest point.
      ...attemptBatches({ run: 'job', attempt: 2, from: 600_011, to: 900_000, stride: 131, ranks: [0, 1] }),
      // Back to 500,000, below attempt 2's start: attempt 2 owns nothing.
      ...attemptBatches({ run: 'job', attempt: 3, from: 500_000, to: 1_300_000, stride: 131, ranks: [0, 1], resumeStep: 500_000 }),
      ...attemptBatches({ run: 'plain', attempt: 0, from: 0, to: 50_000, stride: 50, ranks: [0] }),
    ]);
    const ref = log.reference();
    expect(ref.lineage('job').segments.map((s) => [s.attempt, s.from])).toEqual([[0, 0], [1, 250_037], [3, 500_000]]);
    await waitStored(ss.url, log.project, ref);
    const seen = await checkProject(ss.url, log.project, ref);
    expect(ALL_TIERS.filter((t) => !seen.has(t))).toEqual([]);
  }, 120_000);

  it('a run never restarted: its detail\'s metrics merged over ranks (the last from the lowest rank at the highest step, rank -1 first; a metric of NaN only; ranks ending apart)', async () => {
    const log = new LineageLog('plain-detail');
    const series = (rank: number, metric: string, steps: number[], value: (s: number) => number) => ({ metric, rank, steps, values: steps.map(value) });
    await log.post(ss.url, [
      { run: 'p', attempt: 0, clientId: 'p:rank0', sequence: 1, series: [
        series(0, 'step_time', [0, 1, 2, 3], (s) => 10 + s), series(0, 'nan_only', [0, 1], () => NaN), series(-1, 'loss', [0, 5], (s) => 1 / (s + 1)),
      ] },
      { run: 'p', attempt: 0, clientId: 'p:rank1', sequence: 1, series: [series(1, 'step_time', [0, 3], (s) => 20 + s), series(1, 'loss', [5], () => 7)] },
      { run: 'p', attempt: 0, clientId: 'p:rank2', sequence: 1, series: [series(2, 'step_time', [1, 2], () => -Infinity), series(2, 'nan_only', [4], () => NaN)] },
    ]);
    const ref = log.reference();
    await waitStored(ss.url, log.project, ref);
    await checkProject(ss.url, log.project, ref);
    const detail = (await getJson(`${ss.url}/v1/projects/${log.project}/runs/p`)).body as { metrics: Record<string, unknown>[] };
    expect(detail.metrics).toEqual([
      { name: 'loss', ranks: 2, first_step: 0, last_step: 5, count: 3, nonfinite: 0, last: 1 / 6, min: 1 / 6, max: 7 },
      { name: 'nan_only', ranks: 2, first_step: 0, last_step: 4, count: 3, nonfinite: 3, last: 'NaN', min: null, max: null },
      { name: 'step_time', ranks: 3, first_step: 0, last_step: 3, count: 8, nonfinite: 2, last: 13, min: 10, max: 23 },
    ]);
  }, 120_000);

  it('resume_step above the attempt\'s first point and declared twice (the last counts), and an attempt known only from its resume_step', async () => {
    const log = new LineageLog('resume');
    const attempt1 = attemptBatches({ run: 'job', attempt: 1, from: 290_000, to: 900_000, stride: 113, ranks: [0, 1], resumeStep: 300_000 });
    const rank0Batches = attempt1.filter((b) => b.clientId === 'job:rank0').length;
    await log.post(ss.url, [
      ...attemptBatches({ run: 'job', attempt: 0, from: 0, to: 600_000, stride: 113, ranks: [0, 1] }),
      ...attempt1,
      // Attempt 1 declares again: it owns from 320,123, so its points in [290,000, 320,123) are superseded.
      { run: 'job', attempt: 1, clientId: 'job:rank0', sequence: rank0Batches + 1, series: [], info: { resumeStep: 320_123 } },
      // Attempt 2 crashed before logging a point: from 850,001 the run has no effective points.
      { run: 'job', attempt: 2, clientId: 'job:rank0', sequence: 1, series: [], info: { resumeStep: 850_001 } },
    ]);
    const ref = log.reference();
    expect(ref.lineage('job').segments).toEqual([
      { run: 'job', attempt: 0, from: 0, to: 320_123 }, { run: 'job', attempt: 1, from: 320_123, to: 850_001 }, { run: 'job', attempt: 2, from: 850_001, to: null },
    ]);
    expect(ref.lineage('job').attempts[2]).toEqual({ attempt: 2, start_step: 850_001, first_step: null, last_step: null, points: 0 });
    await waitStored(ss.url, log.project, ref);
    const seen = await checkProject(ss.url, log.project, ref);
    expect(ALL_TIERS.filter((t) => !seen.has(t))).toEqual([]);
  }, 120_000);

  it('an elastic restart with fewer ranks ends the missing ranks\' series at the restart step', async () => {
    const log = new LineageLog('elastic');
    await log.post(ss.url, [
      ...attemptBatches({ run: 'job', attempt: 0, from: 0, to: 500_000, stride: 127, ranks: [0, 1, 2, 3] }),
      ...attemptBatches({ run: 'job', attempt: 1, from: 333_333, to: 700_001, stride: 127, ranks: [0, 1], resumeStep: 333_333 }),
      // Rank 2 comes back: its series has a hole [333,333, 700,001); rank 3's ends at 333,333.
      ...attemptBatches({ run: 'job', attempt: 2, from: 700_001, to: 1_000_000, stride: 127, ranks: [0, 1, 2], resumeStep: 700_001 }),
    ]);
    const ref = log.reference();
    await waitStored(ss.url, log.project, ref);
    const answer = await getJson(`${ss.url}/v1/projects/elastic/runs/job/ranks?metric=loss`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const ranks = answer.body.ranks as { rank: number; last_step: number }[];
    expect(ranks.find((r) => r.rank === 3)?.last_step).toBeLessThan(333_333);
    const seen = await checkProject(ss.url, log.project, ref);
    expect(ALL_TIERS.filter((t) => !seen.has(t))).toEqual([]);
  }, 120_000);

  it('an old attempt\'s batches arriving after the new attempt\'s, and retries of both across the restart, count once', async () => {
    const log = new LineageLog('out-of-order');
    const old = attemptBatches({ run: 'job', attempt: 0, from: 0, to: 400_000, stride: 101, ranks: [0, 1], batchSteps: 50_000 });
    // No resume_step: attempt 1's start is its lowest point, which comes last (its batches newest first).
    const next = attemptBatches({ run: 'job', attempt: 1, from: 200_000, to: 800_000, stride: 101, ranks: [0, 1], batchSteps: 50_000 }).reverse();
    const retriedAtOnce = (bs: LineageBatch[]) => bs.flatMap((b, i) => (i % 3 === 0 ? [b, b] : [b]));
    await log.post(ss.url, [...retriedAtOnce(next), ...retriedAtOnce(old)]);
    const ref = log.reference();
    await waitStored(ss.url, log.project, ref);
    const seen = await checkProject(ss.url, log.project, ref);
    expect(ALL_TIERS.filter((t) => !seen.has(t))).toEqual([]);

    // Retries once the originals are surely stored: every one skipped, nothing changes.
    const late = [old[0]!, old.at(-1)!, next[0]!, next.at(-1)!];
    const before = await duplicates(ss.url);
    await log.post(ss.url, late);
    await waitFor('the late retries to be skipped', async () => ((await duplicates(ss.url)) >= before + late.length ? true : undefined));
    await checkProject(ss.url, log.project, ref, { series: [] });
  }, 120_000);
});

/** Batches the writer skipped as already stored. */
async function duplicates(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^stepstream_writer_duplicate_batches_total (\d+)/m.exec(text)?.[1] ?? 0);
}
