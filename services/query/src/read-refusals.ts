// The store's read refusals (per-project bound, queue bound, time limit,
// exports at once) as the API's errors: 429, 503 (with Retry-After) and 422;
// and the context each request's reads run in (the store's read-context.ts).
import type { FastifyInstance } from 'fastify';
import { ExportRefusedError, ReadRefusedError, withReadContext } from '@stepstream/storage';
import { QueryErrors } from './errors.js';

function readRefusal(err: ReadRefusedError): Error {
  switch (err.limit) {
    case 'project-reads': return QueryErrors.tooManyReads(err.project, err.value, err);
    case 'queued-reads': return QueryErrors.readQueueFull(err.value, err);
    case 'read-time': return QueryErrors.queryTimeout(err.value, err);
    case 'abandoned': return QueryErrors.clientGone(err);
  }
}

/** The header that puts a request's reads behind the project's other reads (docs/api.md, "Read limits"). */
export const PRIORITY_HEADER = 'x-stepstream-priority';

/**
 * For a scope of read routes: each request's reads run in a read context (the
 * store's line drops those still waiting once the client has gone, and puts a
 * background request's behind the others); refusals are mapped, every other
 * error handed on to the server's own handler.
 */
export function readRefusals(scope: FastifyInstance): void {
  scope.addHook('onRequest', (req, reply, done) => {
    const gone = new AbortController();
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort(); });
    withReadContext({ signal: gone.signal, background: req.headers[PRIORITY_HEADER] === 'background' }, done);
  });
  scope.setErrorHandler((err) => {
    if (err instanceof ExportRefusedError) throw QueryErrors.tooManyExports(err.limit, err);
    throw err instanceof ReadRefusedError ? readRefusal(err) : err;
  });
}
