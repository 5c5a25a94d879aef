// Batches cut by a run, in sequence order, on their way to the server.
//
// NOTE (backpressure): the outbox is one FIFO whose entries live either in
// memory (the batch structure, not yet encoded) or in the spool (a .pb file).
// A new batch stays in memory while the in-memory entries are under
// `maxMemoryBytes`; past that it is encoded and written to disk at once, so
// memory stays bounded however long the server is away, and nothing is ever
// dropped. One send is in flight at a time, always the head, so batches
// arrive in sequence order, and the head keeps its identity (attempt,
// client_id, sequence) for every retry. An entry leaves the outbox only after a 2xx (its file is
// deleted then) or a final refusal (its file is set aside as .rejected.pb).
import { encodeIngestRequest } from './encode.js';
import { StepstreamError } from './errors.js';
import { errorText, type IngestClient } from './ingest-client.js';
import { readBatchFile, rejectBatchFile, removeBatchFile, type SpoolWriter } from './spool.js';
import { countPoints, type IngestBatch } from './types.js';

interface Entry {
  sequence: number;
  points: number;
  /** In memory until sent or spilled. */
  batch?: IngestBatch | undefined;
  memoryBytes: number;
  /** In the spool once spilled. */
  file?: string | undefined;
}

export interface OutboxStats {
  batchesSent: number;
  pointsSent: number;
  batchesSpooled: number;
  batchesRejected: number;
  /** Requests retried (429/503/network errors), for the curious and for tests. */
  retries: number;
}

export interface OutboxOptions {
  /** null: offline, every batch goes to the spool and stays there. */
  client: IngestClient | null;
  spool: SpoolWriter;
  maxMemoryBytes: number;
  warn: (message: string) => void;
}

/** A rough size of a batch once encoded: what memory accounting needs. */
function estimateBytes(batch: IngestBatch): number {
  let bytes = 256;
  for (const s of batch.series) bytes += 32 + s.metric.length + 26 * s.steps.length;
  return bytes;
}

export class Outbox {
  readonly stats: OutboxStats = { batchesSent: 0, pointsSent: 0, batchesSpooled: 0, batchesRejected: 0, retries: 0 };
  /** The last send error, for finish()'s message. */
  lastError: unknown;
  private readonly entries: Entry[] = [];
  private memoryBytes = 0;
  private pumping = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  private diskWarnedAt = 0;

  constructor(private readonly opts: OutboxOptions) {}

  get pendingBatches(): number { return this.entries.length; }
  get pendingPoints(): number { return this.entries.reduce((n, e) => n + e.points, 0); }

  push(batch: IngestBatch & { sequence: number }): void {
    const entry: Entry = { sequence: batch.sequence, points: countPoints(batch), memoryBytes: 0 };
    const size = estimateBytes(batch);
    const offline = this.opts.client === null;
    if (!(offline || this.stopped || this.memoryBytes + size > this.opts.maxMemoryBytes) || !this.toDisk(entry, batch)) {
      entry.batch = batch;
      entry.memoryBytes = size;
      this.memoryBytes += size;
    }
    // Offline, a batch on disk has arrived; one the disk refused waits here for the next try.
    if (offline && entry.file !== undefined) return;
    this.entries.push(entry);
    this.kick();
  }

  /**
   * Writes a batch to the spool; false (with a warning) when the disk
   * refuses. NOTE: then the batch stays in memory past the bound: a full
   * disk must neither crash the trainer nor drop points; the next spill or
   * finish() tries again.
   */
  private toDisk(e: Entry, batch: IngestBatch): boolean {
    try {
      e.file = this.opts.spool.write(e.sequence, encodeIngestRequest(batch));
      this.stats.batchesSpooled++;
      return true;
    } catch (err) {
      this.lastError = err;
      const now = Date.now();
      if (now - this.diskWarnedAt > 60_000) {
        this.diskWarnedAt = now;
        this.opts.warn(`stepstream: cannot write to the spool ${this.opts.spool.dir} (${errorText(err)}); keeping batches in memory`);
      }
      return false;
    }
  }

  /** Resolves when every batch pushed so far has been sent (or sending stopped; offline: at once). */
  drained(): Promise<void> {
    if (this.entries.length === 0 || this.stopped || this.opts.client === null) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops sending (aborting the request in flight) and writes what is in memory to the spool. */
  stop(): void {
    this.stopped = true;
    this.abort.abort(new Error('outbox stopped'));
    this.spillAll();
    this.wake();
  }

  /** Writes every in-memory entry to the spool, synchronously (also safe from an 'exit' hook). */
  spillAll(): void {
    for (const e of this.entries) {
      if (e.batch === undefined || e.file !== undefined) continue;
      if (!this.toDisk(e, e.batch)) break;
      this.release(e);
    }
    // Offline, entries are only the batches the disk refused before: written now, they are done.
    if (this.opts.client === null) this.entries.splice(0, this.entries.length, ...this.entries.filter((e) => e.file === undefined));
  }

  private release(e: Entry): void {
    this.memoryBytes -= e.memoryBytes;
    e.memoryBytes = 0;
    e.batch = undefined;
  }

  private kick(): void {
    if (this.pumping || this.stopped || this.opts.client === null) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      await this.sendAll();
    } finally {
      // NOTE: reset in the same tick as the loop's last emptiness check, so a
      // push() arriving later always finds pumping false and kicks again.
      this.pumping = false;
    }
    this.wake();
  }

  private async sendAll(): Promise<void> {
    const client = this.opts.client!;
    while (this.entries.length > 0 && !this.stopped) {
      const e = this.entries[0]!;
      try {
        if (e.batch !== undefined) {
          await client.send(e.batch, { signal: this.abort.signal });
        } else {
          const f = readBatchFile(e.file!);
          await client.send(f.bytes, { signal: this.abort.signal, gzipped: f.gzipped });
        }
        this.stats.batchesSent++;
        this.stats.pointsSent += e.points;
        this.done(e);
      } catch (err) {
        if (this.stopped) break;
        this.lastError = err;
        const code = err instanceof StepstreamError ? err.code : undefined;
        if (code === 'SS_ERR_CLIENT_UNAUTHORIZED') {
          this.opts.warn(`stepstream: ${errorText(err)}; sending stopped, batches are kept in ${this.opts.spool.dir}`);
          this.stop();
          break;
        }
        if ((err as { code?: string }).code === 'ENOENT' && e.batch === undefined) {
          this.opts.warn(`stepstream: spooled batch ${e.file} disappeared before it was sent (removed by hand, or uploaded by a sync)`);
          this.done(e);
          continue;
        }
        // Refused for good (400, 413 on one point) or unexpected: set aside on disk, never dropped, never retried.
        this.setAside(e, errorText(err), err instanceof StepstreamError ? err.statusCode : undefined);
      }
    }
  }

  private done(e: Entry): void {
    this.entries.shift();
    this.release(e);
    if (e.file !== undefined) removeBatchFile(e.file);
  }

  private setAside(e: Entry, reason: string, status: number | undefined): void {
    let kept: string;
    try {
      const file = e.file ?? this.opts.spool.write(e.sequence, encodeIngestRequest(e.batch!));
      kept = `kept in ${rejectBatchFile(file, reason, status)}`;
    } catch (err) {
      kept = `and could not be kept on disk either (${errorText(err)})`;
    }
    e.file = undefined;
    this.done(e);
    this.stats.batchesRejected++;
    this.opts.warn(`stepstream: batch ${e.sequence} (${e.points} points) was refused: ${reason}; ${kept}`);
  }

  private wake(): void {
    if (this.entries.length > 0 && !this.stopped) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
