// The store's read refusals (per-project bound, queue bound, time limit,
// exports at once) as the API's errors: 429, 503 (with Retry-After) and 422.
import type { FastifyInstance } from 'fastify';
import { ExportRefusedError, ReadRefusedError } from '@stepstream/storage';
import { QueryErrors } from './errors.js';

function readRefusal(err: ReadRefusedError): Error {
  switch (err.limit) {
    case 'project-reads': return QueryErrors.tooManyReads(err.project, err.value, err);
    case 'queued-reads': return QueryErrors.readQueueFull(err.value, err);
    case 'read-time': return QueryErrors.queryTimeout(err.value, err);
  }
}

/** For a scope of read routes: maps refusals, hands every error on to the server's own handler. */
export function readRefusals(scope: FastifyInstance): void {
  scope.setErrorHandler((err) => {
    if (err instanceof ExportRefusedError) throw QueryErrors.tooManyExports(err.limit, err);
    throw err instanceof ReadRefusedError ? readRefusal(err) : err;
  });
}
