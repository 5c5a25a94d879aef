// The line in front of the engine: which statement runs next, and which are
// refused. Reads are admitted per project and taken round-robin between
// projects; the writer's statements go first; every queue is bounded; every
// read runs under a time limit.
//
// NOTE: why here and not in the query service. The embedded engine runs one
// statement at a time for the whole process (chdb chains every statement with
// bound parameters through one process-wide promise, and one connection runs
// one statement at a time), so the order of that line is what decides whether
// one project stalls another, and only the store sees the line whole: the
// writer's inserts are in it too. The per-project bound sits with the
// per-project queue it bounds: one idea, one place. A Fastify hook would count
// requests, not the statements that wait for the engine.
import { StoreError, type Settings } from './adapter.js';

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

export const DEFAULT_READ_LIMITS: ReadLimits = { projectReads: 8, queuedReads: 64, readTimeoutMs: 5_000, serverReads: 16 };

export interface SchedulerOptions extends ReadLimits {
  /** Statements the engine runs at once. */
  slots: number;
  /** Whether the writer's statements take slots (one line, the embedded engine) or run beside reads (a server). */
  writesTakeSlots: boolean;
}

/** The embedded engine is one line shared by reads and writes; a server runs statements side by side. */
export function schedulerOptions(kind: 'embedded' | 'http', limits: ReadLimits): SchedulerOptions {
  return kind === 'embedded' ? { ...limits, slots: 1, writesTakeSlots: true } : { ...limits, slots: limits.serverReads, writesTakeSlots: false };
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

interface Job { start(): void; fail(err: Error): void }

export class EngineScheduler {
  private running = 0;
  /**
   * NOTE: unbounded by count, bounded by its one caller: the writer stores one
   * write set at a time (and checks its batch keys before), so this holds at
   * most a couple of jobs.
   */
  private readonly writes: Job[] = [];
  /** Waiting reads by project, in the order projects take turns: Map keeps insertion order. */
  private readonly reads = new Map<string, Job[]>();
  /** Reads of each project running or waiting. */
  private readonly held = new Map<string, number>();
  private queued = 0;
  private closed = false;

  constructor(private readonly opts: SchedulerOptions) {}

  /** Runs a read of `project`; `run` is given the settings every read carries (the time limit). */
  read<T>(project: string, run: (settings: Settings) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('store is closed'));
    const { projectReads, queuedReads, readTimeoutMs } = this.opts;
    const held = this.held.get(project) ?? 0;
    if (held >= projectReads) {
      return Promise.reject(new ReadRefusedError('project-reads', projectReads, project,
        `project ${JSON.stringify(project)} has ${projectReads} reads running or waiting, the most it may; retry shortly`));
    }
    if (!this.startsNow() && this.queued >= queuedReads) {
      return Promise.reject(new ReadRefusedError('queued-reads', queuedReads, project,
        `${queuedReads} reads are waiting for the store, the most it queues; retry shortly`));
    }
    this.held.set(project, held + 1);
    const settings: Settings = { max_execution_time: readTimeoutMs / 1000 };
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        start: () => {
          void run(settings).then(resolve, (err: unknown) => reject(timedOut(err, project, readTimeoutMs))).finally(() => this.done(project));
        },
        fail: (err) => { this.release(project); reject(err); },
      };
      let line = this.reads.get(project);
      if (!line) this.reads.set(project, (line = []));
      line.push(job);
      this.queued++;
      this.pump();
    });
  }

  /** Runs one of the writer's statements (or a whole write set): ahead of every waiting read. */
  write<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('store is closed'));
    if (!this.opts.writesTakeSlots) return run();
    return new Promise<T>((resolve, reject) => {
      this.writes.push({
        start: () => { void run().then(resolve, reject).finally(() => this.done()); },
        fail: reject,
      });
      this.pump();
    });
  }

  /** Reads waiting and running, for metrics and tests. */
  get depth(): { running: number; queuedReads: number; queuedWrites: number } {
    return { running: this.running, queuedReads: this.queued, queuedWrites: this.writes.length };
  }

  /** Refuses what waits; what runs finishes. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new StoreError('store is closed');
    for (const job of this.writes.splice(0)) job.fail(err);
    for (const line of this.reads.values()) for (const job of line) { this.queued--; job.fail(err); }
    this.reads.clear();
  }

  private startsNow(): boolean {
    return this.running < this.opts.slots && this.writes.length === 0 && this.queued === 0;
  }

  private pump(): void {
    while (this.running < this.opts.slots) {
      const job = this.writes.shift() ?? this.nextRead();
      if (!job) return;
      this.running++;
      job.start();
    }
  }

  /** The head of the project whose turn it is; that project goes to the back of the ring. */
  private nextRead(): Job | undefined {
    for (const [project, line] of this.reads) {
      this.reads.delete(project);
      const job = line.shift();
      if (line.length) this.reads.set(project, line);
      if (job) { this.queued--; return job; }
    }
    return undefined;
  }

  private done(project?: string): void {
    this.running--;
    if (project !== undefined) this.release(project);
    this.pump();
  }

  private release(project: string): void {
    const n = (this.held.get(project) ?? 1) - 1;
    if (n > 0) this.held.set(project, n); else this.held.delete(project);
  }
}

function timedOut(err: unknown, project: string, limitMs: number): unknown {
  if (!(err instanceof StoreError) || err.engineCode !== TIMEOUT_EXCEEDED) return err;
  return new ReadRefusedError('read-time', limitMs, project,
    `the query ran longer than ${limitMs} ms, the most a read may, and was stopped; ask for a narrower range or fewer points`, { cause: err });
}
