// The client's error catalogue: every error it throws or reports carries a
// stable code, the HTTP status when one came back, and the cause it wraps.

export type ClientErrorCode =
  /** log() got a value that is not a number, or a bad metric name or step. */
  | 'SS_ERR_CLIENT_BAD_VALUE'
  /** The server refused the batch (4xx other than 408/413/429): do not retry. */
  | 'SS_ERR_CLIENT_REJECTED'
  /** The server refused the API key (401/403). */
  | 'SS_ERR_CLIENT_UNAUTHORIZED'
  /** 413 on a batch that cannot be split further (a single point or only run info). */
  | 'SS_ERR_CLIENT_TOO_LARGE'
  /** Retries ran out (attempts or deadline) on a transient error. */
  | 'SS_ERR_CLIENT_UNAVAILABLE'
  /** The send was aborted by its signal (finish() timed out, close()). */
  | 'SS_ERR_CLIENT_ABORTED'
  /** log() after finish(). */
  | 'SS_ERR_CLIENT_FINISHED'
  /** init() or sync() options that cannot work. */
  | 'SS_ERR_CLIENT_CONFIG'
  /** The spool directory is in use by another live process (sync skips it; an offline init() fails). */
  | 'SS_ERR_CLIENT_SPOOL_LOCKED';

/** The JSON error body every Stepstream service answers with. */
export interface ServerErrorBody {
  statusCode?: number;
  code?: string;
  error?: string;
  message?: string;
  details?: unknown;
}

export class StepstreamError extends Error {
  override readonly name = 'StepstreamError';
  readonly code: ClientErrorCode;
  /** HTTP status of the answer that caused this, when there was one. */
  readonly statusCode: number | undefined;
  /** The server's error body, when it sent one. */
  readonly server: ServerErrorBody | undefined;

  constructor(code: ClientErrorCode, message: string, opts: { statusCode?: number; server?: ServerErrorBody; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.statusCode = opts.statusCode;
    this.server = opts.server;
  }
}

/** init() options that cannot work (SS_ERR_CLIENT_CONFIG), the message naming the option or variable. */
export function configError(message: string): StepstreamError {
  return new StepstreamError('SS_ERR_CLIENT_CONFIG', `stepstream.init: ${message}`);
}

/** Thrown by log(): a TypeError, so plain `catch (e instanceof TypeError)` works too. */
export class BadValueError extends TypeError {
  override readonly name = 'BadValueError';
  readonly code = 'SS_ERR_CLIENT_BAD_VALUE' as const;
  /** The metric to blame, when there is one. */
  readonly metric: string | undefined;

  constructor(message: string, metric?: string) {
    super(message);
    this.metric = metric;
  }
}

/** Parses a server error body; tolerates an empty or non-JSON answer. */
export function parseErrorBody(text: string): ServerErrorBody | undefined {
  if (!text) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? body : undefined;
  } catch {
    return { message: text.slice(0, 500) };
  }
}

/** One line saying what the server objected to, for messages and warnings. */
export function describeServerError(status: number, body: ServerErrorBody | undefined): string {
  if (!body) return `HTTP ${status}`;
  const code = body.code ? ` ${body.code}` : '';
  const details = body.details === undefined ? '' : ` (details: ${JSON.stringify(body.details).slice(0, 300)})`;
  return `HTTP ${status}${code}: ${body.message ?? body.error ?? 'no message'}${details}`;
}
