// Every setting of `stepstream` (serve), with its flag, variable and default.
// docs/configuration.md is this table in prose; keep them together.
import { ConfigError, parseKeyEntries, setting, type ConfigOf, type KeyEntry } from '@stepstream/runtime';

const TARGETS = ['all', 'gateway', 'writer', 'query'] as const;
export type Role = 'gateway' | 'writer' | 'query';

const MiB = 1024 * 1024;

export const serveSchema = {
  target: setting({ kind: 'list', flag: 'target', env: 'STEPSTREAM_TARGET', default: ['all'], doc: 'roles to run: all, or any of gateway, writer, query (comma-separated)' }),
  host: setting({ kind: 'string', flag: 'host', env: 'STEPSTREAM_HOST', default: '127.0.0.1', doc: 'address to listen on (0.0.0.0 for every interface)' }),
  port: setting({ kind: 'int', flag: 'port', env: 'STEPSTREAM_PORT', default: 4300, min: 0, max: 65535, doc: 'HTTP port (ingest, query, dashboard, health, metrics)' }),
  data: setting({ kind: 'string', flag: 'data', env: 'STEPSTREAM_DATA', default: './.stepstream', doc: 'data directory of the embedded store' }),
  clickhouseUrl: setting({ kind: 'string', flag: 'clickhouse-url', env: 'CLICKHOUSE_URL', default: '', doc: 'ClickHouse server URL; empty = the embedded engine in --data' }),
  clickhouseUser: setting({ kind: 'string', flag: 'clickhouse-user', env: 'CLICKHOUSE_USER', default: 'default', doc: 'ClickHouse user (http store)' }),
  clickhousePassword: setting({ kind: 'string', flag: 'clickhouse-password', env: 'CLICKHOUSE_PASSWORD', default: '', doc: 'ClickHouse password (http store)' }),
  database: setting({ kind: 'string', flag: 'database', env: 'STEPSTREAM_DATABASE', default: 'stepstream', doc: 'ClickHouse database holding the tables' }),
  kafka: setting({ kind: 'list', flag: 'kafka', env: 'KAFKA_BROKERS', default: [], doc: 'Kafka brokers host:port,... (the queue between split roles)' }),
  kafkaTopic: setting({ kind: 'string', flag: 'kafka-topic', env: 'STEPSTREAM_KAFKA_TOPIC', default: 'stepstream.points.v1', doc: 'topic carrying ingest batches' }),
  kafkaDlqTopic: setting({ kind: 'string', flag: 'kafka-dlq-topic', env: 'STEPSTREAM_KAFKA_DLQ_TOPIC', default: 'stepstream.points.dlq.v1', doc: 'dead-letter topic for messages the writer cannot store' }),
  kafkaPartitions: setting({ kind: 'int', flag: 'kafka-partitions', env: 'STEPSTREAM_KAFKA_PARTITIONS', default: 8, min: 1, max: 10_000, doc: 'partitions of the topic when Stepstream creates it' }),
  kafkaRetentionMs: setting({ kind: 'int', flag: 'kafka-retention-ms', env: 'STEPSTREAM_KAFKA_RETENTION_MS', default: 7 * 24 * 3600 * 1000, min: 60_000, doc: 'retention of the topics when Stepstream creates them' }),
  kafkaGroup: setting({ kind: 'string', flag: 'kafka-group', env: 'STEPSTREAM_KAFKA_GROUP', default: 'stepstream-writer', doc: 'consumer group of the writers' }),
  kafkaPendingBytes: setting({ kind: 'int', flag: 'kafka-pending-bytes', env: 'STEPSTREAM_KAFKA_PENDING_BYTES', default: 64 * MiB, min: 1024, doc: 'gateway: request bytes waiting for Kafka before ingest answers 503' }),
  kafkaAckTimeoutMs: setting({ kind: 'int', flag: 'kafka-ack-timeout-ms', env: 'STEPSTREAM_KAFKA_ACK_TIMEOUT_MS', default: 10_000, min: 100, doc: 'gateway: a batch not acked by Kafka within this answers 503' }),
  writerBufferBytes: setting({ kind: 'int', flag: 'writer-buffer-bytes', env: 'STEPSTREAM_WRITER_BUFFER_BYTES', default: 128 * MiB, min: 1024, doc: 'writer: fetched bytes buffered before the consumer pauses' }),
  maxBodyBytes: setting({ kind: 'int', flag: 'max-body-bytes', env: 'STEPSTREAM_MAX_BODY_BYTES', default: 16 * MiB, min: 1024, doc: 'largest ingest body as received' }),
  bodyTimeoutMs: setting({ kind: 'int', flag: 'body-timeout-ms', env: 'STEPSTREAM_BODY_TIMEOUT_MS', default: 15_000, min: 100, max: 600_000, doc: 'a request body not received within this is cut off with 408' }),
  maxInflatedBytes: setting({ kind: 'int', flag: 'max-inflated-bytes', env: 'STEPSTREAM_MAX_INFLATED_BYTES', default: 64 * MiB, min: 1024, doc: 'largest ingest body after gzip inflation' }),
  queuePoints: setting({ kind: 'int', flag: 'queue-points', env: 'STEPSTREAM_QUEUE_POINTS', default: 4_000_000, min: 1, doc: 'points the local queue (all-in-one) holds before ingest answers 503' }),
  queueBytes: setting({ kind: 'int', flag: 'queue-bytes', env: 'STEPSTREAM_QUEUE_BYTES', default: 256 * MiB, min: 1024, doc: 'request bytes the local queue (all-in-one) holds before ingest answers 503' }),
  walFsync: setting({ kind: 'string', flag: 'wal-fsync', env: 'STEPSTREAM_WAL_FSYNC', default: 'none', oneOf: ['none', 'batch'], doc: 'all-in-one queue: none = survive a process crash; batch = fsync before each 202, survive power loss' }),
  deadLetterBytes: setting({ kind: 'int', flag: 'dead-letter-bytes', env: 'STEPSTREAM_DEAD_LETTER_BYTES', default: 256 * MiB, min: 1024, doc: 'all-in-one: bytes of dead letters kept in --data/dead-letters; when full the writer stops (ingest then answers 503), nothing is dropped' }),
  flushPoints: setting({ kind: 'int', flag: 'flush-points', env: 'STEPSTREAM_FLUSH_POINTS', default: 2_000_000, min: 1, doc: 'points per insert at most' }),
  flushBytes: setting({ kind: 'int', flag: 'flush-bytes', env: 'STEPSTREAM_FLUSH_BYTES', default: 32 * MiB, min: 1024, doc: 'request bytes per insert at most' }),
  flushMs: setting({ kind: 'int', flag: 'flush-ms', env: 'STEPSTREAM_FLUSH_MS', default: 200, min: 0, max: 60_000, doc: 'how long the writer waits for a batch to fill' }),
  queryPoints: setting({ kind: 'int', flag: 'query-points', env: 'STEPSTREAM_QUERY_POINTS', default: 1000, min: 1, max: 100_000, doc: 'default point budget of a series query' }),
  queryTimeoutMs: setting({ kind: 'int', flag: 'query-timeout-ms', env: 'STEPSTREAM_QUERY_TIMEOUT_MS', default: 5_000, min: 10, max: 600_000, doc: 'longest a read runs in the store (ClickHouse max_execution_time); past it the request gets 422' }),
  queryProjectReads: setting({ kind: 'int', flag: 'query-project-reads', env: 'STEPSTREAM_QUERY_PROJECT_READS', default: 64, min: 1, max: 10_000, doc: 'reads of one project running or waiting for the store at once; past it 429' }),
  queryQueuedReads: setting({ kind: 'int', flag: 'query-queued-reads', env: 'STEPSTREAM_QUERY_QUEUED_READS', default: 256, min: 0, max: 100_000, doc: 'reads waiting for the store over every project; past it 503' }),
  queryServerReads: setting({ kind: 'int', flag: 'query-server-reads', env: 'STEPSTREAM_QUERY_SERVER_READS', default: 16, min: 1, max: 10_000, doc: 'reads this process runs at once on a ClickHouse server (http store; the embedded engine runs one statement at a time)' }),
  readAheadMs: setting({ kind: 'int', flag: 'read-ahead-ms', env: 'STEPSTREAM_READ_AHEAD_MS', default: 2_000, min: 0, max: 600_000, doc: 'query: how often restarted and forked runs written since are read ahead of their first view (their cut summaries); 0 = never' }),
  shutdownMs: setting({ kind: 'int', flag: 'shutdown-timeout-ms', env: 'STEPSTREAM_SHUTDOWN_TIMEOUT_MS', default: 30_000, min: 100, doc: 'hard deadline for a graceful shutdown' }),
  apiKeys: setting({ kind: 'string', flag: 'api-keys', env: 'STEPSTREAM_API_KEYS', default: '', doc: 'project:read|write:<sha256 of key>,... (see `stepstream key`); empty = no keys required' }),
  logLevel: setting({ kind: 'string', flag: 'log-level', env: 'STEPSTREAM_LOG_LEVEL', default: 'info', oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'pino log level' }),
};

