// KafkaSource's own bookkeeping, with the Kafka client stubbed (the real
// broker paths are in test/kafka-*.test.ts): what happens to buffered
// messages when a plan cannot be committed.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { KafkaSource } from '../src/kafka/kafka-source.js';
import { waitFor } from '../../../test/support/wait.js';

/** A consumer group of one, in memory: eachBatch is fed by hand, commits can be made to fail. */
function fakeKafka() {
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const committed = new Map<number, { offset: string; metadata: string | null }>();
  const state = { failCommits: 0, commits: [] as { partition: number; offset: string; metadata: string | null }[] };
  const consumer = {
    connect: async () => {}, disconnect: async () => {}, subscribe: async () => {},
    on: () => () => {},
    events: { GROUP_JOIN: 'group_join', CRASH: 'crash' },
    run: async (opts: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => { eachBatch = opts.eachBatch; },
    commitOffsets: async (offsets: { partition: number; offset: string; metadata: string | null }[]) => {
      if (state.failCommits > 0) { state.failCommits--; throw new Error('The coordinator is not available'); }
      for (const o of offsets) { committed.set(o.partition, { offset: o.offset, metadata: o.metadata }); state.commits.push(o); }
    },
  };
  const admin = {
    connect: async () => {}, disconnect: async () => {},
    fetchOffsets: async () => [{ topic: 't', partitions: [...committed].map(([partition, c]) => ({ partition, offset: c.offset, metadata: c.metadata })) }],
  };
  const kafka = { consumer: () => consumer, admin: () => admin } as unknown as Kafka;
  const feed = async (partition: number, offsets: number[]) => {
    const messages = offsets.map((o) => ({ offset: String(o), value: Buffer.from(`m${o}`), timestamp: String(Date.now() - 10_000) }));
    await eachBatch!({
      batch: { topic: 't', partition, isEmpty: () => messages.length === 0, firstOffset: () => String(offsets[0]), highWatermark: String(offsets.at(-1)! + 1), messages },
      heartbeat: async () => {}, isRunning: () => true, isStale: () => false,
    } as unknown as EachBatchPayload);
  };
  return { kafka, feed, state };
}

const limits = { maxPoints: 1e9, maxBytes: 1 << 20, maxWaitMs: 10 };

describe('KafkaSource', () => {
  it('keeps the messages of a delivery whose plan could not be committed, and delivers them once the broker answers', async () => {
    const { kafka, feed, state } = fakeKafka();
    const source = new KafkaSource(kafka, { topic: 't', groupId: 'g', maxBufferedBytes: 1 << 20 }, pino({ level: 'silent' }));
    await source.start();
    await feed(0, [0, 1, 2, 3, 4]);
    expect(source.depth().messages).toBe(5);

    state.failCommits = 1; // the broker is away for the plan's commit
    await expect(source.next(limits, new AbortController().signal)).rejects.toThrow(/coordinator/);
    expect(source.depth()).toMatchObject({ messages: 5, bytes: 10 });

    const d = await source.next(limits, new AbortController().signal);
    expect(d?.messages.map((m) => Buffer.from(m.value).toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(d?.token).toBe('kafka:t:0:0-4');
    await d!.commit();
    expect(state.commits.map((c) => [c.offset, c.metadata])).toEqual([['0', 'plan:4'], ['5', null]]);
    expect(source.depth()).toMatchObject({ messages: 0, bytes: 0 });
    await source.close();
  });

  it('starts a new consumer when kafkajs crashed one without restarting it', async () => {
    type Handler = (e: { payload: Record<string, unknown> }) => void;
    const consumers: { handlers: Map<string, Handler>; runs: number; disconnected: boolean; commits: unknown[] }[] = [];
    const kafka = {
      consumer: () => {
        const c = { handlers: new Map<string, Handler>(), runs: 0, disconnected: false, commits: [] as unknown[] };
        consumers.push(c);
        return {
          connect: async () => {}, disconnect: async () => { c.disconnected = true; }, subscribe: async () => {},
          on: (event: string, h: Handler) => { c.handlers.set(event, h); return () => {}; },
          events: { GROUP_JOIN: 'group_join', CRASH: 'crash' },
          run: async () => { c.runs++; },
          commitOffsets: async (o: unknown[]) => { c.commits.push(...o); },
        };
      },
      admin: () => ({ connect: async () => {}, disconnect: async () => {}, fetchOffsets: async () => [] }),
    } as unknown as Kafka;
    const source = new KafkaSource(kafka, { topic: 't', groupId: 'g', maxBufferedBytes: 1 << 20 }, pino({ level: 'silent' }));
    await source.start();
    expect(consumers.length).toBe(1);
    // As kafkajs reports "Failed to find group coordinator" while the broker is away.
    consumers[0]!.handlers.get('crash')!({ payload: { error: new Error('Failed to find group coordinator'), restart: false } });
    await waitFor('a new consumer in place of the crashed one', async () => (consumers.length >= 2 ? true : undefined), 5000, 10);
    expect(consumers.length).toBe(2);
    await waitFor('the crashed consumer disconnected', async () => (consumers[0]!.disconnected ? true : undefined), 5000, 10);
    expect(consumers[1]!.runs).toBe(1);
    // A crash kafkajs restarts by itself is left to it.
    consumers[1]!.handlers.get('crash')!({ payload: { error: new Error('The coordinator is not available'), restart: true } });
    // NOTE: a check that nothing happens needs a window: longer than the 1 s replacement delay.
    await new Promise((r) => setTimeout(r, 1300));
    expect(consumers.length).toBe(2);
    await source.close();
    expect(consumers[1]!.disconnected).toBe(true);
  });
});
