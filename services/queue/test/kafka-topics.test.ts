// ensureTopics with the admin client stubbed (the real broker is in
// test/kafka-*.test.ts): start-up waits until every partition is served, and
// fails with a clear error when that does not happen in time.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { KafkaTopicsNotReadyError, ensureTopics } from '../src/kafka/client.js';
import { waitFor } from '../../../test/support/wait.js';

const cfg = { brokers: ['b:9092'], clientId: 't', topic: 'points', dlqTopic: 'points.dlq', partitions: 3, retentionMs: 1000 };
const log = pino({ level: 'silent' });

/**
 * A broker that has the topics (or creates them) but serves them only once
 * `serve()` is called: until then the metadata lists no leaders and offsets
 * are refused, as a KRaft broker answers while it applies a new topic.
 */
function fakeKafka(existing: string[] = []) {
  let served = false;
  const calls: string[] = [];
  /** Metadata requests answered so far: each is one look at whether the partitions are served. */
  const looks = { count: 0 };
  const unknown = () => Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  const partitionsOf = (topic: string) => (topic === cfg.topic ? cfg.partitions : 1);
  const admin = {
    connect: async () => {}, disconnect: async () => {},
    listTopics: async () => existing,
    createTopics: async () => { calls.push('create'); return true; },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      looks.count++;
      return {
        topics: topics.map((name) => ({
          name,
          partitions: Array.from({ length: partitionsOf(name) }, (_, partitionId) => ({ partitionId, leader: served ? 1 : -1, partitionErrorCode: served ? 0 : 5, replicas: [1], isr: [1] })),
        })),
      };
    },
    fetchTopicOffsets: async (topic: string) => {
      if (!served) throw unknown();
      return Array.from({ length: partitionsOf(topic) }, (_, partition) => ({ partition, offset: '0', high: '0', low: '0' }));
    },
  };
  const kafka = { admin: () => admin } as unknown as Kafka;
  return { kafka, calls, looks, serve: () => { served = true; } };
}

describe('ensureTopics', () => {
  it('returns only once every partition of both topics has a leader that serves it', async () => {
    const { kafka, calls, looks, serve } = fakeKafka();
    let done = false;
    const ensuring = ensureTopics(kafka, cfg, log, 5000).then(() => { done = true; });
    await waitFor('three looks at partitions with no leader', async () => (looks.count >= 3 ? true : undefined), 5000, 10);
    expect(calls).toEqual(['create']);
    expect(done).toBe(false);
    serve();
    await ensuring;
    expect(done).toBe(true);
  });

  it('also waits for topics another process created', async () => {
    const { kafka, calls, looks, serve } = fakeKafka([cfg.topic, cfg.dlqTopic]);
    let done = false;
    const ensuring = ensureTopics(kafka, cfg, log, 5000).then(() => { done = true; });
    await waitFor('three looks at partitions with no leader', async () => (looks.count >= 3 ? true : undefined), 5000, 10);
    expect(done).toBe(false);
    serve();
    await ensuring;
    expect(calls).toEqual([]);
  });

  it('fails after its deadline naming the topics and what is missing', async () => {
    const { kafka } = fakeKafka();
    const t0 = Date.now();
    const err = await ensureTopics(kafka, cfg, log, 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaTopicsNotReadyError);
    expect(err).toMatchObject({ code: 'SS_ERR_KAFKA_TOPICS_NOT_READY' });
    expect((err as Error).message).toMatch(/points, points\.dlq not served within 500 ms: points: partitions 0, 1, 2 have no leader/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
