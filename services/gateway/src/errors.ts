// The gateway's error catalogue: every code a client can get from /v1/ingest.
import { ServiceError, type ErrorDetails } from '@stepstream/runtime';

export const GatewayErrors = {
  decode: (message: string, details: ErrorDetails) => new ServiceError('SS_ERR_DECODE', `body is not a valid IngestRequest: ${message}`, details),
  validation: (message: string, details: ErrorDetails) => new ServiceError('SS_ERR_VALIDATION', message, details),
  inflatedTooLarge: (limit: number) => new ServiceError('SS_ERR_INFLATED_TOO_LARGE', `gzip body inflates to more than ${limit} bytes; split the batch`, { limit }),
  // 413, as for a body too large: our clients halve a batch answered 413 and send both halves.
  batchTooLarge: (message: string, field: 'series' | 'points', limit: number) => new ServiceError('SS_ERR_BATCH_TOO_LARGE', message, { field, limit }),
  badGzip: (cause: unknown) => new ServiceError('SS_ERR_DECODE', 'body is not valid gzip', { field: 'content-encoding' }, { cause }),
  contentType: (got: string | undefined) => new ServiceError('SS_ERR_CONTENT_TYPE', `content-type must be application/x-protobuf, got ${got ? JSON.stringify(got) : 'none'}`, { header: 'content-type' }),
  contentEncoding: (got: string) => new ServiceError('SS_ERR_CONTENT_ENCODING', `content-encoding must be gzip or identity, got ${JSON.stringify(got)}`, { header: 'content-encoding' }),
  queueFull: (message: string, retryAfterSeconds: number) => new ServiceError('SS_ERR_QUEUE_FULL', message, undefined, { retryAfterSeconds }),
  queueUnavailable: (message: string, retryAfterSeconds: number, cause: unknown) => new ServiceError('SS_ERR_QUEUE_UNAVAILABLE', message, undefined, { retryAfterSeconds, cause }),
};