export type ServeConfig = ConfigOf<typeof serveSchema>;

/** The roles a target list names; `all` is every role in one process. */
export function rolesOf(cfg: ServeConfig): Set<Role> {
  const roles = new Set<Role>();
  for (const t of cfg.target) {
    if (!(TARGETS as readonly string[]).includes(t)) throw new ConfigError('--target', `unknown target "${t}"; use ${TARGETS.join(', ')}`);
    if (t === 'all') { roles.add('gateway'); roles.add('writer'); roles.add('query'); } else roles.add(t as Role);
  }
  if (roles.size === 0) throw new ConfigError('--target', 'names no role');
  return roles;
}

/** What a serve configuration means once its fields are read together. */
export interface ServePlan {
  roles: Set<Role>;
  keys: KeyEntry[];
  /** Gateway and writer in one process on the write-ahead log (no Kafka). */
  inProcess: boolean;
}

/**
 * The checks across fields, next to the schema: they fail like a bad flag
 * (ConfigError, exit 2), before anything is opened.
 */
export function planServe(cfg: ServeConfig): ServePlan {
  const roles = rolesOf(cfg);
  let keys: KeyEntry[];
  try {
    keys = parseKeyEntries(cfg.apiKeys);
  } catch (err) {
    throw new ConfigError('STEPSTREAM_API_KEYS', (err as Error).message);
  }
  const inProcess = roles.has('gateway') && roles.has('writer') && cfg.kafka.length === 0;
  if (!inProcess && cfg.kafka.length === 0 && (roles.has('gateway') || roles.has('writer'))) {
    throw new ConfigError('--kafka', `target ${[...roles].join(',')} runs gateway and writer apart, so it needs a Kafka broker list (--kafka or KAFKA_BROKERS)`);
  }
  return { roles, keys, inProcess };
}
