// The line in front of the store's reads: which read runs next, and which are
// refused. Reads are admitted per project, taken in turns between projects
// (least recently served first), never all of a line's slots held by one
// project, every queue bounded, every read under a time limit (read-limits.ts),
// and reads ahead of any request in a slot of their own (readAhead).
//
// NOTE: why here and not in the query service. Only the store sees every
// read a request makes (a series request makes one to five) and how many the
// engine runs at once, so the per-project bound sits with the per-project
// queue it bounds: one idea, one place, whichever route reads. A Fastify hook
// would count requests, not the statements that wait for the engine.
//
// The writer is not in this line: its statements take connections of their
// own (embedded-adapter.ts) or run beside reads on a server, so an insert
// never waits behind a read.
import { AsyncLocalStorage } from 'node:async_hooks';
import { StoreError, type Settings } from './adapter.js';
import { ReadRefusedError, timedOut, type SchedulerOptions } from './read-limits.js';

/** `spare`: may take a slot beyond its project's share while no other project waits (readSideBySide). */
interface Job { spare: boolean; start(): void; fail(err: Error): void }

/** Reads ahead running at once at most: every other slot stays the requests'. */
const AHEAD_RUNNING = 1;

export class EngineScheduler {
  private running = 0;
  /** Reads of each project running. */
  private readonly runningOf = new Map<string, number>();
  /** Waiting reads by project. */
  private readonly reads = new Map<string, Job[]>();
  /** Reads of each project running or waiting. */
  private readonly held = new Map<string, number>();
  /** When each project holding reads last had a turn (a count of turns); forgotten once it holds none. */
  private readonly lastTurn = new Map<string, number>();
  private turns = 0;
  private queued = 0;
  private closed = false;
  /** Reads ahead waiting, in their order, and how many run. */
  private readonly ahead: Job[] = [];
  private aheadRunning = 0;
  /** Set while the reads being made are read ahead (readAhead). */
  private readonly reading = new AsyncLocalStorage<'ahead'>();

  constructor(private readonly opts: SchedulerOptions) {}

  /** Runs a read of `project`; `run` is given the settings every read carries (the time limit). */
  read<T>(project: string, run: (settings: Settings) => Promise<T>): Promise<T> {
    return this.enqueue(project, run, false);
  }

  /**
   * The statements of one request (a read split in parts), in their order:
   * the first waits for its project's turn as any read does; the others are
   * spare: each may also take a slot beyond the project's share while that
   * slot would stay idle, that is, while no other project has a read
   * waiting. A read of another project arriving meanwhile waits for the
   * first of the running ones to end. One statement is a plain read.
   */
  readSideBySide<T>(project: string, runs: readonly ((settings: Settings) => Promise<T>)[]): Promise<T[]> {
    return Promise.all(runs.map((run, k) => this.enqueue(project, run, k > 0)));
  }

  /**
   * Runs `f`, every read it makes a read ahead of any request (the query
   * side's read-ahead of restarted runs, summary-warmer.ts): each starts only
   * when a slot is free that no waiting read can take, one at a time, and is
   * not counted in its project's share, so the project's own reads run beside
   * it. NOTE: measured on the lineage bench's data: counted in
   * the project's share, a run's first read ahead (~1.5 s) held every view
   * of its project for as long, 25 ms -> 1.5 s.
   */
  readAhead<T>(f: () => Promise<T>): Promise<T> {
    return this.reading.run('ahead', f);
  }

