// The limits of the store's line of reads (engine-scheduler.ts): how many
// reads a project may have waiting, how many wait in all, how long one may
// run, how many the engine runs at once, and the refusal past each.
import { availableParallelism } from 'node:os';
import { StoreError } from './adapter.js';

export interface ReadLimits {
  /** Reads of one project running or waiting at once; past it, ReadRefusedError('project-reads') (→ 429). */
  projectReads: number;
  /** Reads waiting for the engine over every project; past it, ReadRefusedError('queued-reads') (→ 503). */
  queuedReads: number;
  /** Longest a read may run in the engine (ClickHouse max_execution_time); past it, ReadRefusedError('read-time'). */
  readTimeoutMs: number;
  /** Reads a ClickHouse server runs at once for this process (http store only: the embedded engine runs one statement). */
  serverReads: number;
}

// NOTE: a dashboard fires a read per panel at once (a 10-run overlay is ten
// reads of one project): the per-project bound is the depth of its own line,
// not its share of the engine (that is `projectRunning`), so it is generous.
export const DEFAULT_READ_LIMITS: ReadLimits = { projectReads: 64, queuedReads: 256, readTimeoutMs: 5_000, serverReads: 16 };

export interface SchedulerOptions extends ReadLimits {
  /** Reads run at once. */
  slots: number;
  /** Reads of one project run at once: fewer than the slots, so another project's read starts without waiting. */
  projectRunning: number;
  /** Threads one read may take in the engine (ClickHouse max_threads); unset: the engine's own choice. */
  readThreads?: number;
}

/**
 * NOTE: the embedded engine shares this machine's cores with the gateway and
 * the writer: two reads at once, at most one of them a project's, keeps one
 * slot free for a project other than the busiest. A server takes serverReads.
 * NOTE: and each read takes its share of the cores, not all of them: the
 * engine gives a read as many threads as there are cores, so one project's
 * 10M-point read held both cores of a 2-core machine, and the event loop and
 * the other project's read waited for CPU (measured, bench/src/fairness.ts:
 * B's 1000-point view p99 138–161 ms under A's load, 38 ms with the share;
 * A's own reads were no slower). A server's cores are its own business.
 */
export function schedulerOptions(kind: 'embedded' | 'http', limits: ReadLimits, cores = availableParallelism()): SchedulerOptions {
  const slots = kind === 'embedded' ? 2 : limits.serverReads;
  return { ...limits, slots, projectRunning: Math.max(1, slots - 1), ...(kind === 'embedded' ? { readThreads: Math.max(1, Math.floor(cores / slots)) } : {}) };
}

export type ReadLimit = 'project-reads' | 'queued-reads' | 'read-time';

/** A read the store will not run, or stopped: which limit, and its value (a count, or ms for read-time). */
export class ReadRefusedError extends StoreError {
  constructor(readonly limit: ReadLimit, readonly value: number, readonly project: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReadRefusedError';
  }
}

/** ClickHouse's TIMEOUT_EXCEEDED: max_execution_time stopped the statement. */
const TIMEOUT_EXCEEDED = 159;

/** A statement the engine stopped at the time limit, as the read-time refusal; any other error as it is. */
export function timedOut(err: unknown, project: string, limitMs: number): unknown {
  if (!(err instanceof StoreError) || err.engineCode !== TIMEOUT_EXCEEDED) return err;
  return new ReadRefusedError('read-time', limitMs, project,
    `the query ran longer than ${limitMs} ms, the most a read may, and was stopped; ask for a narrower range or fewer points`, { cause: err });
}
