// A Kafka broker for integration tests: the one named by KAFKA_BROKERS, or a
// fresh single-node KRaft broker (deploy/kafka/broker.mjs) on free ports in a
// temp dir that stop() removes.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import type { Admin, Consumer, ISocketFactory } from 'kafkajs';
import { topicsReady } from '@stepstream/queue';
import { startBroker } from '../../deploy/kafka/broker.mjs';

export interface TestKafka {
  brokers: string[];
  /** Stops the broker this call started and removes its data; a no-op for KAFKA_BROKERS. Idempotent. */
  stop(): Promise<void>;
}

export async function startKafka(): Promise<TestKafka> {
  const external = process.env['KAFKA_BROKERS']?.trim();
  if (external) {
    return { brokers: external.split(',').map((b) => b.trim()).filter(Boolean), stop: async () => {} };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'stepstream-kafka-'));
  let broker;
  try {
    broker = await startBroker({ dataDir });
  } catch (err) {
    // Keep the dir: its broker.log is what explains the failure.
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`test Kafka broker did not start (data and broker.log kept in ${dataDir}): ${why}`, { cause: err });
  }
  let stopping: Promise<void> | undefined;
  return {
    brokers: [broker.brokers],
    stop: () =>
      (stopping ??= (async () => {
        await broker.stop();
        await rm(dataDir, { recursive: true, force: true });
      })()),
  };
}

/** `prefix-<12 hex>`: a topic or group name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * Resolves once `topic` lists `partitions` partitions, each with a leader that
 * serves it. NOTE: `createTopics({ waitForLeaders: true })` is no such proof:
 * kafkajs stops waiting when the broker's metadata does not list the topic
 * yet, and the first produce or fetch then meets "This server does not host
 * this topic-partition". Use a fresh admin whose errors no test asserts on:
 * the polls before the broker is ready are logged by kafkajs as errors, and
 * an admin that once asked for a topic deleted since fails every offsets call
 * (kafkajs keeps asking the broker for it).
 */
export async function waitForTopicReady(admin: Admin, topic: string, partitions: number, timeoutMs = 20_000): Promise<void> {
  await topicsReady(admin, [{ topic, partitions }], timeoutMs);
}

/**
 * The partitions of `topic` the consumer is given once its group assignment
 * holds at least `partitions` of them. Call before `consumer.run()`: the
 * assignment is announced once per join.
 */
export function waitForAssignment(consumer: Consumer, topic: string, partitions: number, timeoutMs = 30_000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      remove();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${partitions} partitions of ${topic} to be assigned`));
    }, timeoutMs);
    const remove = consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const got = payload.memberAssignment[topic] ?? [];
      if (got.length < partitions) return;
      clearTimeout(timer);
      remove();
      resolve([...got].sort((a, b) => a - b));
    });
  });
}

/** A TCP proxy in front of a broker that can lose the answer to a Produce request and then go away. */
export interface LossyProxy {
  /** Give to kafkajs as `socketFactory`: every connection (seed or advertised broker) goes through the proxy. */
  socketFactory: ISocketFactory;
  /** The next Produce request reaches the broker; its answer is dropped and the proxy stops listening (ECONNREFUSED). */
  loseNextProduceAnswer(): void;
  /** Listening again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * NOTE: Kafka frames are a 4-byte size then the body; a request body starts
 * with api key (Produce = 0), version and correlation id, a response body with
 * the correlation id. That is all the proxy reads.
 */
export async function lossyKafkaProxy(broker: string): Promise<LossyProxy> {
  const [host, port] = [broker.slice(0, broker.lastIndexOf(':')), Number(broker.slice(broker.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  let lose = false;
  let lostCorrelationId: number | null = null;
  const frames = (onFrame: (frame: Buffer) => boolean) => {
    let buf = Buffer.alloc(0);
    return (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(0, 4 + buf.readInt32BE(0));
        buf = buf.subarray(frame.length);
        if (!onFrame(frame)) return;
      }
    };
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => { sockets.delete(s); client.destroy(); upstream.destroy(); });
    }
    client.on('data', frames((frame) => {
      if (lose && frame.readInt16BE(4) === 0) { lose = false; lostCorrelationId = frame.readInt32BE(8); }
      upstream.write(frame);
      return true;
    }));
    upstream.on('data', frames((frame) => {
      if (frame.readInt32BE(4) === lostCorrelationId) {
        // The broker handled the request: drop its answer, and be gone.
        lostCorrelationId = null;
        server.close();
        for (const s of sockets) s.destroy();
        return false;
      }
      client.write(frame);
      return true;
    }));
  });
  const listen = (p: number) => new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(p, '127.0.0.1', () => { server.off('error', reject); resolve(); }); });
  await listen(0);
  const proxyPort = (server.address() as net.AddressInfo).port;
  return {
    socketFactory: ({ onConnect }) => net.connect({ host: '127.0.0.1', port: proxyPort }, onConnect),
    loseNextProduceAnswer: () => { lose = true; },
    restore: () => listen(proxyPort),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
