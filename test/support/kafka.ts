// A Kafka broker for integration tests: the one named by KAFKA_BROKERS, or a
// fresh single-node KRaft broker (deploy/kafka/broker.mjs) on free ports in a
// temp dir that stop() removes.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
