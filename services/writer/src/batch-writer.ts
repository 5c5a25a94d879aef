// The writer's loop: take a delivery, build its write set, store it (retrying
// while the store fails transiently; what it refuses for good goes to the
// dead letters), then acknowledge. One delivery in flight at a time:
// while it is stored, the next one accumulates in the queue, so batches grow
// with load; when the store is slow the queue fills and the gateway answers
// 503 — backpressure, not buffering without bound.
import type { DeadLetterPlace, Delivery, DeliveryLimits, IngestSource, SourceMessage } from '@stepstream/queue';
import { backoffMs, sleep, Counter, Gauge, Histogram, type Logger, type Registry } from '@stepstream/runtime';
import type { Store } from '@stepstream/storage';
import { isPermanent, storeDelivery, type Refused, type Retrying } from './refusal-split.js';
import { decodeDelivery } from './write-set.js';

export interface DeadLetters {
  /** Resolves once the message is kept (a Kafka topic, a file of the data directory). */
  send(message: SourceMessage, reason: string, place: DeadLetterPlace): Promise<void>;
}

/** Thrown through a retry when the writer is stopped. */
const STOPPED = new Error('writer stopped');

export interface BatchWriterDeps {
  source: IngestSource;
  store: Store;
  log: Logger;
  registry: Registry;
  limits: DeliveryLimits;
  deadLetters?: DeadLetters;
}

export class BatchWriter {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private starting: Promise<void> | null = null;
  private stopping = false;
  private failingSince: number | null = null;
  private lastError = '';
  private readonly m;

