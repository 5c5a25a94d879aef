// The kafkajs client, its logs routed into pino, and the topics Stepstream uses.
import { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

/** Largest message Stepstream writes: a whole inflated request. */
const MAX_MESSAGE_BYTES = 68 * 1024 * 1024;

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

/** The topics are not served (no leader, or the leader does not host a partition yet) within the deadline. */
export class KafkaTopicsNotReadyError extends Error {
  readonly code = 'SS_ERR_KAFKA_TOPICS_NOT_READY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaTopicsNotReadyError';
  }
}

/** How long start-up waits for the topics' partitions to be served. */
const TOPICS_READY_TIMEOUT_MS = 30_000;

/**
 * Creates the points and dead-letter topics when missing (either role may
 * start first), then waits until every partition of both has a leader that
 * serves it: the gateway's first produce and the writer's first fetch must not
 * meet "This server does not host this topic-partition".
 */
export async function ensureTopics(kafka: Kafka, cfg: KafkaConfig, log: Logger, timeoutMs = TOPICS_READY_TIMEOUT_MS): Promise<void> {
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
        // NOTE: kafkajs' waitForLeaders is no proof the broker serves the
        // partitions (it stops waiting when the metadata does not list the
        // topic yet, and then answers false as if it had existed): topicsReady
        // below is what start-up relies on. False: another process created them.
        if (await admin.createTopics({ topics, waitForLeaders: false })) {
          log.info({ topics: topics.map((t) => t.topic), partitions: cfg.partitions }, 'created topics');
        }
      } catch (err) {
        if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
      }
    }
    // A topic found existing keeps its own partition count; one we created must show all of its partitions.
    const created = new Map(topics.map((t) => [t.topic, t.numPartitions ?? 1]));
    await topicsReady(admin, [cfg.topic, cfg.dlqTopic].map((topic) => ({ topic, partitions: created.get(topic) ?? 1 })), timeoutMs);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Resolves once each topic lists at least `partitions` partitions, each with a
 * leader, and every leader answers for its partitions (a ListOffsets round:
 * a leader elected but not yet hosting the log still refuses it). Throws a
 * KafkaTopicsNotReadyError naming what is missing after `timeoutMs`.
 */
export async function topicsReady(admin: Admin, topics: { topic: string; partitions: number }[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let why = 'not checked yet';
  for (;;) {
    const left = deadline - Date.now();
    try {
      // NOTE: raced against the deadline: a call retries inside kafkajs for seconds.
      const problem = await Promise.race([topicsProblem(admin, topics), new Promise<string>((r) => setTimeout(r, Math.max(left, 0), 'still waiting').unref())]);
      if (problem === null) return;
      why = problem;
    } catch (err) {
      why = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new KafkaTopicsNotReadyError(`Kafka topics ${topics.map((t) => t.topic).join(', ')} not served within ${timeoutMs} ms: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Null when every topic is served, else what is missing. */
async function topicsProblem(admin: Admin, topics: { topic: string; partitions: number }[]): Promise<string | null> {
  const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
  for (const { topic, partitions } of topics) {
    const found = meta.find((m) => m.name === topic)?.partitions ?? [];
    if (found.length < partitions) return `${topic}: ${found.length} of ${partitions} partitions known`;
    const leaderless = found.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0).map((p) => p.partitionId);
    if (leaderless.length) return `${topic}: partitions ${leaderless.join(', ')} have no leader`;
  }
  for (const { topic } of topics) await admin.fetchTopicOffsets(topic);
  return null;
}
