// The distributed path on a real Kafka broker: gateway and writer as separate
// processes, writer crashes, rebalances, client retries, poison messages.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeIngestRequest } from '@stepstream/proto';
import { KafkaSink, KafkaSource, createKafka, ensureTopics } from '@stepstream/queue';
import { createRegistry } from '@stepstream/runtime';
import { EmbeddedAdapter, Store, type WriteSet } from '@stepstream/storage';
import { BatchWriter } from '@stepstream/writer';
import { lossyKafkaProxy, startKafka, uniqueName, type TestKafka } from './support/kafka.js';
import { startChild, type Child } from './support/process.js';
import { encodeRequest } from './support/requests.js';
import { getJson } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const log = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
const PROJECT = 'kafka';

/** One batch: `n` points of metric m at steps [first, first + n) of a run and rank. */
function batch(run: string, rank: number, first: number, n: number, clientId: string, sequence: number): Buffer {
  const steps = Array.from({ length: n }, (_, i) => first + i);
  return encodeRequest({ project: PROJECT, runId: run, clientId, sequence, series: [{ metric: 'm', rank, steps, values: steps.map((s) => (s % 97 === 0 ? NaN : Math.sin(s))) }] });
}

/** Posts until a 202 (a client's retry loop: same bytes, same client_id/sequence). */
async function send(url: string, body: Buffer): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } }).catch(() => null);
    await res?.arrayBuffer();
    if (res?.status === 202) return;
    if (res && res.status < 500) throw new Error(`ingest refused: ${res.status}`);
    if (attempt > 200) throw new Error('ingest never accepted the batch');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Points stored for a run: from summaries, and from two rollup tiers. */
async function counts(queryUrl: string, run: string, rank: number): Promise<{ summary: number; tierFine: number; tierCoarse: number } | undefined> {
  const detail = await getJson(`${queryUrl}/v1/projects/${PROJECT}/runs/${run}/ranks?metric=m`);
  if (detail.status !== 200) return undefined;
  const r = detail.body.ranks.find((x: { rank: number }) => x.rank === rank);
  if (!r) return undefined;
  const sum = async (points: number) => {
    const s = await getJson(`${queryUrl}/v1/projects/${PROJECT}/runs/${run}/series?metric=m&rank=${rank}&points=${points}`);
    return (s.body.count as number[]).reduce((a, b) => a + b, 0);
  };
  return { summary: r.count, tierFine: await sum(5000), tierCoarse: await sum(3) };
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
        const c = await counts(writer.url, run, i);
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

  it('answers 503 while the broker is down and loses no acknowledged batch', async () => {
    if (process.env['KAFKA_BROKERS']) {
      console.info('skipped: KAFKA_BROKERS names an external broker this test cannot stop and restart');
      return;
    }
    const { startBroker } = await import('../deploy/kafka/broker.mjs');
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
    await new Promise((r) => setTimeout(r, 1500));
    // C leaves (a rebalance), B takes over its partitions.
    await c.writer.close();
    await produce(20, 10);

    for (const run of runs) {
      const n = await waitFor(`run ${run} stored`, async () => {
        const [r] = await store.reads.ranks(PROJECT, run, 'm');
        return r && r.count >= 3000 ? r.count : undefined;
      }, 60_000, 200);
      expect(n).toBe(3000);
      const tier = await store.reads.series({ project: PROJECT, run, metric: 'm', rank: -1, bucket: 65536, source: 4096, lo: 0, hi: 65536 });
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
    const got = await waitFor('good batches stored', async () => (await counts(writer.url, 'poison', 0))?.summary === 100 ? true : undefined, 30_000, 200);
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
