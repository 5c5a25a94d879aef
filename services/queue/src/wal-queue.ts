// The durable in-process queue of the all-in-one target: a bounded FIFO in
// memory, with every message appended to a write-ahead log in the data directory
// before send() resolves, so a 202 survives a crash of the process.
//
// NOTE: exactly-once effect, as with Kafka plans (kafka-source.ts). Before a
// delivery of the records [first, last] is handed out, a PLAN record is
// appended; after the store accepted it, a COMMIT record. Reopening the log
// finds the records after the last COMMIT; if a PLAN follows it, the first
// delivery is exactly [first, last] again under the same token, which the
// store drops as a repeat. The token also names the log (a random id kept in
// the directory): sequence numbers restart with a new directory, and a store
// that outlives it must not take `0-9` of the new log for `0-9` of the old.
//
// Damage: a torn tail (nothing readable after it: a write cut by a crash) is
// cut at open; damage with records after it stops the open (WalDamagedError)
// until `repairWal` (`stepstream wal-repair`) sets it aside. After any cut,
// numbering skips past whatever the cut bytes could have held (wal/reopen.ts,
// wal/seq-floor.ts).
import type { Logger } from 'pino';
import type { Delivery, DeliveryLimits, IngestMessage, IngestSink, IngestSource, SourceMessage } from './types.js';
import { QueueFullError, QueueUnavailableError, idleDeadline, messageBytes } from './types.js';
import { encodeCommit, encodeData, encodePlan } from './wal/record.js';
import { reopenLog, type QueuedMessage, type SeqRange } from './wal/reopen.js';
import type { SegmentLog } from './wal/segment-log.js';
import type { SeqFloor } from './wal/seq-floor.js';

export interface WalQueueOptions {
  /** Directory of the log; created when missing. One process at a time. */
  dir: string;
  /** Points held at most (queued, in flight, being written); past it, send() rejects with QueueFullError (→ 503). */
  maxPoints: number;
  /** Bytes held at most. */
  maxBytes: number;
  /** A segment file is closed and a new one started past this size (default 64 MiB). */
  segmentBytes?: number;
  /** 'none' (default): survives a process crash. 'batch': fsync each group before acknowledging, to survive power loss. */
  fsync?: 'none' | 'batch';
  log?: Logger;
  /** The command that repairs this log, named in the error when it is damaged (default: the `repairWal` call). */
  repairHint?: string;
}

export class WalQueue implements IngestSink, IngestSource {
  /** Slots before `head` were handed out and are cleared, so a taken message is not held here. */
  private items: (QueuedMessage | undefined)[] = [];
  private head = 0;
  private points = 0;
  private bytes = 0;
  /** Taken by a delivery, not yet committed: still counts against the bounds. */
  private inFlight: { points: number; bytes: number } | null = null;
  /** Accepted by send(), still being written: counts against the bounds, not yet deliverable. */
  private unwritten = { count: 0, points: 0, bytes: 0 };
  /** A delivery planned before a crash: the next one must be exactly this. */
  private plan: SeqRange | null = null;
  private reading = false;
  private waiter: (() => void) | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private drained!: () => void;
  private readonly drainedP = new Promise<void>((resolve) => { this.drained = resolve; });

  private constructor(private readonly opts: WalQueueOptions, private readonly wal: SegmentLog, private readonly floor: SeqFloor, private readonly id: string, private nextSeq: number) {}

  static async open(opts: WalQueueOptions): Promise<WalQueue> {
    const { wal, floor, id, nextSeq, pending, plan } = await reopenLog({
      dir: opts.dir, segmentBytes: opts.segmentBytes ?? 64 * 1024 * 1024, fsync: opts.fsync ?? 'none',
      ...(opts.log ? { log: opts.log } : {}), ...(opts.repairHint ? { repairHint: opts.repairHint } : {}),
    });
    const q = new WalQueue(opts, wal, floor, id, nextSeq);
    for (const it of pending) {
      q.items.push(it);
      q.points += it.points;
      q.bytes += it.bytes;
    }
    q.plan = plan;
    opts.log?.info({ dir: opts.dir, messages: q.items.length, points: q.points, bytes: q.bytes, plan: q.plan, segments: wal.segmentCount() }, 'opened write-ahead log');
    return q;
  }

  async send(message: IngestMessage): Promise<void> {
    if (this.closed) throw new QueueFullError('queue is closed: the server is shutting down', 1);
    if (this.wal.broken) throw new QueueUnavailableError('the write-ahead log is broken', { cause: this.wal.broken });
    // Held in memory until committed: the decoded request too, not only the bytes.
    const bytes = messageBytes(message);
    const u = this.unwritten;
    const inFlight = this.inFlight ?? { points: 0, bytes: 0 };
    const heldPoints = this.points + inFlight.points + u.points, heldBytes = this.bytes + inFlight.bytes + u.bytes;
    // NOTE: one request larger than the whole bound is still let through when
    // the queue is empty, so a big but legal batch cannot be refused forever.
    const empty = heldPoints === 0 && heldBytes === 0;
    if (!empty && (heldPoints + message.points > this.opts.maxPoints || heldBytes + bytes > this.opts.maxBytes)) {
      throw new QueueFullError(`ingest queue is full (${heldPoints} points, ${heldBytes} bytes held); retry later`);
    }
    const seq = this.nextSeq++;
    const msg: SourceMessage = { value: message.value, receivedMs: Date.now(), origin: `wal:${seq}` };
    if (message.decoded) msg.decoded = message.decoded;
    u.count++; u.points += message.points; u.bytes += bytes;
    try {
      // NOTE: resolves only after the write returned, so a record cut off by
      // a crash was never acknowledged. Groups resolve in log order and each
      // send continues right after its own await, so items are pushed in seq
      // order too.
      await this.wal.append(encodeData(seq, msg.receivedMs, message.points, message.value), seq);
    } catch (err) {
      u.count--; u.points -= message.points; u.bytes -= bytes;
      this.wake();
      throw new QueueUnavailableError('the write-ahead log could not be written; retry later', { cause: err });
    }
    u.count--; u.points -= message.points; u.bytes -= bytes;
    this.items.push({ msg, seq, points: message.points, bytes });
    this.points += message.points;
    this.bytes += bytes;
    this.wake();
  }

