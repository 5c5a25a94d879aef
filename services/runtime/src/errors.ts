// The one error catalogue: every SS_ERR_* code Stepstream uses, its HTTP
// status (null: it never reaches a client as an answer, only as a log line or
// an exit), and its title. docs/api.md's error table is checked against it by
// test (services/runtime/test/errors.test.ts), and so is every code in the
// source. The error shape every HTTP answer uses: { statusCode, code, error, message, details }.
import { STATUS_CODES } from 'node:http';

export const ERROR_CATALOGUE = {
  // ingest
  SS_ERR_DECODE: { status: 400, title: 'the body is not a valid IngestRequest (or not valid gzip)' },
  SS_ERR_VALIDATION: { status: 400, title: 'the request breaks a rule of the protocol or an ingest limit' },
  SS_ERR_BODY_TOO_LARGE: { status: 413, title: 'the body as received is over --max-body-bytes' },
  SS_ERR_INFLATED_TOO_LARGE: { status: 413, title: 'the gzip body inflates past --max-inflated-bytes' },
  SS_ERR_BATCH_TOO_LARGE: { status: 413, title: 'more series or points in one request than allowed: split it' },
  SS_ERR_CONTENT_TYPE: { status: 415, title: 'the content type is not the one the route takes (protobuf to ingest, JSON to read series)' },
  SS_ERR_CONTENT_ENCODING: { status: 415, title: 'the content encoding is not gzip or identity' },
  SS_ERR_QUEUE_FULL: { status: 503, title: 'the queue is at its bound: retry the same batch later' },
  SS_ERR_QUEUE_UNAVAILABLE: { status: 503, title: 'the queue cannot take the batch now: retry it later' },
  // access
  SS_ERR_UNAUTHORIZED: { status: 401, title: 'no API key, or an unknown one' },
  SS_ERR_FORBIDDEN: { status: 403, title: 'the API key may not do this to this project' },
  // reads
  SS_ERR_QUERY_PARAM: { status: 400, title: 'a read parameter is missing, unknown, repeated or out of range' },
  SS_ERR_PROJECT_NOT_FOUND: { status: 404, title: 'nothing was ingested into this project' },
  SS_ERR_RUN_NOT_FOUND: { status: 404, title: 'no such run in the project' },
  SS_ERR_METRIC_NOT_FOUND: { status: 404, title: 'no such metric in the run (or not at this rank)' },
  SS_ERR_ATTEMPT_NOT_FOUND: { status: 404, title: 'no such attempt of the run' },
  SS_ERR_TOO_MANY_READS: { status: 429, title: 'the project has as many reads running or waiting as it may' },
  SS_ERR_READ_QUEUE_FULL: { status: 503, title: 'as many reads are waiting for the store as it queues' },
  SS_ERR_TOO_MANY_EXPORTS: { status: 429, title: 'as many exports are running as the process runs at once' },
  SS_ERR_QUERY_TIMEOUT: { status: 422, title: 'the read ran past --query-timeout-ms and was stopped' },
  // HTTP
  SS_ERR_BAD_REQUEST: { status: 400, title: 'the request is malformed' },
  SS_ERR_BAD_URL: { status: 400, title: 'the URL cannot be parsed (bad %-encoding)' },
  SS_ERR_ROUTE_NOT_FOUND: { status: 404, title: 'no such route' },
  SS_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'the path exists with another method (see Allow)' },
  SS_ERR_BODY_TIMEOUT: { status: 408, title: 'the body was not received within --body-timeout-ms' },
  SS_ERR_URL_TOO_LONG: { status: 414, title: 'a path parameter is longer than any id can be' },
  SS_ERR_SHUTTING_DOWN: { status: 503, title: 'this instance is draining: retry against another' },
  SS_ERR_INTERNAL: { status: 500, title: 'an internal error; the request may be retried' },
  // process, store and queue: logs and exits, never an answer of their own
  SS_ERR_CONFIG: { status: null, title: 'a setting is invalid, or a start cannot work (exit 2)' },
  SS_ERR_STORE: { status: null, title: 'the store refused or failed a statement' },
  SS_ERR_WAL_DAMAGED: { status: null, title: 'the write-ahead log is damaged where acknowledged batches follow: stepstream wal-repair' },
  SS_ERR_DEAD_LETTERS_FULL: { status: null, title: 'the dead-letter store is at --dead-letter-bytes: the writer stops' },
  SS_ERR_KAFKA_TOPICS_NOT_READY: { status: null, title: 'the Kafka topics have no serving leader for every partition' },
} as const satisfies Record<string, { status: number | null; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
/** The codes a client gets as an answer. */
export type HttpErrorCode = { [K in ErrorCode]: (typeof ERROR_CATALOGUE)[K]['status'] extends number ? K : never }[ErrorCode];

export const statusOf = (code: HttpErrorCode): number => ERROR_CATALOGUE[code].status;

export interface ErrorDetails { [key: string]: unknown }

/** An error that reaches a client: a stable code (its status from the catalogue), and where the fault is. */
export class ServiceError extends Error {
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ServiceError';
    this.statusCode = statusOf(code);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export interface ErrorBody {
  statusCode: number;
  code: HttpErrorCode;
  error: string;
  message: string;
  details?: ErrorDetails;
}

export function errorBody(code: HttpErrorCode, message: string, details?: ErrorDetails): ErrorBody {
  const statusCode = statusOf(code);
  const body: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (details !== undefined) body.details = details;
  return body;
}

/** The catalogue as the markdown table in docs/api.md ("Every error code"); `npm run docs:errors` writes it there. */
export function errorTable(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(([code, e]) => `| \`${code}\` | ${e.status ?? '— (log line or exit)'} | ${e.title} |`);
  return ['| code | HTTP status | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
