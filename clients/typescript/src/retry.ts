// When to retry a send and how long to wait: capped exponential backoff with
// jitter, never shorter than the server's Retry-After (itself capped, so a
// confused proxy cannot park a trainer for an hour).
import { StepstreamError } from './errors.js';

export interface RetryOptions {
  /** Attempts per send, the first included. Default 10; Infinity retries until the signal aborts. */
  maxAttempts?: number;
  /** First backoff. Default 100 ms. */
  minBackoffMs?: number;
  /** Backoff cap. Default 10 s. */
  maxBackoffMs?: number;
  /** Cap on a server's Retry-After. Default 60 s. */
  maxRetryAfterMs?: number;
}

export type ResolvedRetry = Required<RetryOptions>;

export function resolveRetry(o: RetryOptions = {}): ResolvedRetry {
  return {
    maxAttempts: o.maxAttempts ?? 10,
    minBackoffMs: o.minBackoffMs ?? 100,
    maxBackoffMs: o.maxBackoffMs ?? 10_000,
    maxRetryAfterMs: o.maxRetryAfterMs ?? 60_000,
  };
}

/** Statuses that say "try the same batch again later". */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Wait before attempt `attempt + 1` (attempt counts from 1): exponential with
 * "equal jitter" (half fixed, half random) so ranks that failed together do
 * not come back together, and at least the server's Retry-After.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, o: ResolvedRetry, random = Math.random): number {
  const exp = Math.min(o.maxBackoffMs, o.minBackoffMs * 2 ** Math.min(attempt - 1, 30));
  const backoff = exp / 2 + (random() * exp) / 2;
  if (retryAfterMs === undefined) return backoff;
  return Math.max(backoff, Math.min(retryAfterMs, o.maxRetryAfterMs));
}

/**
 * Resolves after `ms`, or rejects with SS_ERR_CLIENT_ABORTED when the signal
 * fires first. `unref`: the wait does not keep the process alive by itself.
 */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(abortError(signal)); return; }
    const onAbort = (): void => { clearTimeout(timer); reject(abortError(signal!)); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    if (unref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): StepstreamError {
  return new StepstreamError('SS_ERR_CLIENT_ABORTED', 'send aborted', { cause: signal.reason });
}

/** Network errors worth retrying: the server is down, restarting, or dropped the connection. */
export function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET', 'SS_ERR_HTTP_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE',
]);
