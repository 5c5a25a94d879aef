// The error shape every HTTP answer uses: { statusCode, code, error, message, details }.
import { STATUS_CODES } from 'node:http';

export interface ErrorDetails { [key: string]: unknown }

/** An error that reaches a client: a stable code, an HTTP status, and where the fault is. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ServiceError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  readonly retryAfterSeconds: number | undefined;
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
  details?: ErrorDetails;
}

export function errorBody(statusCode: number, code: string, message: string, details?: ErrorDetails): ErrorBody {
  const body: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (details !== undefined) body.details = details;
  return body;
}
