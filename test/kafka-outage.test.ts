// The broker stopped under load and started again on the same data: the
// gateway answers 503 meanwhile, and every batch it acknowledged is stored
// once. A broker of its own (not the shared test broker), as this one is stopped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeIngestRequest } from '@stepstream/proto';
import { createKafka } from '@stepstream/queue';
import { startBroker } from '../deploy/kafka/broker.mjs';
import { PROJECT, batch } from './support/pipeline-batches.js';
import { startChild, type Child } from './support/process.js';
import { getJson } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

describe('through Kafka, with the broker down for a while', () => {
  const dirs: string[] = [];
  const children: Child[] = [];
  const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'ss-kafka-')); dirs.push(d); return d; };
  const child = async (args: string[]) => { const c = await startChild(args, { KAFKAJS_NO_PARTITIONER_WARNING: '1' }); children.push(c); return c; };

  afterAll(async () => {
    for (const c of children) await c.stop(5000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 while the broker is down and loses no acknowledged batch', async () => {
    if (process.env['KAFKA_BROKERS']) {
      console.info('skipped: KAFKA_BROKERS names an external broker this test cannot stop and restart');
      return;
    }
    const kdata = tmp();
    let broker = await startBroker({ dataDir: kdata });
    const port = broker.port, controllerPort = broker.controllerPort;
    try {
      const flags = ['--kafka', broker.brokers, '--kafka-topic', 'points', '--kafka-partitions', '2', '--kafka-ack-timeout-ms', '1500'];
      const gateway = await child(['--target', 'gateway', ...flags]);
      const writer = await child(['--target', 'writer,query', '--data', tmp(), '--flush-ms', '50', ...flags]);
      const acked: number[] = [];
      let refused = 0, seq = 0, stop = false;
      const sender = (async () => {
        while (!stop) {
          const s = seq++;
          const res = await fetch(`${gateway.url}/v1/ingest`, { method: 'POST', body: batch('outage', 0, s * 20, 20, 'c', s + 1), headers: { 'content-type': 'application/x-protobuf' } }).catch(() => null);
          if (res?.status === 202) acked.push(s);
          else {
            refused++;
            if (res) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
            // NOTE: a client's pause after a refusal, not a wait for anything:
            // the loop sends its next batch whatever the broker is doing.
            await new Promise((r) => setTimeout(r, 100));
          }
          await res?.arrayBuffer();
        }
      })();
      await waitFor('some batches acked', async () => (acked.length > 20 ? true : undefined));
      await broker.stop();
      await waitFor('gateway answering 503', async () => (refused > 3 ? true : undefined), 30_000);
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
      broker = await startBroker({ dataDir: kdata, port, controllerPort });
      const before = acked.length;
      await waitFor('acks after the broker returned', async () => (acked.length > before + 20 ? true : undefined), 60_000);
      stop = true;
      await sender;
      const last = acked.at(-1)!;
      let missing: number[] = acked;
      const stored = await waitFor('every acked batch stored', async () => {
        const s = await getJson(`${writer.url}/v1/projects/${PROJECT}/runs/outage/series?metric=m&rank=0&from=0&to=${(last + 1) * 20}&points=100000`);
        if (s.status !== 200) { missing = acked; return undefined; }
        const steps = new Set<number>(s.body.x);
        missing = acked.filter((b) => !(steps.has(b * 20) && steps.has(b * 20 + 19)));
        return missing.length === 0 ? s.body : undefined;
      }, 60_000, 250).catch(async (err: Error) => {
        const tail = (text: string) => text.split('\n').slice(-40).join('\n');
        // Kept (not in dirs): the whole logs of both processes, for the failure's story.
        const logs = mkdtempSync(join(tmpdir(), 'ss-outage-logs-'));
        writeFileSync(join(logs, 'writer.log'), writer.output());
        writeFileSync(join(logs, 'gateway.log'), gateway.output());
        writeFileSync(join(logs, 'acked.json'), JSON.stringify({ acked, refused, missing }));
        throw new Error(`${err.message}: ${missing.length} of ${acked.length} acked batches missing (first ${missing.slice(0, 10).join(', ')}); whole logs in ${logs}\n`
          + `--- in Kafka ---\n${await topicReport(broker.brokers, 'points', 'stepstream-writer', missing).catch((e: Error) => `not read: ${e.message}`)}\n`
          + `--- writer ---\n${tail(writer.output())}\n--- gateway ---\n${tail(gateway.output())}`);
      });
      expect(stored.bucket).toBe(1);
      expect(Math.max(...stored.count)).toBe(1); // nothing twice
    } finally {
      await broker.stop();
    }
  }, 240_000);
});

/** For a failure message: where the given batches (sequence - 1) sit in the topic, and what the group committed. */
async function topicReport(brokers: string, topic: string, groupId: string, batches: number[]): Promise<string> {
  const k = createKafka({ brokers: brokers.split(','), clientId: 'report' }, pino({ level: 'silent' }));
  const admin = k.admin();
  await admin.connect();
  try {
    const lines: string[] = [];
    for (const t of await admin.fetchOffsets({ groupId, topics: [topic] })) {
      for (const p of t.partitions) lines.push(`committed p${p.partition}: ${p.offset} ${p.metadata ?? ''}`);
    }
    for (const p of await admin.fetchTopicOffsets(topic)) lines.push(`p${p.partition}: offsets ${p.low}..${p.high}`);
    const consumer = k.consumer({ groupId: `report-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const found = new Map<number, string[]>();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    let seen = 0;
    const total = [...ends.values()].reduce((a, b) => a + b, 0);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      void consumer.run({ eachMessage: async ({ partition, message }) => {
        const req = decodeIngestRequest(message.value!);
        const b = Number(req.sequence) - 1;
        if (batches.includes(b)) found.set(b, [...(found.get(b) ?? []), `p${partition}@${message.offset}`]);
        if (++seen >= total) { clearTimeout(timer); resolve(); }
      } });
    });
    await consumer.disconnect();
    for (const b of batches) lines.push(`batch ${b}: ${found.get(b)?.join(' ') ?? 'not in the topic'}`);
    return lines.join('\n');
  } finally {
    await admin.disconnect();
  }
}
