// The hostile ingest and read requests against the split roles: a gateway
// process, a real Kafka broker, and a writer,query process. Every attack is
// refused with a 4xx naming its limit, no process crashes or grows past the
// memory budget, and what was acknowledged is stored and readable.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, uniqueName, type TestKafka } from '../support/kafka.js';
import { startChild, type Child } from '../support/process.js';
import { encodeRequest } from '../support/requests.js';
import { getJson } from '../support/stepstream.js';
import { waitFor } from '../support/wait.js';
import { bomIds, deepConfig, emptySeriesBomb, hugeConfig, hugeDeclaredLength, overflowingValues, packedZeroStepsBomb, protoMetaKey, type AttackBody } from './attacks.js';

/** docs/guarantees.md, "Memory budget": RSS of a process under any traffic, with the defaults. */
const BUDGET_MB = 1536;

const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('hostile requests against gateway → Kafka → writer', () => {
  let kafka: TestKafka;
  let gateway: Child, writer: Child;
  const dir = mkdtempSync(join(tmpdir(), 'ss-hostile-split-'));

  beforeAll(async () => {
    kafka = await startKafka();
    const topic = uniqueName('hostile');
    const flags = ['--kafka', kafka.brokers.join(','), '--kafka-topic', topic, '--kafka-dlq-topic', `${topic}.dlq`, '--kafka-partitions', '2'];
    const env = { KAFKAJS_NO_PARTITIONER_WARNING: '1' };
    gateway = await startChild(['--target', 'gateway', ...flags], env);
    writer = await startChild(['--target', 'writer,query', '--data', dir, '--flush-ms', '50', '--kafka-group', uniqueName('writers'), ...flags], env);
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop(5000);
    await writer?.stop(5000);
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const post = async (a: AttackBody | Buffer) => {
    const { body, gzip } = Buffer.isBuffer(a) ? { body: a, gzip: false } : a;
    const res = await fetch(`${gateway.url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', ...(gzip ? { 'content-encoding': 'gzip' } : {}) } });
    return { status: res.status, body: (await res.json()) as { code: string; details?: { limit?: number; field?: string } } };
  };

  it('refuses every hostile body with a 4xx naming its limit, and keeps serving within the memory budget', async () => {
    const bombs = await Promise.all([0, 1, 2, 3].map(() => post(emptySeriesBomb())));
    for (const b of bombs) { expect(b.status).toBe(413); expect(b.body.details?.field).toBe('series'); expect(b.body.details?.limit).toBeGreaterThan(0); }
    const zeros = await Promise.all([0, 1, 2, 3].map(() => post(packedZeroStepsBomb())));
    for (const z of zeros) { expect(z.status).toBeGreaterThanOrEqual(400); expect(z.status).toBeLessThan(500); }
    for (const a of [deepConfig(), hugeConfig(), hugeDeclaredLength()]) {
      const r = await post(a);
      expect(r.status, r.body.code).toBeGreaterThanOrEqual(400);
      expect(r.status, r.body.code).toBeLessThan(500);
    }
    const overflow = await post(encodeRequest(overflowingValues('hostile', 'overflow')));
    expect(overflow.status).toBe(400);
    expect(overflow.body.details?.limit).toBeGreaterThan(0);

    expect((await getJson(`${gateway.url}/healthz`)).status).toBe(200);
    expect(peakRssMb(gateway.proc.pid!)).toBeLessThan(BUDGET_MB);
  }, 120_000);

  it('stores exactly what was acknowledged, ids and meta as sent, and reads the step range to 2^53', async () => {
    const last = 2 ** 53 - 1;
    const ok = await post(encodeRequest({ project: 'hostile', runId: 'edge', series: [{ metric: 'm', rank: 0, steps: [0, last], values: [1, 2] }] }));
    expect(ok.status).toBe(202);
    expect((await post(encodeRequest(bomIds()))).status).toBe(202);
    expect((await post(encodeRequest({ ...protoMetaKey('hostile', 'meta'), series: [{ metric: 'm', steps: [1], values: [1] }] }))).status).toBe(202);

    const q = writer.url;
    const series = await waitFor('the edge series stored', async () => {
      const r = await getJson(`${q}/v1/projects/hostile/runs/edge/series?metric=m&rank=0&to=${2 ** 53}`);
      return r.status === 200 && (r.body.count as number[]).reduce((a, b) => a + b, 0) === 2 ? r : undefined;
    }, 60_000, 200);
    expect(series.body.to).toBe(2 ** 53);
    const open = await getJson(`${q}/v1/projects/hostile/runs/edge/series?metric=m&rank=0`);
    expect(open.status).toBe(200);

    const bom = await waitFor('the BOM run stored', async () => {
      const r = await getJson(`${q}/v1/projects/${encodeURIComponent('\uFEFFp')}/runs/${encodeURIComponent('\uFEFFr')}`);
      return r.status === 200 ? r : undefined;
    }, 30_000, 200);
    expect(bom.body.id).toBe('\uFEFFr');
    const meta = await waitFor('the meta run stored', async () => {
      const r = await getJson(`${q}/v1/projects/hostile/runs/meta`);
      return r.status === 200 ? r : undefined;
    }, 30_000, 200);
    expect(meta.body.meta['__proto__']).toBe('kept');
    // Nothing refused above reached the store.
    const runs = await getJson(`${q}/v1/projects/p/runs`);
    expect(runs.status).toBe(404);
    expect(peakRssMb(writer.proc.pid!)).toBeLessThan(BUDGET_MB);
  }, 120_000);
});
