// all-in-one: sustained points/s into --target=all until every point is
// queryable, freshness p50/p99, peak RSS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFreshnessProbe } from './freshness.js';
import { startStepstream } from './procs.js';
import { sendAll } from './sender.js';
import { buildBatches, describe, pointsOf, type Workload } from './workload.js';

export interface IngestFigures { cpuUsPerPoint?: number; pointsPerSec: number; ackedPerSec: number; freshP50Ms: number; freshP99Ms: number; peakRssMb: Record<string, number>; points: number; seconds: number; retries: number }

/**
 * Waits until the query API counts `total` points over the given runs.
 * NOTE: on two cores, polling is load: it polls the last run only (the load
 * sends every run's steps in the same order, so it completes last) every
 * 100 ms, then checks every run once.
 */
export async function waitQueryable(queryUrl: string, project: string, runs: string[], total: number, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const countOf = async (run: string) => {
    const res = await fetch(`${queryUrl}/v1/projects/${project}/runs/${run}`).catch(() => null);
    if (res?.status !== 200) { await res?.arrayBuffer(); return 0; }
    return ((await res.json()) as { metrics: { count: number }[] }).metrics.reduce((a, m) => a + m.count, 0);
  };
  const perRun = total / runs.length;
  for (;;) {
    if ((await countOf(runs.at(-1)!)) >= perRun) {
      const at = performance.now();
      let sum = 0;
      for (const run of runs) sum += await countOf(run);
      if (sum >= total) return at;
    }
    if (Date.now() > deadline) throw new Error(`not all of ${total} points queryable within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function benchAllInOne(w: Workload, concurrency = 16): Promise<IngestFigures & { workload: string }> {
  const batches = buildBatches(w, 'bench');
  const runs = [...new Set(batches.map((b) => b.run))];
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-all-'));
  const ss = await startStepstream(['--data', dir]);
  try {
    const probe = startFreshnessProbe(ss.url, ss.url, 'bench');
    const t0 = performance.now();
    const sent = await sendAll(ss.url, batches, concurrency);
    const tAcked = performance.now();
    const tDone = await waitQueryable(ss.url, 'bench', runs, pointsOf(w));
    const cpu = ss.cpuSeconds();
    const fresh = await probe.stop();
    return {
      workload: describe(w), points: sent.points, seconds: (tDone - t0) / 1000, retries: sent.retries, cpuUsPerPoint: (cpu * 1e6) / sent.points,
      pointsPerSec: sent.points / ((tDone - t0) / 1000), ackedPerSec: sent.points / ((tAcked - t0) / 1000),
      freshP50Ms: fresh.p50, freshP99Ms: fresh.p99, peakRssMb: { stepstream: ss.peakRssMb() },
    };
  } finally {
    await ss.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
