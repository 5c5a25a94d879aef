// The local broker (deploy/kafka) against the client the services use
// (kafkajs 2.2.4): the features the gateway and writer rely on.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import { startKafka, uniqueName, waitForAssignment, waitForTopicReady, type TestKafka } from './support/kafka.js';
import { waitFor } from './support/wait.js';

let kafka: TestKafka;
let client: Kafka;
const warnings: LogEntry[] = []; // kafkajs WARN/ERROR lines, checked at the end

beforeAll(async () => {
  kafka = await startKafka();
  client = new Kafka({
    clientId: 'kafka-broker-test',
    brokers: kafka.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      warnings.push(entry);
    },
    retry: { retries: 5, initialRetryTime: 100 },
  });
});

afterAll(async () => {
  await kafka?.stop();
});

/**
 * Creates a topic and waits until the broker serves every partition. NOTE:
 * waitForLeaders is no such proof (see waitForTopicReady), and with it a
 * create retried inside kafkajs answers false ("already exists").
 */
async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<boolean> {
  const created = await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: false });
  // A quiet admin of its own: the polls before the topic is served are logged
  // by kafkajs as errors, which the last test would count.
  const ready = new Kafka({ clientId: 'kafka-broker-test-ready', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await ready.connect();
  try {
    await waitForTopicReady(ready, topic, numPartitions);
  } finally {
    await ready.disconnect();
  }
  return created;
}

/** Cleanups registered where each client is made; run after each test, last first. */
function track<T extends { disconnect(): Promise<void> }>(c: T, cleanups: (() => Promise<void>)[]): T {
  cleanups.push(() => c.disconnect());
  return c;
}

function idempotentProducer(): Producer {
  return client.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    // NOTE: any client-level `retry` makes kafkajs warn "Limiting retries for
    // the idempotent producer may invalidate EoS guarantees"; unbounded retries
    // (with a short backoff) are what it wants.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
    // NOTE: naming the partitioner silences kafkajs' v2 "default partitioner
    // changed" warning; DefaultPartitioner is murmur2, as the Java client.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

describe('local Kafka broker with kafkajs', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  };
  afterEach(cleanup);

  it('creates a topic with partitions', async () => {
    const admin: Admin = track(client.admin(), cleanups);
    await admin.connect();
    const topic = uniqueName('ss-test-create');
    expect(await createTopic(admin, topic, 3)).toBe(true);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(await admin.listTopics()).toContain(topic);
    await admin.deleteTopics({ topics: [topic] });
  });

  it('idempotent producer: keyed sends with acks=all, same key same partition', async () => {
    const admin = track(client.admin(), cleanups);
    await admin.connect();
    const topic = uniqueName('ss-test-produce');
    await createTopic(admin, topic, 3);
    const producer = track(idempotentProducer(), cleanups);
    await producer.connect();

    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `run-${i % 5}`, value: `point-${i}` }));
    const meta = await producer.send({ topic, acks: -1, messages });
    expect(meta.every((m) => m.errorCode === 0)).toBe(true);
    // Idempotence: a retried send would be deduplicated by (producerId, epoch, seq);
    // here we check the broker took exactly the 30 records once.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(30);

    const partitionsOfKey = new Map<string, Set<number>>();
    const second = await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: [0, 1, 2, 3, 4].map((k) => ({ key: `run-${k}`, value: 'again' })) }],
    });
    for (const r of second) expect(r.errorCode).toBe(0);
    const consumer = track(client.consumer({ groupId: uniqueName('ss-test-keys'), maxWaitTimeInMs: 100 }), cleanups);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const assigned = waitForAssignment(consumer, topic, 3);
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key!.toString();
        partitionsOfKey.set(key, (partitionsOfKey.get(key) ?? new Set()).add(partition));
        seen++;
      },
    });
    expect(await assigned).toEqual([0, 1, 2]);
    await waitFor('35 keyed records', async () => seen >= 35 || undefined);
    expect(seen).toBe(35);
    expect(partitionsOfKey.size).toBe(5);
    for (const parts of partitionsOfKey.values()) expect(parts.size).toBe(1);
  });

  it('consumer group: eachBatch, manual commit with metadata, read back by admin', async () => {
    const admin = track(client.admin(), cleanups);
    await admin.connect();
    const topic = uniqueName('ss-test-commit');
    const groupId = uniqueName('ss-test-writer');
    await createTopic(admin, topic, 2);
    const producer = track(idempotentProducer(), cleanups);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 20 }, (_, i) => ({ key: `run-${i % 4}`, value: String(i), partition: i % 2 })),
    });

    const consumer: Consumer = track(client.consumer({ groupId, maxWaitTimeInMs: 200 }), cleanups);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const consumed = new Map<number, number>(); // partition -> records
    const commits: { partition: number; offset: string; metadata: string }[] = [];
    const assigned = waitForAssignment(consumer, topic, 2);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const m of batch.messages) resolveOffset(m.offset);
        consumed.set(batch.partition, (consumed.get(batch.partition) ?? 0) + batch.messages.length);
        // As the writer does: commit the next offset only after the batch is stored.
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        const c = { partition: batch.partition, offset: next, metadata: `batch:${batch.partition}:${next}` };
        await consumer.commitOffsets([{ topic: batch.topic, ...c }]);
        commits.push(c);
        await heartbeat();
      },
    });
    expect(await assigned).toEqual([0, 1]);
    await waitFor('all 20 records', async () => ([...consumed.values()].reduce((a, b) => a + b, 0) >= 20) || undefined);
    await consumer.stop();

    const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(fetched?.topic).toBe(topic);
    const byPartition = [...(fetched?.partitions ?? [])].sort((a, b) => a.partition - b.partition);
    expect(byPartition.map((p) => p.offset)).toEqual(['10', '10']);
    for (const p of byPartition) expect(p.metadata).toBe(`batch:${p.partition}:10`);
    expect(commits.length).toBeGreaterThanOrEqual(2);
  });

  it('pause stops delivery from a partition and resume restarts it', async () => {
    const admin = track(client.admin(), cleanups);
    await admin.connect();
    const topic = uniqueName('ss-test-pause');
    await createTopic(admin, topic, 2);
    const producer = track(idempotentProducer(), cleanups);
    await producer.connect();
    const consumer = track(client.consumer({ groupId: uniqueName('ss-test-pause'), maxWaitTimeInMs: 100 }), cleanups);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const got: { partition: number; value: string }[] = [];
    const assigned = waitForAssignment(consumer, topic, 2);
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, value: message.value!.toString() });
      },
    });
    // Paused before the group assigned the partitions, a join could undo it.
    expect(await assigned).toEqual([0, 1]);
    await producer.send({ topic, acks: -1, messages: [{ value: 'a0', partition: 0 }, { value: 'a1', partition: 1 }] });
    await waitFor('first two records', async () => got.length >= 2 || undefined);

    consumer.pause([{ topic, partitions: [0] }]);
    expect(consumer.paused()).toEqual([{ topic, partitions: [0] }]);
    await producer.send({ topic, acks: -1, messages: [{ value: 'b0', partition: 0 }, { value: 'b1', partition: 1 }] });
    // The unpaused partition keeps flowing: once b1 is in, fetches have run
    // while partition 0 was paused, so b0 must not have come through them.
    await waitFor('b1 from the unpaused partition', async () => got.some((g) => g.value === 'b1') || undefined);
    await producer.send({ topic, acks: -1, messages: [{ value: 'c1', partition: 1 }] });
    await waitFor('c1 from the unpaused partition', async () => got.some((g) => g.value === 'c1') || undefined);
    expect(got.some((g) => g.value === 'b0')).toBe(false);

    consumer.resume([{ topic, partitions: [0] }]);
    expect(consumer.paused()).toEqual([]);
    await waitFor('b0 after resume', async () => got.some((g) => g.value === 'b0') || undefined);
  });

  it('kafkajs logged no protocol errors', () => {
    const errors = warnings.filter((w) => w.level <= logLevel.ERROR);
    expect(errors.map((e) => `${e.namespace}: ${e.log.message} ${JSON.stringify(e.log)}`)).toEqual([]);
    if (warnings.length) console.warn(warnings.map((w) => `${w.namespace}: ${w.log.message}`).join('\n'));
  });
});
