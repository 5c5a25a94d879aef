// A run as a trainer sees it: log() appends to column buffers and returns;
// a timer (and a size trigger) cuts the buffers into numbered batches and
// hands them to the outbox, which sends or spools them.
import { ColumnBuffers } from './column-buffers.js';
import { BadValueError, StepstreamError } from './errors.js';
import { watchExit, unwatchExit, type ExitAware } from './exit-hooks.js';
import { IngestClient, errorText } from './ingest-client.js';
import { Outbox } from './outbox.js';
import { groupSeries } from './split-batch.js';
import type { Mode, ResolvedOptions } from './options.js';
import { SpoolWriter, cleanupSpoolDir } from './spool.js';
import type { RunInfoInput, RunStatus } from './types.js';

export interface FinishResult {
  /** True when every batch reached the server (offline: when every batch is in the spool). */
  ok: boolean;
  status: RunStatus;
  pointsLogged: number;
  pointsSent: number;
  batchesSent: number;
  /** Requests that had to be retried (server busy, restarting or away). */
  retries: number;
  /** Batches left in the spool for `sync` (0 when ok online). */
  pendingBatches: number;
  pendingPoints: number;
  /** This run's spool directory (the root, for sync, is ResolvedOptions.spoolRoot). */
  spoolDir: string;
  /** What happened, in one sentence (also sent to `warn` when not ok, or offline). */
  message: string;
}

export class Run implements ExitAware {
  readonly project: string;
  readonly runId: string;
  readonly rank: number;
  /** Which attempt of the run this is (every batch carries it). */
  readonly attempt: number;
  readonly clientId: string;
  readonly mode: Mode;
  /** This run's own spool directory. */
  readonly spoolDir: string;
  private readonly buffers: ColumnBuffers;
  private readonly client: IngestClient | null;
  private readonly outbox: Outbox;
  private readonly spool: SpoolWriter;
  private readonly timer: NodeJS.Timeout;
  private readonly startedMs = Date.now();
  private nextStep: number;
  private sequence = 0;
  private pointsLogged = 0;
  private pendingRunInfo: RunInfoInput | null = null;
  private flushScheduled = false;
  private finishing: Promise<FinishResult> | null = null;

  constructor(private readonly o: ResolvedOptions) {
    this.project = o.project;
    this.runId = o.runId;
    this.rank = o.rank;
    this.attempt = o.attempt;
    this.clientId = o.clientId;
    // A resumed attempt (or a fork) logs on from where its own steps begin.
    this.nextStep = o.resumeStep ?? o.forkFrom?.step ?? 0;
    this.mode = o.mode;
    this.buffers = new ColumnBuffers(o.rank);
    const spool = new SpoolWriter(o.spoolRoot, { url: o.url ?? null, project: o.project, run_id: o.runId, rank: o.rank, attempt: o.attempt, client_id: o.clientId });
    this.spool = spool;
    this.spoolDir = spool.dir;
    if (o.mode === 'offline') this.openSpool();
    this.client = o.mode !== 'online' ? null : new IngestClient({
      url: o.url, apiKey: o.apiKey, gzip: o.gzip, timeoutMs: o.requestTimeoutMs,
      retry: { maxBackoffMs: 5000, ...o.retry, maxAttempts: Infinity }, backgroundRetries: true,
      // Kept for finish()'s message when the server never comes back.
      onRetry: (info) => { this.outbox.lastError = info.error; this.outbox.stats.retries++; },
    });
    this.outbox = new Outbox({ client: this.client, spool, maxMemoryBytes: o.maxMemoryBytes, warn: o.warn });
    this.timer = setInterval(() => this.cut(), o.flushIntervalMs);
    this.timer.unref();
    if (o.mode === 'disabled') { clearInterval(this.timer); return; }
    if (o.exitHooks) watchExit(this);
    // Only rank 0 (or a run without ranks) speaks for the run: config, status.
    if (this.sendsRunInfo) {
      this.pendingRunInfo = this.runInfo('running');
      this.cut();
    }
  }

  /**
   * Offline, the spool is the run's only output: its lock is taken at once
   * (a sync skips a spool in use), and init() fails if another live process
   * holds it. NOTE: a disk error is not fatal here: the writes try again
   * and warn, and the points wait in memory meanwhile.
   */
  private openSpool(): void {
    try {
      this.spool.open();
    } catch (err) {
      if (err instanceof StepstreamError && err.code === 'SS_ERR_CLIENT_SPOOL_LOCKED') throw err;
    }
  }

  private get sendsRunInfo(): boolean { return this.rank <= 0 && this.mode !== 'disabled'; }

  /** The step the next log() without a step will use (at first resumeStep, else forkFrom's step, else 0). */
  get step(): number { return this.nextStep; }

