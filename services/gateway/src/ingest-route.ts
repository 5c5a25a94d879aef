// POST /v1/ingest: key → inflate → scan, or decode → project's key → validate → queue → 202.
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeIngestRequest, ProtoDecodeError, ProtoLimitError, scanIngestRequest, validateRequest, type DecodedIngestRequest } from '@stepstream/proto';
import { QueueFullError, QueueUnavailableError, type IngestSink } from '@stepstream/queue';
import { Counter, type ApiKeys, type Registry } from '@stepstream/runtime';
import { GatewayErrors } from './errors.js';

const gunzipAsync = promisify(gunzip);
const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf', 'application/vnd.google.protobuf']);

export interface IngestDeps {
  sink: IngestSink;
  registry: Registry;
  /** Largest body as received. */
  maxBodyBytes: number;
  /** Largest body after gzip inflation. */
  maxInflatedBytes: number;
  /** Hand the decoded request along (in-process queue) so the writer does not decode again. */
  passDecoded: boolean;
  /** Write keys per project; open when none are configured. */
  keys?: ApiKeys;
}

/** The request decoded; malformed bytes or a count past a limit as the 4xx it is. */
function decode(body: Buffer): DecodedIngestRequest {
  try {
    return decodeIngestRequest(body);
  } catch (err) {
    if (err instanceof ProtoLimitError) {
      throw err.field === 'series' || err.field === 'points'
        ? GatewayErrors.batchTooLarge(err.message, err.field, err.limit)
        : GatewayErrors.validation(err.message, { field: err.field, limit: err.limit });
    }
    if (err instanceof ProtoDecodeError) throw GatewayErrors.decode(err.message, { offset: err.offset });
    throw err;
  }
}

/** The request's points once validation passes; its first problem as the 400 it is. */
function validPoints(decoded: DecodedIngestRequest): number {
  const { problem, points } = validateRequest(decoded);
  if (problem) throw GatewayErrors.validation(problem.message, problem.details);
  return points;
}

export async function ingestRoutes(app: FastifyInstance, deps: IngestDeps): Promise<void> {
  const accepted = new Counter({ name: 'stepstream_points_accepted_total', help: 'Points acknowledged with 202', registers: [deps.registry] });
  const rejected = new Counter({ name: 'stepstream_points_rejected_total', help: 'Requests refused, by code', labelNames: ['code'], registers: [deps.registry] });
  const batches = new Counter({ name: 'stepstream_batches_accepted_total', help: 'Requests acknowledged with 202', registers: [deps.registry] });

  // NOTE: parsers are encapsulated in this plugin: only protobuf bodies are
  // read here, as raw bytes; anything else is a 415 naming the content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (req: FastifyRequest, body: Buffer, done) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!PROTOBUF_TYPES.has(type)) { done(GatewayErrors.contentType(req.headers['content-type']), undefined); return; }
    done(null, body);
  });

  app.addHook('onError', async (_req, _reply, err) => {
    const code = (err as { code?: string }).code ?? 'unknown';
    rejected.inc({ code: code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'SS_ERR_BODY_TOO_LARGE' : code });
  });

  // NOTE: the key is checked before the body is read, inflated or decoded:
  // a request without a key that may write costs nothing. Which project it
  // may write is known only from the body, so that is matched once it is
  // scanned or decoded, which is bounded (ingest limits) for anyone holding a
  // write key. (Without keys, no hook at all: it was a promise per request.)
  const keys = deps.keys;
  const onRequest = keys ? { onRequest: async (req: FastifyRequest) => { keys.checkRole(req.headers.authorization, 'write'); } } : {};

  app.post('/v1/ingest', { bodyLimit: deps.maxBodyBytes, ...onRequest }, async (req, reply) => {
    let body = req.body as Buffer | undefined;
    if (!body) throw GatewayErrors.contentType(req.headers['content-type']);
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding === 'gzip' || encoding === 'x-gzip') {
      try {
        body = await gunzipAsync(body, { maxOutputLength: deps.maxInflatedBytes });
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw GatewayErrors.inflatedTooLarge(deps.maxInflatedBytes);
        throw GatewayErrors.badGzip(err);
      }
    } else if (encoding !== 'identity') {
      throw GatewayErrors.contentEncoding(encoding);
    }

    // NOTE: forwarding the bytes (Kafka), a plain request (proto scan.ts) is
    // only scanned, and the writer decodes it; any other, and each one handed
    // on decoded (the all-in-one's queue), is decoded and validated here,
    // which gives each refusal its text.
    const scanned = deps.passDecoded ? null : scanIngestRequest(body);
    const decoded = scanned ? null : decode(body);
    // The project is named inside the body: checked before anything is queued.
    deps.keys?.check(req.headers.authorization, scanned?.project ?? decoded!.project, 'write');
    const points = scanned ? scanned.points : validPoints(decoded!);

    try {
      await deps.sink.send({ key: scanned?.runId ?? decoded!.runId, value: body, points, ...(deps.passDecoded && decoded ? { decoded } : {}) });
    } catch (err) {
      if (err instanceof QueueFullError) throw GatewayErrors.queueFull(err.message, err.retryAfterSeconds);
      if (err instanceof QueueUnavailableError) throw GatewayErrors.queueUnavailable(err.message, err.retryAfterSeconds, err);
      throw err;
    }
    accepted.inc(points);
    batches.inc();
    reply.code(202);
    return { accepted_points: points };
  });
}