  /** Nothing to start: the log was read back when it was opened. */
  async start(): Promise<void> {}

  notReadyReason(): string | null {
    if (this.closed) return 'queue closed';
    return this.wal.broken ? `write-ahead log broken: ${this.wal.broken.message}` : null;
  }

  depth() {
    const f = this.inFlight ?? { points: 0, bytes: 0 };
    return { messages: this.size(), points: this.points + f.points, bytes: this.bytes + f.bytes };
  }

  async next(limits: DeliveryLimits, signal: AbortSignal): Promise<Delivery | null> {
    // NOTE: PLAN and COMMIT records must alternate for recovery to find the
    // open plan; the writer takes one delivery at a time anyway.
    if (this.inFlight || this.reading) throw new Error('WalQueue hands out one delivery at a time: commit the previous one first');
    this.reading = true;
    try {
      return await this.read(limits, signal);
    } finally {
      this.reading = false;
    }
  }

  private async read(limits: DeliveryLimits, signal: AbortSignal): Promise<Delivery | null> {
    if (this.plan) {
      const { first, last } = this.plan;
      let n = 0;
      while (this.head + n < this.items.length && this.items[this.head + n]!.seq <= last) n++;
      this.plan = null;
      if (n > 0) return this.take(n, first, last);
    }
    const deadline = idleDeadline(limits);
    while (this.size() === 0) {
      // Closed: what was accepted but is still being written must be drained too.
      if (this.closed && this.unwritten.count === 0) { this.checkDrained(); return null; }
      if (signal.aborted || (!this.closed && Date.now() >= deadline)) return null;
      await this.wait(this.closed ? 50 : deadline - Date.now(), signal);
    }
    // Something is there: let the batch grow until its oldest message has
    // waited maxWaitMs (a linger, not a pause after every insert), unless the
    // batch is already full or we are closing.
    const age = Date.now() - this.items[this.head]!.msg.receivedMs;
    if (age < limits.maxWaitMs && this.points < limits.maxPoints && this.bytes < limits.maxBytes && !this.closed && !signal.aborted) {
      await this.wait(limits.maxWaitMs - age, signal, limits);
    }
    let n = 0, points = 0, bytes = 0;
    for (let i = this.head; i < this.items.length; i++, n++) {
      const it = this.items[i]!;
      if (n > 0 && (points + it.points > limits.maxPoints || bytes + it.bytes > limits.maxBytes)) break;
      points += it.points;
      bytes += it.bytes;
    }
    const first = this.items[this.head]!.seq, last = this.items[this.head + n - 1]!.seq;
    // Throws when the log cannot be written: nothing is taken, the writer retries.
    await this.floor.raise(last + 1);
    await this.wal.append(encodePlan(first, last));
    return this.take(n, first, last);
  }

  private take(n: number, first: number, last: number): Delivery {
    // NOTE: the slots are cleared, not only passed by: a message (its body and
    // decoded columns, tens of MB for a 1M-point batch) must be collectable as
    // soon as its delivery is committed, not once 1,024 more have passed.
    const taken: QueuedMessage[] = [];
    for (let i = 0; i < n; i++) { taken.push(this.items[this.head]!); this.items[this.head++] = undefined; }
    if (this.head > 1024 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    const flight = { points: 0, bytes: 0 };
    for (const it of taken) { flight.points += it.points; flight.bytes += it.bytes; }
    this.points -= flight.points;
    this.bytes -= flight.bytes;
    this.inFlight = flight;
    let committed = false;
    const delivery: Delivery = {
      messages: taken.map((it) => it.msg),
      token: `wal:${this.id}:${first}-${last}`,
      commit: async () => {
        if (committed) return;
        // Throws when the log cannot be written: the writer retries the same
        // write set (a repeat for the store) and commits again.
        await this.wal.append(encodeCommit(last));
        committed = true;
        this.inFlight = null;
        // Stored: a delivery kept by its caller no longer keeps the messages.
        delivery.messages = [];
        await this.wal.dropCommitted(last);
        this.checkDrained();
      },
    };
    return delivery;
  }

  /**
   * Stops accepting; next() keeps draining what is held (also what was
   * accepted just before), and the files are closed after the final commit.
   * Resolves then, so it needs a reader: the writer's loop. Idempotent.
   */
  close(): Promise<void> {
    this.closed = true;
    this.wake();
    this.checkDrained();
    return (this.closing ??= this.drainedP.then(async () => { await this.wal.close(); await this.floor.close(); }));
  }

  private checkDrained(): void {
    if (this.closed && this.size() === 0 && !this.inFlight && !this.plan && this.unwritten.count === 0) this.drained();
  }

  private size(): number {
    return this.items.length - this.head;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Waits up to ms, or until woken (and, with `until`, until the batch limits are reached). */
  private wait(ms: number, signal: AbortSignal, until?: DeliveryLimits): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); this.waiter = null; resolve(); };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      const onWake = () => {
        if (until && !this.closed && this.points < until.maxPoints && this.bytes < until.maxBytes) { this.waiter = onWake; return; }
        done();
      };
      this.waiter = onWake;
    });
  }
}
