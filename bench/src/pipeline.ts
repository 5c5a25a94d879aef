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

export async function benchPipeline(w: Workload, concurrency = 16): Promise<IngestFigures & { workload: string; lag: { t: number; messages: number }[] }> {
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
    return {
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
