// The kafkajs client, its logs routed into pino, and the topics Stepstream uses.
import { Kafka, logLevel, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export const POINTS_TOPIC = 'stepstream.points.v1';
export const DLQ_TOPIC = 'stepstream.points.dlq.v1';
/** Largest message Stepstream writes: a whole inflated request. */
export const MAX_MESSAGE_BYTES = 68 * 1024 * 1024;

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  topic: string;
  dlqTopic: string;
  partitions: number;
  retentionMs: number;
}

export function createKafka(cfg: Pick<KafkaConfig, 'brokers' | 'clientId'>, log: Logger): Kafka {
  const child = log.child({ component: 'kafkajs' });
  const toPino = (level: logLevel) => ({ [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' } as const)[level as 1 | 2 | 4 | 5] ?? 'info';
  return new Kafka({
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry as Record<string, unknown>;
      // NOTE: kafkajs logs every failed connection attempt as an error while
      // a broker is down; the sink and source report that state themselves.
      const lvl = toPino(level) === 'error' ? 'warn' : toPino(level);
      child[lvl]({ namespace, ...rest }, String(message));
    },
  });
}

/** Creates the points and dead-letter topics when missing (either role may start first). */
export async function ensureTopics(kafka: Kafka, cfg: KafkaConfig, log: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics: ITopicConfig[] = [];
    const configEntries = [
      { name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) },
      { name: 'retention.ms', value: String(cfg.retentionMs) },
    ];
    if (!existing.has(cfg.topic)) topics.push({ topic: cfg.topic, numPartitions: cfg.partitions, configEntries });
    if (!existing.has(cfg.dlqTopic)) topics.push({ topic: cfg.dlqTopic, numPartitions: 1, configEntries });
    if (topics.length) {
      try {
        await admin.createTopics({ topics, waitForLeaders: true });
        log.info({ topics: topics.map((t) => t.topic), partitions: cfg.partitions }, 'created topics');
      } catch (err) {
        // Another process created them at the same moment: fine.
        if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
      }
    }
  } finally {
    await admin.disconnect();
  }
}
