// The Fastify instance every role shares: error shape, health, readiness,
// Prometheus metrics, and draining on shutdown. Roles add their routes.
import Fastify, { LogController, type FastifyInstance, type FastifyError, type FastifyBaseLogger, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ServiceError, errorBody } from './errors.js';

export interface HttpServerOptions {
  logger: Logger;
  registry: Registry;
  /** Largest request body accepted, as received (bytes). */
  bodyLimit: number;
  /** Checks behind /readyz: each returns null when fine, else the reason. */
  readiness: () => Record<string, string | null>;
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
    // NOTE: ids reach 256 bytes (ingest's rule); Fastify's default of 100
    // characters per path parameter would answer a longer run id 414.
    routerOptions: { maxParamLength: 1024 },
    // A URL the router cannot take (bad %-encoding, a path parameter over
    // maxParamLength) is answered in the service's error shape too.
    frameworkErrors: (err, _req, reply) => {
      const status = err.statusCode ?? 400;
      void (reply as unknown as FastifyReply).code(status).send(errorBody(status, status === 414 ? 'SS_ERR_URL_TOO_LONG' : 'SS_ERR_BAD_URL', err.message));
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  let draining = false;

  const requests = new Counter({ name: 'stepstream_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [opts.registry] });
  const latency = new Histogram({
    name: 'stepstream_http_request_seconds', help: 'HTTP request latency by route', labelNames: ['route'], registers: [opts.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });

  app.addHook('onRequest', async (req, reply) => {
    if (draining && !req.url.startsWith('/healthz') && !req.url.startsWith('/metrics')) {
      reply.header('retry-after', '1').code(503).send(errorBody(503, 'SS_ERR_SHUTTING_DOWN', 'server is shutting down; retry against another instance'));
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ route, status: String(reply.statusCode) });
    latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError | ServiceError, req, reply) => {
    if (err instanceof ServiceError) {
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      // NOTE: 503 with Retry-After is backpressure, expected under load and
      // counted in metrics: logging each one would flood the log.
      if (err.retryAfterSeconds !== undefined) req.log.debug({ code: err.code }, err.message);
      else if (err.statusCode >= 500) req.log.error({ err, code: err.code }, err.message);
      else req.log.info({ code: err.code, details: err.details, url: req.url }, err.message);
      return reply.code(err.statusCode).send(errorBody(err.statusCode, err.code, err.message, err.details));
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.code(status).send(errorBody(status, 'SS_ERR_INTERNAL', 'internal error; the request may be retried'));
    }
    req.log.info({ code: err.code, url: req.url }, err.message);
    const code = status === 413 ? 'SS_ERR_BODY_TOO_LARGE' : status === 415 ? 'SS_ERR_CONTENT_TYPE' : `SS_ERR_HTTP_${status}`;
    return reply.code(status).send(errorBody(status, code, err.message));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody(404, 'SS_ERR_ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
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

  return { app, drain: () => { draining = true; } };
}