  private enqueue<T>(project: string, run: (settings: Settings) => Promise<T>, spare: boolean): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('store is closed'));
    const { projectReads, queuedReads, readTimeoutMs } = this.opts;
    const held = this.held.get(project) ?? 0;
    if (held >= projectReads) {
      return Promise.reject(new ReadRefusedError('project-reads', projectReads, project,
        `project ${JSON.stringify(project)} has ${projectReads} reads running or waiting, the most it may; retry shortly`));
    }
    if (!this.startsNow(project) && this.queued >= queuedReads) {
      return Promise.reject(new ReadRefusedError('queued-reads', queuedReads, project,
        `${queuedReads} reads are waiting for the store, the most it queues; retry shortly`));
    }
    this.held.set(project, held + 1);
    const settings: Settings = { max_execution_time: readTimeoutMs / 1000, ...(this.opts.readThreads ? { max_threads: this.opts.readThreads } : {}) };
    const ahead = this.reading.getStore() === 'ahead';
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        spare,
        start: () => {
          void run(settings).then(resolve, (err: unknown) => reject(timedOut(err, project, readTimeoutMs))).finally(() => this.done(project, ahead));
        },
        fail: (err) => { this.release(project); reject(err); },
      };
      if (ahead) this.ahead.push(job);
      else {
        let line = this.reads.get(project);
        if (!line) this.reads.set(project, (line = []));
        line.push(job);
      }
      this.queued++;
      this.pump();
    });
  }

  /** Reads waiting and running, for metrics and tests. */
  get depth(): { running: number; queued: number } {
    return { running: this.running, queued: this.queued };
  }

  /** Refuses what waits; what runs finishes. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new StoreError('store is closed');
    for (const job of [...[...this.reads.values()].flat(), ...this.ahead]) { this.queued--; job.fail(err); }
    this.reads.clear();
    this.ahead.length = 0;
  }

  private startsNow(project: string): boolean {
    return this.running < this.opts.slots && this.queued === 0 && (this.runningOf.get(project) ?? 0) < this.opts.projectRunning;
  }

  private pump(): void {
    while (this.running < this.opts.slots) {
      const job = this.nextRead() ?? this.nextAhead();
      if (!job) return;
      job.start();
    }
  }

  /**
   * The first read ahead, while fewer than AHEAD_RUNNING run and a slot is
   * free beside the one kept for the requests (with a single slot: while no
   * read runs or waits).
   */
  private nextAhead(): Job | undefined {
    if (this.ahead.length === 0 || this.aheadRunning >= AHEAD_RUNNING) return undefined;
    const free = this.opts.slots - this.running;
    if (!(free > 1 || (this.opts.slots === 1 && free === 1 && this.reads.size === 0))) return undefined;
    const job = this.ahead.shift()!;
    this.queued--;
    this.running++;
    this.aheadRunning++;
    return job;
  }

  /**
   * The head of the waiting project served least recently.
   * NOTE: not a plain ring: a project that was just served goes to the back,
   * but one arriving while another's read runs must not queue behind that
   * other's next read too. Least recently served is a ring for projects that
   * always wait, and puts a newcomer (never served, or idle since) first.
   * Linear in the projects waiting, which queuedReads bounds.
   */
  private nextRead(): Job | undefined {
    let best: string | undefined, bestTurn = Infinity;
    for (const project of this.reads.keys()) {
      if ((this.runningOf.get(project) ?? 0) >= this.opts.projectRunning) continue;
      const turn = this.lastTurn.get(project) ?? -1;
      if (turn < bestTurn) { best = project; bestTurn = turn; }
    }
    // A spare read at the head of the only project waiting takes a slot no other project wants.
    if (best === undefined && this.reads.size === 1) {
      const [only, line] = this.reads.entries().next().value!;
      if (line[0]!.spare) best = only;
    }
    if (best === undefined) return undefined;
    const line = this.reads.get(best)!;
    const job = line.shift()!;
    if (line.length === 0) this.reads.delete(best);
    this.lastTurn.set(best, this.turns++);
    this.queued--;
    this.running++;
    this.runningOf.set(best, (this.runningOf.get(best) ?? 0) + 1);
    return job;
  }

  private done(project: string, ahead: boolean): void {
    this.running--;
    if (ahead) this.aheadRunning--;
    else {
      const n = (this.runningOf.get(project) ?? 1) - 1;
      if (n > 0) this.runningOf.set(project, n); else this.runningOf.delete(project);
    }
    this.release(project);
    this.pump();
  }

  private release(project: string): void {
    const n = (this.held.get(project) ?? 1) - 1;
    if (n > 0) this.held.set(project, n);
    else { this.held.delete(project); this.lastTurn.delete(project); }
  }
}
