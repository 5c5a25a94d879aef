// KafkaSink with the client stubbed by a broker that deduplicates like
// Kafka's idempotence (the real broker paths are in test/kafka-*.test.ts):
// a produce call that failed after the broker appended it must not make the
// next batch look like its repeat.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Kafka, Message } from 'kafkajs';
import { KafkaSink } from '../src/kafka/kafka-sink.js';

/**
 * One partition. Each producer gets a new id on connect and numbers its batches
 * from 0, counting a batch only once acked (as kafkajs does). The broker keeps
 * each id's last batch: the same sequence range again is answered as a repeat
 * without being written, any other gap is refused.
 */
function idempotentBroker() {
  const log: string[] = [];
  const last = new Map<number, { first: number; last: number }>();
  const state = { producers: 0, loseNextAnswer: false };
  const producer = () => {
    let pid = -1;
    let sequence = 0;
    return {
      connect: async () => { pid = ++state.producers; },
      disconnect: async () => {},
      send: async ({ messages }: { messages: Message[] }) => {
        const first = sequence, end = sequence + messages.length - 1;
        const prev = last.get(pid);
        const repeat = prev?.first === first && prev.last === end;
        if (!repeat) {
          if ((prev ? prev.last + 1 : 0) !== first) throw new Error('The broker received an out of order sequence number');
          log.push(...messages.map((m) => String(m.value)));
          last.set(pid, { first, last: end });
          if (state.loseNextAnswer) {
            // Appended, then the connection dropped and reconnecting gave up.
            state.loseNextAnswer = false;
            throw new Error('Connection error: connect ECONNREFUSED');
          }
        }
        sequence = end + 1;
        return [{ topicName: 't', partition: 0, errorCode: 0 }];
      },
    };
  };
  return { kafka: { producer } as unknown as Kafka, log, state };
}

const msg = (v: string) => ({ key: 'run', value: Buffer.from(v), points: 1 });

describe('KafkaSink', () => {
  it('acks a batch only when the broker wrote it, also right after a call that failed once written', async () => {
    const { kafka, log, state } = idempotentBroker();
    const sink = new KafkaSink(kafka, { topic: 't', maxPendingBytes: 1 << 20, maxBatchBytes: 1 << 20, ackTimeoutMs: 5000 }, pino({ level: 'silent' }));
    await sink.start();
    await sink.send(msg('a'));
    state.loseNextAnswer = true;
    await expect(sink.send(msg('b'))).rejects.toThrow(/Kafka refused the batch/); // 503: it may still land, and it did
    await sink.send(msg('c')); // 202
    await sink.send(msg('d'));
    expect(log).toEqual(['a', 'b', 'c', 'd']);
    expect(state.producers).toBe(2); // a new producer id after the failed call, and only then
    await sink.close();
  });
});