  /**
   * Records one value per metric at `step` (default: one past the last step
   * logged, starting at 0). Cheap: validates, appends, returns. Throws a
   * BadValueError naming the metric for anything that is not a number; the
   * call then stores nothing.
   */
  log(metrics: Readonly<Record<string, number | bigint>>, step?: number): void {
    if (this.finishing) throw new StepstreamError('SS_ERR_CLIENT_FINISHED', `stepstream: log() after finish() on run ${this.runId}`);
    if (this.mode === 'disabled') return;
    const s = step ?? this.nextStep;
    if (step !== undefined && (!Number.isSafeInteger(step) || step < 0)) {
      throw new BadValueError(`stepstream: step must be an integer ≥ 0, got ${String(step)}`);
    }
    const before = this.buffers.points;
    this.buffers.append(metrics, s, Date.now());
    this.pointsLogged += this.buffers.points - before;
    this.nextStep = s + 1;
    const points = this.buffers.points;
    if (points < this.o.maxBatchPoints) return;
    if (points >= 4 * this.o.maxBatchPoints) {
      // NOTE: four batches' worth buffered means the event loop has not run
      // (a synchronous training loop): cut here to keep memory bounded.
      this.cut();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => { this.flushScheduled = false; this.cut(); });
    }
  }

  /** Cuts the buffers now and resolves when everything logged so far has been sent (or spooled, offline). */
  async flush(): Promise<void> {
    this.cut();
    await this.outbox.drained();
  }

  /**
   * Sends what is left, marks the run `status` (rank 0), and waits up to
   * `timeoutMs` for the server. Never throws for an unreachable server: the
   * unsent batches stay in the spool and the result (and a warning) says how
   * to upload them. Safe to call twice.
   */
  finish(status: RunStatus = 'finished', opts: { timeoutMs?: number } = {}): Promise<FinishResult> {
    this.finishing ??= this.doFinish(status, opts.timeoutMs ?? this.o.finishTimeoutMs);
    return this.finishing;
  }

  private async doFinish(status: RunStatus, timeoutMs: number): Promise<FinishResult> {
    clearInterval(this.timer);
    if (this.sendsRunInfo) this.pendingRunInfo = this.runInfo(status, Date.now());
    this.cut();
    let ok = true;
    if (this.client) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs); });
      const late = await Promise.race([this.outbox.drained().then(() => false), timedOut]);
      clearTimeout(timer);
      if (late || this.outbox.pendingBatches > 0) { ok = false; this.outbox.stop(); }
      else cleanupSpoolDir(this.spoolDir); // spilled batches all sent: leave no empty directories
      this.client.close();
    } else {
      this.outbox.spillAll(); // offline: a last try for batches the disk refused
      ok = this.outbox.pendingBatches === 0;
    }
    unwatchExit(this);
    this.spool.release();
    const result = this.result(ok, status, timeoutMs);
    if (!ok || this.mode === 'offline') this.o.warn(result.message);
    return result;
  }

  private result(ok: boolean, status: RunStatus, timeoutMs: number): FinishResult {
    const s = this.outbox.stats;
    const pendingBatches = this.mode === 'offline' ? s.batchesSpooled : this.outbox.pendingBatches;
    const pendingPoints = this.mode === 'offline' ? this.pointsLogged - this.outbox.pendingPoints : this.outbox.pendingPoints;
    const upload = `upload with: npx stepstream-sync-js ${this.o.spoolRoot} --url ${this.o.url}`;
    let message: string;
    if (this.mode === 'disabled') {
      message = `stepstream: run ${this.runId} was disabled; nothing was recorded`;
    } else if (this.mode === 'offline') {
      const lost = ok ? '' : ` (${this.outbox.pendingPoints} points could not be written: ${errorText(this.outbox.lastError)})`;
      message = `stepstream: offline run ${this.runId}: ${pendingBatches} batches (${pendingPoints} points) written to ${this.spoolDir}${lost}; ${upload}`;
    } else if (ok) {
      message = `stepstream: run ${this.runId} finished: ${s.pointsSent} points sent in ${s.batchesSent} batches`;
    } else {
      const why = this.outbox.lastError === undefined ? `no answer within ${timeoutMs} ms` : errorText(this.outbox.lastError);
      message = `stepstream: could not reach the server at ${this.o.url} before finish() gave up (${why}); ${pendingBatches} batches (${pendingPoints} points) are kept in ${this.spoolDir}; ${upload}`;
    }
    return {
      ok, status, pointsLogged: this.pointsLogged, pointsSent: s.pointsSent, batchesSent: s.batchesSent,
      retries: s.retries, pendingBatches, pendingPoints, spoolDir: this.spoolDir, message,
    };
  }

  /** Cuts the buffered points (and any run info) into the next numbered batch. */
  private cut(): void {
    const series = this.buffers.drain();
    if (series.length === 0 && this.pendingRunInfo === null) return;
    let run = this.pendingRunInfo;
    this.pendingRunInfo = null;
    // Several requests when the buffers hold more series or points than the server takes in one; run info rides on the first.
    for (const group of groupSeries(series)) {
      this.outbox.push({ project: this.project, runId: this.runId, attempt: this.attempt, run, series: group, clientId: this.clientId, sequence: ++this.sequence });
      run = null;
    }
  }

  private runInfo(status: RunStatus, finishedMs?: number): RunInfoInput {
    const o = this.o;
    // The lineage rides on every run info of this attempt: declaring it again is harmless (the last resume_step, the first fork_of counts).
    const lineage = { ...(o.resumeStep !== null ? { resumeStep: o.resumeStep } : {}), ...(o.forkFrom ? { forkOf: o.forkFrom.run, forkStep: o.forkFrom.step } : {}) };
    return { name: o.name, configJson: o.configJson, tags: o.tags, status, startedMs: this.startedMs, ...(finishedMs ? { finishedMs } : {}), meta: o.meta, ...lineage };
  }

  onBeforeExit(): void {
    if (!this.finishing) void this.finish('finished');
  }

  onExit(code: number): void {
    if (!this.finishing && this.sendsRunInfo) this.pendingRunInfo = this.runInfo(code === 0 ? 'finished' : 'crashed', Date.now());
    if (!this.finishing) this.cut();
    this.outbox.spillAll();
    this.spool.release();
    const pending = this.mode === 'offline' ? 0 : this.outbox.pendingBatches;
    if (pending > 0) this.o.warn(`stepstream: process exiting with ${pending} batches of run ${this.runId} unsent; they are kept in ${this.spoolDir}; upload with: npx stepstream-sync-js ${this.o.spoolRoot} --url ${this.o.url}`);
  }
}
