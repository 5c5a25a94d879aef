// POST /v1/ingest with the retry rules of the server's contract:
//   202         done; the answer says how many points were accepted
//   400, 4xx    the batch is wrong: never retried, surfaced as SS_ERR_CLIENT_REJECTED
//   401, 403    the key is wrong: surfaced as SS_ERR_CLIENT_UNAUTHORIZED
//   413         halved and each half sent (recursively)
//   408, 429, 5xx, network errors
//               retried with capped backoff, honouring Retry-After
// A batch keeps its identity (attempt, client_id, sequence) across every
// retry, so a request the server stored but whose answer was lost is stored once.
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { encodeIngestRequest } from './encode.js';
import { StepstreamError, describeServerError, parseErrorBody } from './errors.js';
import { HttpTransport, type HttpAnswer } from './http-post.js';
import { isNetworkError, isTransientStatus, parseRetryAfter, resolveRetry, retryDelayMs, sleep, type ResolvedRetry, type RetryOptions } from './retry.js';
import { decodeBatch, splitBatch } from './split-batch.js';
import type { IngestBatch } from './types.js';
import { SDK } from './version.js';

const gzip = promisify(gzipCb);

export interface IngestClientOptions {
  /** Server base URL, e.g. http://localhost:4000 (the path /v1/ingest is added). */
  url: string;
  apiKey?: string | undefined;
  /** gzip bodies of at least `gzipMinBytes` (default true, level 1). */
  gzip?: boolean;
  gzipLevel?: number;
  gzipMinBytes?: number;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** Requests in flight at once when send() is called concurrently. Default 16. */
  maxSockets?: number;
  retry?: RetryOptions;
  /** Told about every retry (for logs and tests). */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Retry waits do not keep the process alive by themselves (default false:
   * an awaited send() holds the process until it settles, so a script that
   * sends and awaits never exits silently mid-retry). A Run's background
   * sender sets it: finish() (or the beforeExit hook) holds the loop open
   * while it waits to drain.
   */
  backgroundRetries?: boolean;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  status?: number;
  error?: unknown;
}

export interface SendOptions {
  /** Aborts waits and the request in flight with SS_ERR_CLIENT_ABORTED. */
  signal?: AbortSignal | undefined;
  /** The bytes given are already a gzip body (sent as they are, Content-Encoding: gzip). */
  gzipped?: boolean | undefined;
}

export interface SendResult {
  /** Points the server accepted (summed over halves after a 413). */
  acceptedPoints: number;
  /** HTTP requests made, retries and halves included. */
  requests: number;
}

export class IngestClient {
  readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly retry: ResolvedRetry;
  private readonly transport: HttpTransport;
  private closed = false;

  constructor(private readonly opts: IngestClientOptions) {
    this.url = new URL('/v1/ingest', opts.url);
    this.headers = { 'Content-Type': 'application/x-protobuf', 'User-Agent': SDK };
    if (opts.apiKey) this.headers['Authorization'] = `Bearer ${opts.apiKey}`;
    this.retry = resolveRetry(opts.retry);
    this.transport = new HttpTransport(opts.maxSockets);
  }

  /**
   * Sends one batch: a structure, or bytes already encoded with
   * encodeIngestRequest (the fast path for prebuilt batches), optionally
   * gzipped already (`opts.gzipped`). Resolves once
   * the server has it; rejects with a StepstreamError otherwise.
   */
  async send(batch: IngestBatch | Uint8Array, opts: SendOptions = {}): Promise<SendResult> {
    if (this.closed) throw new StepstreamError('SS_ERR_CLIENT_CONFIG', 'IngestClient is closed');
    const bytes = batch instanceof Uint8Array ? batch : encodeIngestRequest(batch);
    const answer = await this.sendBytes(bytes, opts);
    if (answer.status !== 413) return { acceptedPoints: acceptedPoints(answer), requests: answer.requests };
    const halves = splitBatch(batch instanceof Uint8Array ? decodeBatch(batch, opts.gzipped) : batch);
    if (!halves) {
      throw new StepstreamError('SS_ERR_CLIENT_TOO_LARGE', `batch of ${bytes.byteLength} bytes is too large and cannot be split: ${describeServerError(413, answer.server)}`, { statusCode: 413, server: answer.server });
    }
    let accepted = 0;
    let requests = answer.requests;
    // NOTE: halves go one after the other, the first first, to keep the order.
    for (const half of halves) {
      const r = await this.send(half, { signal: opts.signal });
      accepted += r.acceptedPoints;
      requests += r.requests;
    }
    return { acceptedPoints: accepted, requests };
  }

  /** The retry loop for one body; answers 2xx or 413, throws on everything else. */
  private async sendBytes(bytes: Uint8Array, opts: SendOptions): Promise<HttpAnswer & { requests: number; server?: ReturnType<typeof parseErrorBody> }> {
    const headers = { ...this.headers };
    let body = bytes;
    if (opts.gzipped) {
      headers['Content-Encoding'] = 'gzip';
    } else if ((this.opts.gzip ?? true) && bytes.byteLength >= (this.opts.gzipMinBytes ?? 1024)) {
      body = await gzip(bytes, { level: this.opts.gzipLevel ?? 1 });
      headers['Content-Encoding'] = 'gzip';
    }
    for (let attempt = 1; ; attempt++) {
      let status: number | undefined;
      let retryAfter: number | undefined;
      let error: unknown;
      try {
        const answer = await this.transport.post(this.url, body, { headers, timeoutMs: this.opts.timeoutMs ?? 30_000, signal: opts.signal });
        status = answer.status;
        if (status >= 200 && status < 300) return { ...answer, requests: attempt };
        const server = parseErrorBody(answer.body);
        if (status === 413) return { ...answer, requests: attempt, server };
        if (status === 401 || status === 403) {
          throw new StepstreamError('SS_ERR_CLIENT_UNAUTHORIZED', `the server refused the API key: ${describeServerError(status, server)}`, { statusCode: status, server });
        }
        if (!isTransientStatus(status)) {
          throw new StepstreamError('SS_ERR_CLIENT_REJECTED', `the server rejected the batch: ${describeServerError(status, server)}`, { statusCode: status, server });
        }
        retryAfter = parseRetryAfter(answer.headers['retry-after']);
        error = new StepstreamError('SS_ERR_CLIENT_UNAVAILABLE', describeServerError(status, server), { statusCode: status, server });
      } catch (err) {
        if (err instanceof StepstreamError) throw err;
        if (opts.signal?.aborted) throw new StepstreamError('SS_ERR_CLIENT_ABORTED', 'send aborted', { cause: err });
        if (!isNetworkError(err)) throw err;
        error = err;
      }
      if (attempt >= this.retry.maxAttempts) {
        throw new StepstreamError('SS_ERR_CLIENT_UNAVAILABLE', `gave up after ${attempt} attempts to reach ${this.url.origin}: ${errorText(error)}`, { ...(status ? { statusCode: status } : {}), cause: error });
      }
      const delayMs = retryDelayMs(attempt, retryAfter, this.retry);
      this.opts.onRetry?.({ attempt, delayMs, ...(status ? { status } : {}), error });
      await sleep(delayMs, opts.signal, this.opts.backgroundRetries ?? false);
    }
  }

  /** Closes idle keep-alive sockets; later sends are refused. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.destroy();
  }
}

function acceptedPoints(answer: HttpAnswer): number {
  const body = parseErrorBody(answer.body) as { accepted_points?: unknown } | undefined;
  return typeof body?.accepted_points === 'number' ? body.accepted_points : 0;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}