  constructor(private readonly deps: BatchWriterDeps) {
    const registers = [deps.registry];
    this.m = {
      flushes: new Counter({ name: 'stepstream_writer_flushes_total', help: 'Write sets stored', registers }),
      rows: new Counter({ name: 'stepstream_writer_points_stored_total', help: 'Points stored', registers }),
      flushRows: new Histogram({ name: 'stepstream_writer_flush_points', help: 'Points per flush', registers, buckets: [100, 1e3, 1e4, 1e5, 2.5e5, 5e5, 1e6, 2e6] }),
      flushSeconds: new Histogram({ name: 'stepstream_writer_flush_seconds', help: 'Time to store one write set', registers, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] }),
      storeErrors: new Counter({ name: 'stepstream_store_errors_total', help: 'Failed store calls (retried)', registers }),
      refusals: new Counter({ name: 'stepstream_store_refusals_total', help: 'Write sets the store refused for good (split; the refused messages dead-lettered)', registers }),
      duplicates: new Counter({ name: 'stepstream_writer_duplicate_batches_total', help: 'Client retries of stored batches, skipped', registers }),
      deadLetters: new Counter({ name: 'stepstream_writer_dead_letters_total', help: 'Messages sent to the dead-letter queue', registers }),
      // NOTE: a Kafka source knows bytes, not points (it has not decoded what it holds): its points gauge stays 0.
      depth: new Gauge({ name: 'stepstream_queue_depth_points', help: 'Points held in the local queue, not yet stored', registers, collect: () => { this.m.depth.set(deps.source.depth().points); } }),
      depthBytes: new Gauge({ name: 'stepstream_queue_depth_bytes', help: 'Request bytes held in the queue or fetched from Kafka, not yet stored', registers, collect: () => { this.m.depthBytes.set(deps.source.depth().bytes); } }),
    };
  }

  /** Null when the store is accepting writes, else why not. */
  notReadyReason(): string | null {
    return this.failingSince === null ? null : `store failing for ${Date.now() - this.failingSince} ms: ${this.lastError}`;
  }

  /** Starts the source, then the loop. Idempotent. */
  start(): Promise<void> {
    return (this.starting ??= this.deps.source.start().then(() => { this.loop ??= this.run(); }));
  }

  /**
   * Closes the source and finishes: the all-in-one write-ahead log queue is
   * drained into the store (nothing new can arrive once the gateway stopped);
   * a Kafka source hands out nothing more, the delivery in flight is stored
   * and committed.
   */
  async close(): Promise<void> {
    this.stopping = true;
    const closing = this.deps.source.close();
    await this.loop;
    await closing;
  }

  /** Stops at once, abandoning retries (work not committed is redelivered by a durable queue). */
  async abortNow(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { source, log } = this.deps;
    while (!this.abort.signal.aborted) {
      let delivery: Delivery | null;
      try {
        delivery = await source.next(this.deps.limits, this.abort.signal);
      } catch (err) {
        log.error({ err }, 'queue read failed');
        await sleep(backoffMs(0), this.abort.signal);
        continue;
      }
      if (!delivery) {
        if (this.stopping) break;
        continue;
      }
      if (!(await this.store(delivery))) break;
    }
    log.info('writer stopped');
  }

  /**
   * Stores a delivery, retrying transient failures until it is stored; what
   * the store refuses for good goes to the dead letters (refusal-split.ts).
   * False when aborted first.
   */
  private async store(delivery: Delivery): Promise<boolean> {
    const { log } = this.deps;
    // NOTE: decoded once; a retry after a store failure only looks up the
    // stored batch keys again and rewrites the same write set.
    const decoded = decodeDelivery(delivery);
    const t0 = performance.now();
    const retrying: Retrying = (call) => this.retrying(call, delivery.token);
    try {
      const stored = await storeDelivery(decoded, this.deps.store, retrying);
      const letters: Refused[] = [
        ...stored.refused,
        ...decoded.rejected.map((r) => ({ message: r.message, reason: r.reason, place: { token: `${delivery.token}/rejected/${r.index}`, landed: [] } })),
      ];
      if (stored.splits) {
        this.m.refusals.inc(stored.splits);
        log.warn({ token: delivery.token, splits: stored.splits, refused: stored.refused.length, messages: delivery.messages.length }, 'the store refused part of a delivery for good: stored the rest, the refused messages go to the dead letters');
      }
      let sent = 0;
      // NOTE: the dead letters are written before the commit, and retried as
      // the store is (a full dead-letter store stops the writer here): a
      // delivery is never acknowledged with a message in neither place.
      const messages = delivery.messages.length;
      await retrying(async () => {
        for (; sent < letters.length; sent++) await this.deadLetter(letters[sent]!);
        await delivery.commit();
      });
      const seconds = (performance.now() - t0) / 1000;
      this.m.flushes.inc();
      this.m.rows.inc(stored.rows);
      this.m.flushRows.observe(stored.rows);
      this.m.flushSeconds.observe(seconds);
      if (stored.duplicates) this.m.duplicates.inc(stored.duplicates);
      log.debug({ rows: stored.rows, messages, duplicates: stored.duplicates, ms: Math.round(seconds * 1000), store: stored.ms }, 'flushed batch');
      return true;
    } catch (err) {
      if (err === STOPPED) return false;
      throw err;
    }
  }

  /** Runs a call until it succeeds, backing off after each transient failure; a permanent StoreError is thrown at once. */
  private async retrying<T>(call: () => Promise<T>, token: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.abort.signal.aborted) throw STOPPED;
      try {
        const result = await call();
        if (this.failingSince !== null) this.deps.log.info({ downMs: Date.now() - this.failingSince }, 'store recovered');
        this.failingSince = null;
        return result;
      } catch (err) {
        if (isPermanent(err)) throw err;
        this.m.storeErrors.inc();
        this.failingSince ??= Date.now();
        this.lastError = (err as Error).message;
        const wait = backoffMs(attempt, 200, 10_000);
        this.deps.log.warn({ err, attempt, retryInMs: wait, token }, 'store failed; retrying the same write set');
        await sleep(wait, this.abort.signal);
      }
    }
  }

  private async deadLetter({ message, reason, place }: Refused): Promise<void> {
    if (this.deps.deadLetters) await this.deps.deadLetters.send(message, reason, place);
    this.m.deadLetters.inc();
    this.deps.log.warn({ origin: message.origin, reason, bytes: message.value.byteLength, token: place.token, kept: !!this.deps.deadLetters }, 'message cannot be stored: dead-lettered');
  }
}
