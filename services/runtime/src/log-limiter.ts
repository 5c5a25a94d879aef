// Keeps repeated log lines from flooding the log: a client retrying a bad
// request in a loop must not write a line per attempt. Each kind of line
// (a key such as "400 SS_ERR_VALIDATION POST /v1/ingest") is logged at most
// `burst` times per window; the rest are counted, and the first line of the
// next window says how many were left out.

export interface LogLimiterOptions {
  /** Lines of one kind logged per window. */
  burst: number;
  windowMs: number;
  /** Kinds tracked at once; past it the oldest window is forgotten (bounded memory). */
  maxKinds?: number;
  now?: () => number;
}

interface Window { start: number; logged: number; suppressed: number }

export class LogLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;

  constructor(private readonly opts: LogLimiterOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Null when this line must be left out; else the number of lines of the
   * same kind left out since the last one logged (0 usually).
   */
  admit(kind: string): number | null {
    const t = this.now();
    let w = this.windows.get(kind);
    if (w && t - w.start >= this.opts.windowMs) {
      const suppressed = w.suppressed;
      this.windows.delete(kind);
      w = undefined;
      if (suppressed > 0) { this.open(kind, t); return suppressed; }
    }
    if (!w) { this.open(kind, t); return 0; }
    if (w.logged < this.opts.burst) { w.logged++; return 0; }
    w.suppressed++;
    return null;
  }

  private open(kind: string, t: number): void {
    const max = this.opts.maxKinds ?? 1000;
    if (this.windows.size >= max) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(kind, { start: t, logged: 1, suppressed: 0 });
  }
}

/** A URL as it may be logged: the path only. A query string can carry a key (`?key=`), so it never reaches the log. */
export function loggablePath(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}
