// Wires roles, queue and store together for one process. The one place that
// knows every service; services themselves never import each other.
//
// Shutdown order (NOTE: the reason for each step):
//   1. drain HTTP: /readyz goes false, new requests get 503, in-flight ones finish
//   2. close the sink: nothing new enters the queue
//   3. the writer stores everything the queue still holds, then stops
//   4. close the store
import { ingestRoutes } from '@stepstream/gateway';
import { dashboardRoutes, runsRoutes, seriesRoute } from '@stepstream/query';
import { MemoryQueue, type IngestSink, type IngestSource } from '@stepstream/queue';
import { ConfigError, createHttpServer, createRegistry, type Logger } from '@stepstream/runtime';
import { openStore, type Store } from '@stepstream/storage';
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
  const registry = createRegistry();
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => { for (const c of cleanups.splice(0).reverse()) await c(); };

  try {
    const inProcess = roles.has('gateway') && roles.has('writer') && cfg.kafka.length === 0;
    if (!inProcess && (roles.has('gateway') || roles.has('writer'))) {
      throw new ConfigError('--kafka', `target ${[...roles].join(',')} runs gateway and writer apart, so it needs a Kafka broker list (--kafka or KAFKA_BROKERS)`);
    }

    let store: Store | null = null;
    if (roles.has('writer') || roles.has('query')) {
      store = await openStore({
        kind: cfg.clickhouseUrl ? 'http' : 'embedded', dataDir: cfg.data, url: cfg.clickhouseUrl,
        username: cfg.clickhouseUser, password: cfg.clickhousePassword, database: cfg.database,
      }, log);
      const s = store;
      cleanups.push(() => s.close());
    }

    let sink: IngestSink | null = null;
    let source: IngestSource | null = null;
    if (inProcess) {
      const queue = new MemoryQueue({ maxPoints: cfg.queuePoints, maxBytes: cfg.queueBytes });
      sink = queue;
      source = queue;
    }

    let writer: BatchWriter | null = null;
    if (roles.has('writer') && store && source) {
      writer = new BatchWriter({
        source, store, registry, log: log.child({ component: 'writer' }),
        limits: { maxPoints: cfg.flushPoints, maxBytes: cfg.flushBytes, maxWaitMs: cfg.flushMs },
      });
    }

    const http = createHttpServer({
      logger: log, registry, bodyLimit: cfg.maxBodyBytes,
      readiness: () => ({
        ...(sink ? { queue: sink.notReadyReason() } : {}),
        ...(writer ? { store: writer.notReadyReason() } : {}),
      }),
    });
    if (roles.has('gateway') && sink) {
      const s = sink;
      await http.app.register(async (scope) => ingestRoutes(scope, {
        sink: s, registry, maxBodyBytes: cfg.maxBodyBytes, maxInflatedBytes: cfg.maxInflatedBytes, passDecoded: inProcess,
      }));
    }
    if (roles.has('query') && store) {
      const s = store;
      await http.app.register(async (scope) => {
        await runsRoutes(scope, { store: s });
        await seriesRoute(scope, { store: s, defaultPoints: cfg.queryPoints });
        await dashboardRoutes(scope);
      });
    }

    writer?.start();
    // Registered in reverse: the store closes last, after the writer drained.
    cleanups.push(async () => { await writer?.close(); });
    cleanups.push(async () => { await sink?.close(); });
    cleanups.push(async () => { http.drain(); await http.app.close(); });

    const address = await http.app.listen({ host: cfg.host, port: cfg.port });
    log.info({ address, roles: [...roles], store: cfg.clickhouseUrl ? 'http' : 'embedded', startupMs: Math.round(performance.now() - t0) }, 'ready');

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
