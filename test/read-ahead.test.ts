// Restarted and forked runs read ahead (services/query/src/summary-warmer.ts):
// once their points are stored, an all-in-one computes their cut attempts'
// summaries in the background, so the first GET of such a run reads none
// itself (stepstream_cut_summary_reads_total stays where it was), and answers
// exactly as the lineage reference says. A later batch of a cut attempt makes
// it read ahead again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptBatches, LineageLog } from './support/lineage-log.js';
import { waitStored } from './support/lineage-check.js';
import { metricSummaries } from './support/lineage-summaries.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

/** A counter's value in /metrics (summed over its labels matching `labels`). */
async function counter(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name) && l.includes(labels)).reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
}

describe('restarted and forked runs read ahead of their first view', () => {
  let ss: Started;
  beforeAll(async () => { ss = await startInProcess({ 'read-ahead-ms': '200' }); });
  afterAll(async () => { await ss?.stop(); });

  it('computes their cut summaries once stored: the first GET reads none, and answers as the reference', async () => {
    const log = new LineageLog('ahead');
    await log.post(ss.url, [
      ...attemptBatches({ run: 'job', attempt: 0, from: 0, to: 60_000, stride: 7, ranks: [0, 1] }),
      ...attemptBatches({ run: 'job', attempt: 1, from: 30_001, to: 90_000, stride: 7, ranks: [0, 1], resumeStep: 30_001 }),
      ...attemptBatches({ run: 'fork', attempt: 0, from: 45_000, to: 70_000, stride: 7, ranks: [0], fork: { run: 'job', step: 45_000 } }),
    ]);
    const ref = log.reference();
    await waitStored(ss.url, log.project, ref);
    // Three rounds ended after the points were stored: two of them began after (the first sees the
    // runs' cut attempts, the second finds them unchanged and reads them ahead).
    const rounds = () => counter(ss.url, 'stepstream_read_ahead_rounds_total');
    const afterRounds = async (n: number) => { const r0 = await rounds(); await waitFor(`${n} rounds`, async () => ((await rounds()) >= r0 + n ? true : undefined), 30_000); };
    await afterRounds(3);
    // NOTE: the fork's history below 45,000 is the job's (its cut attempt 0 and attempt 1 up to the fork): reading one ahead may keep all of the other's.
    expect(await counter(ss.url, 'stepstream_runs_read_ahead_total', 'kept="true"')).toBeGreaterThanOrEqual(1);
    const reads = await counter(ss.url, 'stepstream_cut_summary_reads_total');
    expect(reads).toBeGreaterThan(0);
    for (const run of ['job', 'fork']) {
      const detail = await getJson(`${ss.url}/v1/projects/${log.project}/runs/${run}`);
      expect(detail.status).toBe(200);
      expect(detail.body.metrics, `${run} detail metrics`).toMatchObject(metricSummaries(ref.effective(run)));
    }
    expect(await counter(ss.url, 'stepstream_cut_summary_reads_total')).toBe(reads);

    // A late batch of the cut attempt 0 (below the restart) grows it: read ahead again, and still exact.
    const late = { run: 'job', attempt: 0, clientId: 'job:late', sequence: 1, series: [{ metric: 'loss', rank: 0, steps: [29_999], values: [0.5] }] };
    await log.post(ss.url, [late]);
    await waitStored(ss.url, log.project, log.reference());
    await afterRounds(3);
    const again = await counter(ss.url, 'stepstream_cut_summary_reads_total');
    const detail = await getJson(`${ss.url}/v1/projects/${log.project}/runs/job`);
    expect(detail.body.metrics).toMatchObject(metricSummaries(log.reference().effective('job')));
    expect(again).toBeGreaterThan(reads);
    expect(await counter(ss.url, 'stepstream_cut_summary_reads_total')).toBe(again);
  }, 120_000);
});
