// Wires roles, queue and store together for one process. The one place that
// knows every service; services themselves never import each other.
//
// Shutdown order (NOTE: the reason for each step):
//   1. drain HTTP: /readyz goes false, new requests get 503, in-flight ones finish
//   2. close the sink: nothing new enters the queue
//   3. the writer stores everything the queue still holds, then stops
//   4. close the store
import { ingestRoutes } from '@stepstream/gateway';
import { dashboardRoutes, readAccess, readRefusals, runsRoutes, seriesRoute } from '@stepstream/query';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DeadLetterLog, KafkaDeadLetters, KafkaSink, KafkaSource, WalQueue, createKafka, ensureTopics, type IngestSink, type IngestSource } from '@stepstream/queue';
import { ApiKeys, ConfigError, Gauge, createHttpServer, createRegistry, parseKeyEntries, type Logger } from '@stepstream/runtime';
import { dataDirHolder, openStore, type Store } from '@stepstream/storage';
import { BatchWriter } from '@stepstream/writer';
import { rolesOf, type ServeConfig } from './config.js';

export { serveSchema, type ServeConfig } from './config.js';

export interface Stepstream {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:4300. */
  url: string;
  roles: string[];
  close(): Promise<void>;
}

export async function startStepstream(cfg: ServeConfig, log: Logger): Promise<Stepstream> {
  const t0 = performance.now();
  const roles = rolesOf(cfg);
  let keys: ApiKeys;
  try {
    keys = new ApiKeys(parseKeyEntries(cfg.apiKeys));
  } catch (err) {
    throw new ConfigError('STEPSTREAM_API_KEYS', (err as Error).message);
  }
  // NOTE: what makes a start fail for sure is checked before migrations and
  // the log are touched, and fails with one line naming the flag.
  if (cfg.port !== 0) await assertPortFree(cfg.host, cfg.port);
  const holder = !cfg.clickhouseUrl && (roles.has('writer') || roles.has('query')) ? dataDirHolder(cfg.data) : null;
  if (holder) throw new ConfigError('--data', `${cfg.data} is in use by process ${holder.pid} (running since ${holder.since}); stop it, or start with another --data`);
  const registry = createRegistry();
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => { for (const c of cleanups.splice(0).reverse()) await c(); };

  try {
    const inProcess = roles.has('gateway') && roles.has('writer') && cfg.kafka.length === 0;
    if (!inProcess && cfg.kafka.length === 0 && (roles.has('gateway') || roles.has('writer'))) {
      throw new ConfigError('--kafka', `target ${[...roles].join(',')} runs gateway and writer apart, so it needs a Kafka broker list (--kafka or KAFKA_BROKERS)`);
    }

    let store: Store | null = null;
    if (roles.has('writer') || roles.has('query')) {
      store = await openStore({
        kind: cfg.clickhouseUrl ? 'http' : 'embedded', dataDir: cfg.data, url: cfg.clickhouseUrl,
        username: cfg.clickhouseUser, password: cfg.clickhousePassword, database: cfg.database,
        readLimits: { projectReads: cfg.queryProjectReads, queuedReads: cfg.queryQueuedReads, readTimeoutMs: cfg.queryTimeoutMs, serverReads: cfg.queryServerReads },
      }, log);
      const s = store;
      cleanups.push(() => s.close());
      new Gauge({
        name: 'stepstream_store_reads', help: "Reads in the store's line, by state (running, waiting)", labelNames: ['state'], registers: [registry],
        collect() { const d = s.line.depth; this.set({ state: 'running' }, d.running); this.set({ state: 'waiting' }, d.queued); },
      });
    }

    let sink: IngestSink | null = null;
    let source: IngestSource | null = null;
    let deadLetters: KafkaDeadLetters | DeadLetterLog | null = null;
    if (inProcess) {
      // NOTE: a 202 means the batch is in this write-ahead log on disk: it
      // survives a crash of the process and is stored after the restart.
      const queue = await WalQueue.open({ dir: join(cfg.data, 'wal'), maxPoints: cfg.queuePoints, maxBytes: cfg.queueBytes, fsync: cfg.walFsync as 'none' | 'batch', log: log.child({ component: 'wal' }), repairHint: `stepstream wal-repair --data ${cfg.data}` });
      sink = queue;
      source = queue;
      // What the store refuses for good is kept here until replayed (`stepstream dead-letters`).
      const dl = await DeadLetterLog.open({ dir: join(cfg.data, 'dead-letters'), maxBytes: cfg.deadLetterBytes, fsync: cfg.walFsync === 'batch', log: log.child({ component: 'dead-letters' }) });
      deadLetters = dl;
      cleanups.push(() => dl.close());
      new Gauge({
        name: 'stepstream_dead_letters', help: 'Dead letters kept in the data directory and not replayed', registers: [registry],
        collect() { this.set(dl.stats().pending); },
      });
      new Gauge({
        name: 'stepstream_dead_letters_bytes', help: 'Bytes of the dead-letter file (bounded by --dead-letter-bytes)', registers: [registry],
        collect() { this.set(dl.stats().bytes); },
      });
    } else if (roles.has('gateway') || roles.has('writer')) {
      const kcfg = { brokers: cfg.kafka, clientId: `stepstream-${[...roles].join('-')}-${process.pid}`, topic: cfg.kafkaTopic, dlqTopic: cfg.kafkaDlqTopic, partitions: cfg.kafkaPartitions, retentionMs: cfg.kafkaRetentionMs };
      const kafka = createKafka(kcfg, log);
      await ensureTopics(kafka, kcfg, log.child({ component: 'kafka' }));
      if (roles.has('gateway')) {
        const ks = new KafkaSink(kafka, { topic: cfg.kafkaTopic, maxPendingBytes: cfg.kafkaPendingBytes, maxBatchBytes: 1024 * 1024, ackTimeoutMs: cfg.kafkaAckTimeoutMs }, log.child({ component: 'kafka-sink' }));
        await ks.start();
        sink = ks;
      }
      if (roles.has('writer')) {
        const lag = new Gauge({ name: 'stepstream_writer_partition_lag', help: 'Messages in a partition not yet stored and committed', labelNames: ['partition'], registers: [registry] });
        const ksrc = new KafkaSource(kafka, { topic: cfg.kafkaTopic, groupId: cfg.kafkaGroup, maxBufferedBytes: cfg.writerBufferBytes, onLag: (p, n) => lag.set({ partition: String(p) }, n) }, log.child({ component: 'kafka-source' }));
        deadLetters = new KafkaDeadLetters(kafka, cfg.kafkaDlqTopic);
        await deadLetters.start();
        const dl = deadLetters;
        cleanups.push(() => dl.close());
        source = ksrc;
        // Started below, once the writer is ready to take deliveries.
      }
    }

    let writer: BatchWriter | null = null;
    if (roles.has('writer') && store && source) {
      writer = new BatchWriter({
        source, store, registry, log: log.child({ component: 'writer' }),
        limits: { maxPoints: cfg.flushPoints, maxBytes: cfg.flushBytes, maxWaitMs: cfg.flushMs },
        ...(deadLetters ? { deadLetters } : {}),
      });
      if (source instanceof KafkaSource) await source.start();
    }

    const http = createHttpServer({
      logger: log, registry, bodyLimit: cfg.maxBodyBytes, bodyTimeoutMs: cfg.bodyTimeoutMs,
      readiness: () => ({
        ...(sink ? { queue: sink.notReadyReason() } : {}),
        ...(writer ? { store: writer.notReadyReason() } : {}),
      }),
    });
    if (roles.has('gateway') && sink) {
      const s = sink;
      await http.app.register(async (scope) => ingestRoutes(scope, {
        sink: s, registry, keys, maxBodyBytes: cfg.maxBodyBytes, maxInflatedBytes: cfg.maxInflatedBytes, passDecoded: inProcess,
      }));
    }
    if (roles.has('query') && store) {
      const s = store;
      await http.app.register(async (scope) => {
        scope.addHook('onRequest', readAccess(keys));
        readRefusals(scope);
        await runsRoutes(scope, { store: s });
        await seriesRoute(scope, { reads: s.reads, defaultPoints: cfg.queryPoints });
        await dashboardRoutes(scope);
      });
    }

    writer?.start();
    // Run in reverse: HTTP drains first, then the sink, then the writer
    // (which closes its source), and the store last.
    cleanups.push(async () => { if (writer) await writer.close(); else await source?.close(); });
    cleanups.push(async () => { if (sink !== source) await sink?.close(); });
    cleanups.push(async () => { http.drain(); await http.app.close(); });

    const address = await http.app.listen({ host: cfg.host, port: cfg.port });
    if (!keys.enabled && !['127.0.0.1', '::1', 'localhost'].includes(cfg.host)) {
      log.warn({ host: cfg.host }, 'listening beyond loopback with no API keys: anyone who reaches this port can write and read every project (set STEPSTREAM_API_KEYS)');
    }
    log.info({ address, roles: [...roles], store: cfg.clickhouseUrl ? 'http' : 'embedded', apiKeys: keys.enabled, startupMs: Math.round(performance.now() - t0) }, 'ready');

    let closing: Promise<void> | null = null;
    return {
      url: address,
      roles: [...roles],
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Fails with one clear line when the port is taken (before anything else is started). */
async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use (another Stepstream running?); stop it or pick another --port'
        : err.code === 'EACCES' ? 'needs privileges this process lacks; pick a port above 1023'
          : err.code === 'EADDRNOTAVAIL' ? 'is not an address of this machine (--host)' : `cannot be listened on: ${err.message}`;
      reject(new ConfigError('--port', `${host}:${port} ${why}`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
