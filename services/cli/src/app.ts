// Builds one process of Stepstream from its configuration: the roles a
// target names, their queue and store, wired together. The one place that
// knows every service; services themselves never import each other. It never
// listens or exits: the entry (index.ts) does, and tests inject requests.
//
// The parts, in start order; close runs them in reverse (NOTE: the reason):
//   store   opened (migrations) first: the writer and the reads need it
//   queue   the write-ahead log, or Kafka's topics, producer and consumer
//   writer  takes deliveries once started; on close it stores what the queue holds
//   http    routes of the roles; on close it drains first: /readyz goes false,
//           new requests get 503, bodies still arriving are cut off, in-flight ones finish
// so a shutdown drains HTTP, closes the sink (nothing new enters the queue),
// lets the writer store everything queued, then closes the store.
import { ingestRoutes } from '@stepstream/gateway';
import {
  DEFAULT_WARMER, EffectiveSummaries, SeriesReader, SummaryWarmer, dashboardRoutes, exportRoute, projectsRoutes, ranksRoutes, readAccess, readRefusals, runsRoutes, seriesBatchRoute, seriesRoute,
} from '@stepstream/query';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DeadLetterLog, KafkaDeadLetters, KafkaSink, KafkaSource, WalQueue, createKafka, ensureTopics, type IngestSink, type IngestSource } from '@stepstream/queue';
import { ApiKeys, ConfigError, Gauge, createHttpServer, createRegistry, type Logger } from '@stepstream/runtime';
import { dataDirHolder, openStore, type Store } from '@stepstream/storage';
import { webDistDir } from '@stepstream/web';
import { BatchWriter } from '@stepstream/writer';
import { planServe, type Role, type ServeConfig, type ServePlan } from './config.js';
import { registerOpenApi } from './openapi.js';

export { serveSchema, planServe, type ServeConfig } from './config.js';

/** What each role needs; the parts below are built for the roles named. */
const ROLE_NEEDS: Readonly<Record<Role, readonly ('store' | 'sink' | 'source')[]>> = {
  gateway: ['sink'],
  writer: ['store', 'source'],
  query: ['store'],
};

export interface Stepstream {
  /** The HTTP app with every route of the roles; not listening. */
  app: FastifyInstance;
  roles: Role[];
  /** Starts the queue's producer and consumers and the writer; then the app may listen. Idempotent. */
  start(): Promise<void>;
  /** Drains and stops every part, in the order above. Idempotent. */
  close(): Promise<void>;
}

