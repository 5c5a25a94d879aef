// The Fastify instance every role shares: error shape, health, readiness,
// Prometheus metrics, and draining on shutdown. Roles add their routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyError, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { MAX_ID_URL_CHARS } from '@stepstream/proto';
import { ServiceError, errorBody, statusOf, type HttpErrorCode } from './errors.js';
import { LogLimiter, loggablePath } from './log-limiter.js';

export interface HttpServerOptions {
  logger: Logger;
  registry: Registry;
  /** Largest request body accepted, as received (bytes). */
  bodyLimit: number;
  /** Checks behind /readyz: each returns null when fine, else the reason. */
  readiness: () => Record<string, string | null>;
  /** A request body not received within this is cut off with 408 (default 15 s). */
  bodyTimeoutMs?: number;
}

export interface HttpServer {
  app: FastifyInstance;
  /** Stop taking new work: /readyz goes false, new requests get 503. */
  drain(): void;
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const app = Fastify({
    loggerInstance: opts.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit,
    // One line per request is too many at ingest rates: metrics count them.
    logController: new LogController({ disableRequestLogging: true }),
    // NOTE: every id ingest accepts can be read back by id in the URL (%XX
    // escapes included); Fastify's default of 100 characters per path
    // parameter answered a longer run id 414.
    routerOptions: { maxParamLength: MAX_ID_URL_CHARS },
    // A URL the router cannot take (bad %-encoding, a path parameter over
    // maxParamLength) is answered in the service's error shape too.
    frameworkErrors: (err, _req, reply) => {
      const code = err.statusCode === 414 ? 'SS_ERR_URL_TOO_LONG' : 'SS_ERR_BAD_URL';
      void (reply as unknown as FastifyReply).code(statusOf(code)).send(errorBody(code, err.message));
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  let draining = false;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? 15_000;
  // 4xx lines: a client repeating a bad request must not write a line each time.
  const clientErrors = new LogLimiter({ burst: 10, windowMs: 10_000 });
  const logClientError = (req: FastifyRequest, code: HttpErrorCode, message: string, details?: unknown) => {
    const status = statusOf(code);
    const kind = `${status} ${code} ${req.method} ${req.routeOptions.url ?? 'unmatched'}`;
    const suppressed = clientErrors.admit(kind);
    if (suppressed === null) return;
    req.log.info({ status, code, details, method: req.method, path: loggablePath(req.url), ...(suppressed ? { suppressedSimilar: suppressed } : {}) }, message);
  };

  // NOTE: bodies still arriving. A body that does not arrive in time (a slow
  // or stalled upload) is cut off with 408, and on drain every one still
  // arriving is cut off with 503 at once: neither was acknowledged, so the
  // client retries; otherwise one stalled upload held a shutdown until its
  // hard deadline. A request is forgotten when answered; one sweep every
  // `sweepMs` finds the bodies overdue (cut within `sweepMs` past their
  // deadline) and forgets those received but never answered (the client
  // gone). NOTE: a timer and two listeners per request were ~10 µs of a
  // small ingest request's ~300.
  const arriving = new Map<IncomingMessage, { log: FastifyRequest['log']; method: string; url: string; res: ServerResponse; since: number }>();
  const received = (raw: IncomingMessage) => raw.complete || raw.destroyed;
  const cut = (raw: IncomingMessage, res: ServerResponse, code: HttpErrorCode, message: string) => {
    arriving.delete(raw);
    const status = statusOf(code);
    if (!res.headersSent) {
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', connection: 'close' };
      if (status === 503) headers['retry-after'] = '1';
      res.writeHead(status, headers);
      res.end(JSON.stringify(errorBody(code, message)), () => raw.socket.destroy());
    } else {
      raw.socket.destroy();
    }
  };
  const sweepMs = Math.max(50, Math.min(1000, Math.floor(bodyTimeoutMs / 4)));
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [raw, a] of arriving) {
      if (received(raw)) arriving.delete(raw);
      else if (now - a.since >= bodyTimeoutMs) {
        a.log.info({ method: a.method, path: loggablePath(a.url), bodyTimeoutMs }, 'request body not received in time: cut off');
        cut(raw, a.res, 'SS_ERR_BODY_TIMEOUT', `request body not received within ${bodyTimeoutMs} ms`);
      }
    }
  }, sweepMs);
  sweep.unref();
  app.addHook('onClose', async () => { clearInterval(sweep); });

