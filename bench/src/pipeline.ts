// pipeline: gateway process → Kafka → writer process (embedded store):
// sustained points/s until everything is queryable, consumer lag over time,
// freshness, peak RSS of every process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../deploy/kafka/broker.mjs';
import { waitQueryable, type IngestFigures } from './all-in-one.js';
import { startFreshnessProbe } from './freshness.js';
import { peakRssMb, startStepstream } from './procs.js';
import { sendAll } from './sender.js';
import { buildBatches, describe, pointsOf, type Workload } from './workload.js';

async function lagOf(url: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
  let lag = 0;
  for (const m of text.matchAll(/^stepstream_writer_partition_lag\{[^}]*\} (\d+)/gm)) lag += Number(m[1]);
  return lag;
}

export interface PipelineFigures extends IngestFigures {
  workload: string;
  lag: { t: number; messages: number }[];
  /** Freshness with the load paced at `pacedPointsPerSec` (the target rate), not as fast as the gateway acknowledges. */
  paced: { pointsPerSec: number; freshP50Ms: number; freshP99Ms: number; maxLag: number };
}

/** The rate the pipeline target names: freshness is read at it. */
export const PIPELINE_TARGET_RATE = 1_000_000;

export async function benchPipeline(w: Workload, concurrency = 16): Promise<PipelineFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-pipe-'));
  const broker = await startBroker({ dataDir: join(dir, 'kafka') });
  const kafka = ['--kafka', broker.brokers, '--kafka-partitions', '8'];
  const gateway = await startStepstream(['--target', 'gateway', ...kafka]);
  const writer = await startStepstream(['--target', 'writer,query', '--data', join(dir, 'store'), ...kafka]);
  let brokerPeak = 0;
  const brokerSampler = setInterval(() => { brokerPeak = Math.max(brokerPeak, peakRssMb(broker.pid) || 0); }, 500);
  try {
    const batches = buildBatches(w, 'bench');
    const runs = [...new Set(batches.map((b) => b.run))];
    const lag: { t: number; messages: number }[] = [];
    const probe = startFreshnessProbe(gateway.url, writer.url, 'bench');
    const t0 = performance.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        lag.push({ t: Math.round(performance.now() - t0), messages: await lagOf(writer.url) });
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const sent = await sendAll(gateway.url, batches, concurrency);
    const tAcked = performance.now();
    const tDone = await waitQueryable(writer.url, 'bench', runs, pointsOf(w));
    sampling = false;
    await sampler;
    const fresh = await probe.stop();

    // Phase 2: the same workload on new runs, paced at the target rate.
    const pacedBatches = buildBatches(w, 'bench', `paced-${Date.now()}`);
    const pacedRuns = [...new Set(pacedBatches.map((b) => b.run))];
    const pacedProbe = startFreshnessProbe(gateway.url, writer.url, 'bench');
    let maxLag = 0, pacing = true;
    const pacedSampler = (async () => {
      while (pacing) { maxLag = Math.max(maxLag, await lagOf(writer.url)); await new Promise((r) => setTimeout(r, 500)); }
    })();
    const p0 = performance.now();
    const pacedSent = await sendAll(gateway.url, pacedBatches, concurrency, undefined, PIPELINE_TARGET_RATE);
    const pDone = await waitQueryable(writer.url, 'bench', pacedRuns, pointsOf(w));
    pacing = false;
    await pacedSampler;
    const pacedFresh = await pacedProbe.stop();
    return {
      paced: { pointsPerSec: pacedSent.points / ((pDone - p0) / 1000), freshP50Ms: pacedFresh.p50, freshP99Ms: pacedFresh.p99, maxLag },
      workload: describe(w), points: sent.points, seconds: (tDone - t0) / 1000, retries: sent.retries,
      pointsPerSec: sent.points / ((tDone - t0) / 1000), ackedPerSec: sent.points / ((tAcked - t0) / 1000),
      freshP50Ms: fresh.p50, freshP99Ms: fresh.p99, lag,
      peakRssMb: { gateway: gateway.peakRssMb(), writer: writer.peakRssMb(), kafka: Math.max(brokerPeak, peakRssMb(broker.pid) || 0) },
    };
  } finally {
    clearInterval(brokerSampler);
    await gateway.stop();
    await writer.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