export async function buildStepstream(cfg: ServeConfig, log: Logger, plan: ServePlan = planServe(cfg)): Promise<Stepstream> {
  const { roles, keys: keyEntries, inProcess } = plan;
  const keys = new ApiKeys(keyEntries);
  const needs = new Set([...roles].flatMap((r) => ROLE_NEEDS[r]));
  // NOTE: what makes a start fail for sure is checked before migrations and
  // the log are touched, and fails with one line naming the flag.
  const holder = !cfg.clickhouseUrl && needs.has('store') ? dataDirHolder(cfg.data) : null;
  if (holder) throw new ConfigError('--data', `${cfg.data} is in use by process ${holder.pid} (running since ${holder.since}); stop it, or start with another --data`);
  const registry = createRegistry();
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => { for (const c of cleanups.splice(0).reverse()) await c(); };
  const starts: (() => Promise<void>)[] = [];

  try {
    let store: Store | null = null;
    if (needs.has('store')) {
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
        starts.push(() => ks.start());
        sink = ks;
      }
      if (roles.has('writer')) {
        const lag = new Gauge({ name: 'stepstream_writer_partition_lag', help: 'Messages in a partition not yet stored and committed', labelNames: ['partition'], registers: [registry] });
        const ksrc = new KafkaSource(kafka, { topic: cfg.kafkaTopic, groupId: cfg.kafkaGroup, maxBufferedBytes: cfg.writerBufferBytes, onLag: (p, n) => lag.set({ partition: String(p) }, n) }, log.child({ component: 'kafka-source' }));
        const dl = new KafkaDeadLetters(kafka, cfg.kafkaDlqTopic);
        deadLetters = dl;
        starts.push(() => dl.start());
        cleanups.push(() => dl.close());
        source = ksrc;
      }
    }

    let writer: BatchWriter | null = null;
    if (roles.has('writer') && store && source) {
      writer = new BatchWriter({
        source, store, registry, log: log.child({ component: 'writer' }),
        limits: { maxPoints: cfg.flushPoints, maxBytes: cfg.flushBytes, maxWaitMs: cfg.flushMs },
        ...(deadLetters ? { deadLetters } : {}),
      });
    }

    const http = createHttpServer({
      logger: log, registry, bodyLimit: cfg.maxBodyBytes, bodyTimeoutMs: cfg.bodyTimeoutMs,
      readiness: () => ({
        ...(sink ? { queue: sink.notReadyReason() } : {}),
        ...(writer ? { store: writer.notReadyReason() } : {}),
      }),
    });
    await registerOpenApi(http.app, '0.1.0');
    if (roles.has('gateway') && sink) {
      const s = sink;
      await http.app.register(async (scope) => ingestRoutes(scope, {
        sink: s, registry, keys, maxBodyBytes: cfg.maxBodyBytes, maxInflatedBytes: cfg.maxInflatedBytes, passDecoded: inProcess,
      }));
    }
    if (roles.has('query') && store) {
      const s = store;
      // One cache of effective summaries and one series reader (its extent guesses) for every route that reads them;
      // the warmer fills the cache for restarted and forked runs before their first read.
      const summaries = new EffectiveSummaries(s.lineage);
      if (cfg.readAheadMs > 0) {
        const warmer = new SummaryWarmer(s, summaries, log.child({ component: 'read-ahead' }), { ...DEFAULT_WARMER, everyMs: cfg.readAheadMs }, registry);
        starts.push(async () => warmer.start());
        cleanups.push(() => warmer.close());
      }
      await http.app.register(async (scope) => {
        scope.addHook('onRequest', readAccess(keys));
        readRefusals(scope);
        const reader = new SeriesReader(s);
        await projectsRoutes(scope, { store: s, keys, summaries });
        await runsRoutes(scope, { store: s, summaries });
        await seriesRoute(scope, { store: s, defaultPoints: cfg.queryPoints, reader });
        await seriesBatchRoute(scope, { store: s, reader, defaultPoints: cfg.queryPoints });
        await exportRoute(scope, { store: s, summaries });
        await ranksRoutes(scope, { store: s, defaultPoints: cfg.queryPoints });
        await dashboardRoutes(scope, { dir: webDistDir });
      });
    }

    // The writer starts its source (a Kafka consumer joins its group) once it can take deliveries.
    const w = writer;
    if (w) starts.push(() => w.start());
    // Run in reverse: HTTP drains first, then the sink, then the writer
    // (which closes its source), and the store last.
    cleanups.push(async () => { if (writer) await writer.close(); else await source?.close(); });
    cleanups.push(async () => { if (sink !== source) await sink?.close(); });
    cleanups.push(async () => { http.drain(); await http.app.close(); });

    if (!keys.enabled && !['127.0.0.1', '::1', 'localhost'].includes(cfg.host)) {
      log.warn({ host: cfg.host }, 'listening beyond loopback with no API keys: anyone who reaches this port can write and read every project (set STEPSTREAM_API_KEYS)');
    }
    let started: Promise<void> | null = null;
    let closing: Promise<void> | null = null;
    return {
      app: http.app,
      roles: [...roles],
      start: () => (started ??= (async () => { for (const s of starts) await s(); })()),
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}


/**
 * Builds, starts and listens: the process entry's path (index.ts), and the
 * tests' that need a port. Checks the port first, before anything is opened.
 */
/** Connections the kernel queues before the server accepts them (capped by net.core.somaxconn). */
export const LISTEN_BACKLOG = 4096;

export async function listenStepstream(cfg: ServeConfig, log: Logger): Promise<Stepstream & { url: string }> {
  const t0 = performance.now();
  // The configuration is read once: a bad one fails before the port is probed.
  const plan = planServe(cfg);
  if (cfg.port !== 0) await assertPortFree(cfg.host, cfg.port);
  const ss = await buildStepstream(cfg, log, plan);
  try {
    await ss.start();
    // NOTE: a job of 1,024 ranks connects at once; with Node's default backlog
    // of 511 the kernel drops connection attempts and clients wait seconds.
    const url = await ss.app.listen({ host: cfg.host, port: cfg.port, backlog: LISTEN_BACKLOG });
    log.info({ address: url, roles: ss.roles, store: cfg.clickhouseUrl ? 'http' : 'embedded', apiKeys: cfg.apiKeys !== '', startupMs: Math.round(performance.now() - t0) }, 'ready');
    return { ...ss, url };
  } catch (err) {
    await ss.close();
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