  const requests = new Counter({ name: 'stepstream_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [opts.registry] });
  const latency = new Histogram({
    name: 'stepstream_http_request_seconds', help: 'HTTP request latency by route', labelNames: ['route'], registers: [opts.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

  // NOTE: hooks by callback, and each route's (and status's) series of the
  // metrics looked up once: promises and label lookups per request were a
  // measurable part of a small ingest request (docs/performance.md).
  app.addHook('onRequest', (req, reply, done) => {
    if (draining && !req.url.startsWith('/healthz') && !req.url.startsWith('/metrics')) {
      reply.header('retry-after', '1').code(503).send(errorBody('SS_ERR_SHUTTING_DOWN', 'server is shutting down; retry against another instance'));
      return;
    }
    const raw = req.raw;
    const noBody = raw.complete || (raw.headers['content-length'] === undefined && raw.headers['transfer-encoding'] === undefined) || raw.headers['content-length'] === '0';
    if (!noBody) arriving.set(raw, { log: req.log, method: req.method, url: req.url, res: reply.raw, since: Date.now() });
    done();
  });
  const counted = new Map<string, { requests: { inc(): void }; latency: { observe(v: number): void } }>();
  app.addHook('onResponse', (req, reply, done) => {
    arriving.delete(req.raw);
    const route = req.routeOptions.url ?? 'unmatched', status = reply.statusCode;
    const key = `${status} ${route}`;
    let m = counted.get(key);
    if (!m) counted.set(key, (m = { requests: requests.labels({ route, status: String(status) }), latency: latency.labels({ route }) }));
    m.requests.inc();
    m.latency.observe(reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((err: FastifyError | ServiceError, req, reply) => {
    // Cut off above (timeout, drain): answered already.
    if (reply.raw.headersSent) return;
    if (err instanceof ServiceError) {
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      // NOTE: 503 with Retry-After is backpressure, expected under load and
      // counted in metrics: logging each one would flood the log.
      if (err.retryAfterSeconds !== undefined) req.log.debug({ code: err.code }, err.message);
      else if (err.statusCode >= 500) req.log.error({ err, code: err.code }, err.message);
      else logClientError(req, err.code, err.message, err.details);
      return reply.code(err.statusCode).send(errorBody(err.code, err.message, err.details));
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.code(500).send(errorBody('SS_ERR_INTERNAL', 'internal error; the request may be retried'));
    }
    if (status === 413) {
      const limit = req.routeOptions.bodyLimit ?? opts.bodyLimit;
      logClientError(req, 'SS_ERR_BODY_TOO_LARGE', err.message);
      return reply.code(413).send(errorBody('SS_ERR_BODY_TOO_LARGE', `request body is larger than ${limit} bytes; split the batch`, { limit }));
    }
    // A framework error of another 4xx (none is expected): the catalogue's
    // code for its status, else a plain 400; never a code made up here.
    const code: HttpErrorCode = status === 415 ? 'SS_ERR_CONTENT_TYPE' : status === 414 ? 'SS_ERR_URL_TOO_LONG' : status === 408 ? 'SS_ERR_BODY_TIMEOUT' : 'SS_ERR_BAD_REQUEST';
    logClientError(req, code, err.message);
    return reply.code(statusOf(code)).send(errorBody(code, err.message));
  });

  // Routes by path pattern, to tell "no such path" (404) from "not with this method" (405).
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const source = '^' + route.url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '$';
    let entry = routes.find((r) => r.pattern.source === source);
    if (!entry) { entry = { pattern: new RegExp(source), methods: new Set() }; routes.push(entry); }
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(m);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = routes.find((r) => r.pattern.test(path))?.methods;
    if (allowed) {
      const allow = [...allowed].sort().join(', ');
      logClientError(req, 'SS_ERR_METHOD_NOT_ALLOWED', `method ${req.method} not allowed`);
      return reply.code(405).header('allow', allow).send(errorBody('SS_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}; use ${allow}`, { allow: [...allowed].sort() }));
    }
    logClientError(req, 'SS_ERR_ROUTE_NOT_FOUND', 'no such route');
    return reply.code(404).send(errorBody('SS_ERR_ROUTE_NOT_FOUND', `no route ${req.method} ${path}`));
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks = opts.readiness();
    if (draining) checks['shutdown'] = 'draining';
    const failing = Object.entries(checks).filter(([, v]) => v !== null);
    reply.code(failing.length ? 503 : 200);
    return { ready: failing.length === 0, checks: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v ?? 'ok'])) };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', opts.registry.contentType);
    return opts.registry.metrics();
  });

  return {
    app,
    drain: () => {
      draining = true;
      for (const [raw, a] of [...arriving]) {
        if (received(raw)) arriving.delete(raw);
        else cut(raw, a.res, 'SS_ERR_SHUTTING_DOWN', 'server is shutting down; send the batch again (to another instance)');
      }
    },
  };
}
