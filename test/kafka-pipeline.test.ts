// The distributed path on a real Kafka broker: gateway and writer as separate
// processes, writer crashes, rebalances, client retries, poison messages. The
// broker stopped under load is in kafka-outage.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaSink, KafkaSource, createKafka, ensureTopics } from '@stepstream/queue';
import { createRegistry } from '@stepstream/runtime';
import { EmbeddedAdapter, Store, attemptSegment, type WriteSet } from '@stepstream/storage';
import { BatchWriter } from '@stepstream/writer';
import { lossyKafkaProxy, startKafka, uniqueName, type TestKafka } from './support/kafka.js';
import { PROJECT, batch, storedCounts } from './support/pipeline-batches.js';
import { startChild, type Child } from './support/process.js';
import { encodeRequest } from './support/requests.js';
import { waitFor } from './support/wait.js';

const log = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

/** Posts until the gateway answers below 500, and fails unless that is a 202 (a client's retry loop: same bytes, same client_id/sequence). */
async function send(url: string, body: Buffer): Promise<void> {
  const status = await waitFor('the gateway to take the batch', async () => {
    const res = await fetch(`${url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } }).catch(() => null);
    await res?.arrayBuffer();
    return res && res.status < 500 ? res.status : undefined;
  }, 30_000, 50);
  if (status !== 202) throw new Error(`ingest refused: ${status}`);
}

describe('through Kafka', () => {
  let kafka: TestKafka;
  const dirs: string[] = [];
  const children: Child[] = [];
  const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'ss-kafka-')); dirs.push(d); return d; };
  const child = async (args: string[]) => { const c = await startChild(args, { KAFKAJS_NO_PARTITIONER_WARNING: '1' }); children.push(c); return c; };

  beforeAll(async () => { kafka = await startKafka(); }, 180_000);
  afterAll(async () => {
    for (const c of children) await c.stop(5000);
    await kafka?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  const topicFlags = () => {
    const topic = uniqueName('points');
    return ['--kafka', kafka.brokers.join(','), '--kafka-topic', topic, '--kafka-dlq-topic', `${topic}.dlq`, '--kafka-partitions', '4'];
  };

  it('stores everything exactly once while the writer process is SIGKILLed twice, and client retries count once', async () => {
    const flags = topicFlags();
    const group = ['--kafka-group', uniqueName('writers')];
    const data = tmp();
    const gateway = await child(['--target', 'gateway', ...flags]);
    let writer = await child(['--target', 'writer,query', '--data', data, '--flush-ms', '50', ...flags, ...group]);

    const runs = ['r0', 'r1', 'r2', 'r3'];
    const perBatch = 2000, batchesPerRun = 30;
    let killed = 0;
    const sending = (async () => {
      for (let b = 0; b < batchesPerRun; b++) {
        await Promise.all(runs.map(async (run, i) => {
          const body = batch(run, i, b * perBatch, perBatch, `client-${run}`, b + 1);
          await send(gateway.url, body);
          if (b % 7 === 0) await send(gateway.url, body); // a client retry of an acked batch
        }));
        if (b === 8 || b === 20) {
          writer.proc.kill('SIGKILL');
          await writer.exited;
          killed++;
          writer = await child(['--target', 'writer,query', '--data', data, '--flush-ms', '50', ...flags, ...group]);
        }
      }
    })();
    await sending;
    expect(killed).toBe(2);
    const want = perBatch * batchesPerRun;
    for (const [i, run] of runs.entries()) {
      const got = await waitFor(`run ${run} complete`, async () => {
        const c = await storedCounts(writer.url, run, i);
        return c && c.summary >= want ? c : undefined;
      }, 60_000, 200);
      expect(got).toEqual({ summary: want, tierFine: want, tierCoarse: want });
    }
    const metrics = await (await fetch(`${writer.url}/metrics`)).text();
    // Everything stored is committed soon after: every partition's lag drops to 0.
    const lagsOf = (text: string) => [...text.matchAll(/^stepstream_writer_partition_lag\{partition="\d+"\} (\d+)/gm)].map((m) => Number(m[1]));
    expect(lagsOf(metrics).length).toBeGreaterThan(0);
    const lags = await waitFor('lag 0 on every partition', async () => {
      const l = lagsOf(await (await fetch(`${writer.url}/metrics`)).text());
      return l.every((x) => x === 0) ? l : undefined;
    }, 15_000, 200);
    expect(lags.length).toBeGreaterThan(0);
  }, 180_000);

  it('gateway sink: a produce call that failed once the broker had written it does not make the next batch an unwritten repeat', async () => {
    const cfg = { brokers: kafka.brokers, clientId: 'test', topic: uniqueName('points'), dlqTopic: uniqueName('dlq'), partitions: 1, retentionMs: 3_600_000 };
    const direct = createKafka(cfg, log);
    await ensureTopics(direct, cfg, log);
    const proxy = await lossyKafkaProxy(kafka.brokers[0]!);
    // Few retries: kafkajs gives up reconnecting quickly, as it does after a longer outage.
    const lossy = new Kafka({ clientId: 'lossy', brokers: kafka.brokers, socketFactory: proxy.socketFactory, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 300 } });
    const sink = new KafkaSink(lossy, { topic: cfg.topic, maxPendingBytes: 1 << 20, maxBatchBytes: 1 << 20, ackTimeoutMs: 60_000 }, log);
    const admin = direct.admin();
    try {
      await sink.start();
      await admin.connect();
      const msg = (v: string) => ({ key: 'run', value: Buffer.from(v), points: 1 });
      await sink.send(msg('a'));
      proxy.loseNextProduceAnswer();
      await expect(sink.send(msg('b'))).rejects.toThrow(/Kafka refused the batch/); // a 503; b is in the topic all the same
      await proxy.restore();
      await sink.send(msg('c')); // a 202: c must be in the topic
      const [p0] = await admin.fetchTopicOffsets(cfg.topic);
      expect(Number(p0!.high)).toBe(3);
    } finally {
      await sink.close().catch(() => {});
      await admin.disconnect();
      await proxy.close();
    }
  }, 60_000);

  it('replays a delivery stored but not committed when its writer dies, and a second writer takes over without double counts', async () => {
    const cfg = { brokers: kafka.brokers, clientId: 'test', topic: uniqueName('points'), dlqTopic: uniqueName('dlq'), partitions: 4, retentionMs: 3_600_000 };
    const k = createKafka(cfg, log);
    await ensureTopics(k, cfg, log);
    const producer = k.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const runs = ['a', 'b', 'c', 'd', 'e', 'f'];
    const produce = async (from: number, n: number) => {
      for (let i = 0; i < n; i++) {
        await producer.send({ topic: cfg.topic, acks: -1, messages: runs.map((run) => ({ key: run, value: batch(run, -1, (from + i) * 100, 100, `c-${run}`, from + i + 1) })) });
      }
    };
    await produce(0, 10);

    const dir = tmp();
    const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', log);
    await store.migrate();
    const groupId = uniqueName('writers');
    const limits = { maxPoints: 1e6, maxBytes: 64 << 20, maxWaitMs: 50 };
    const makeWriter = async (name: string, storeFor: Store) => {
      const source = new KafkaSource(k, { topic: cfg.topic, groupId, maxBufferedBytes: 64 << 20 }, log.child({ writer: name }));
      const writer = new BatchWriter({ source, store: storeFor, registry: createRegistry(), log, limits });
      await writer.start(); // starts its source too
      return { source, writer };
    };

    // Writer A dies right after its first insert, before committing: leaves the group without a commit.
    let crashed = false;
    let dying: Promise<unknown> = Promise.resolve();
    let a: { source: KafkaSource; writer: BatchWriter } | null = null;
    const crashing = Object.create(store) as Store;
    crashing.write = async (set: WriteSet) => {
      const r = await store.write(set);
      if (!crashed && r.rows > 0) {
        // NOTE: not awaited: the writer's loop is the caller, waiting for this.
        crashed = true;
        dying = Promise.all([a!.writer.abortNow(), a!.source.close(0)]);
        throw new Error('writer A crashed after storing');
      }
      return r;
    };
    a = await makeWriter('A', crashing);
    await waitFor('writer A to crash', async () => (crashed ? true : undefined), 30_000);
    await dying;

    const b = await makeWriter('B', store);
    const c = await makeWriter('C', store);
    await produce(10, 10);
    // C must own partitions for its leaving to hand them to B.
    const admin = k.admin();
    await admin.connect();
    try {
      await waitFor('B and C sharing the partitions, the first 20 batches stored', async () => {
        const { groups: [group] } = await admin.describeGroups([groupId]);
        if (group?.state !== 'Stable' || group.members.length !== 2) return undefined;
        for (const run of runs) {
          const [r] = await store.lineage.summaries(PROJECT, [attemptSegment(run)], { metric: 'm' });
          if (!r || r.count < 2000) return undefined;
        }
        return true;
      }, 60_000, 100);
    } finally {
      await admin.disconnect();
    }
    // C leaves (a rebalance), B takes over its partitions.
    await c.writer.close();
    await produce(20, 10);

    for (const run of runs) {
      const n = await waitFor(`run ${run} stored`, async () => {
        const [r] = await store.lineage.summaries(PROJECT, [attemptSegment(run)], { metric: 'm' });
        return r && r.count >= 3000 ? r.count : undefined;
      }, 60_000, 200);
      expect(n).toBe(3000);
      const tier = await store.lineage.series({ project: PROJECT, run, metric: 'm', rank: -1, bucket: 65536, source: 4096, lo: 0, hi: 65536 });
      expect(tier[0]!.count).toBe(3000);
    }
    await b.writer.close();
    await producer.disconnect();
    await store.close();
  }, 180_000);

  it('sends a poison message to the dead-letter topic and keeps consuming', async () => {
    const flags = topicFlags();
    const topic = flags[3]!;
    const writer = await child(['--target', 'writer,query', '--data', tmp(), '--flush-ms', '50', ...flags]);
    const k = createKafka({ brokers: kafka.brokers, clientId: 'test' }, log);
    const producer = k.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [
      { key: 'p', value: batch('poison', 0, 0, 50, 'c', 1) },
      { key: 'p', value: Buffer.from([0x0a, 0xff, 0xff, 0x01]) },
      { key: 'p', value: encodeRequest({ project: PROJECT, runId: 'poison', series: [{ metric: 'bad name!', steps: [1], values: [1] }] }) },
      { key: 'p', value: batch('poison', 0, 50, 50, 'c', 2) },
    ] });
    await producer.disconnect();
    const got = await waitFor('good batches stored', async () => (await storedCounts(writer.url, 'poison', 0))?.summary === 100 ? true : undefined, 30_000, 200);
    expect(got).toBe(true);

    const consumer = k.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    const reasons: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => { reasons.push(String(message.headers?.['stepstream-reason'])); } });
    await waitFor('two dead letters', async () => (reasons.length >= 2 ? true : undefined), 30_000);
    await consumer.disconnect();
    expect(reasons).toEqual([expect.stringMatching(/^undecodable/), expect.stringMatching(/^invalid: .*metric/)]);
    const metrics = await (await fetch(`${writer.url}/metrics`)).text();
    expect(metrics).toMatch(/stepstream_writer_dead_letters_total 2/);
  }, 120_000);
});
