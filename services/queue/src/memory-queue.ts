// The in-process queue of the all-in-one target: a bounded FIFO that is both
// the gateway's sink and the writer's source.
import { randomUUID } from 'node:crypto';
import type { Delivery, DeliveryLimits, IngestMessage, IngestSink, IngestSource, SourceMessage } from './types.js';
import { QueueFullError } from './types.js';

export interface MemoryQueueOptions {
  /** Points held at most; past it, send() rejects with QueueFullError (→ 503). */
  maxPoints: number;
  /** Bytes held at most. */
  maxBytes: number;
}

export class MemoryQueue implements IngestSink, IngestSource {
  private items: { msg: SourceMessage; points: number; bytes: number }[] = [];
  private head = 0;
  private points = 0;
  private bytes = 0;
  /** Taken by a delivery, not yet committed: still counts against the bounds. */
  private inFlight = { points: 0, bytes: 0 };
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(private readonly opts: MemoryQueueOptions) {}

  async send(message: IngestMessage): Promise<void> {
    if (this.closed) throw new QueueFullError('queue is closed: the server is shutting down', 1);
    const bytes = message.value.byteLength;
    const heldPoints = this.points + this.inFlight.points, heldBytes = this.bytes + this.inFlight.bytes;
    // NOTE: one request larger than the whole bound is still let through when
    // the queue is empty, so a big but legal batch cannot be refused forever.
    const empty = heldPoints === 0 && heldBytes === 0;
    if (!empty && (heldPoints + message.points > this.opts.maxPoints || heldBytes + bytes > this.opts.maxBytes)) {
      throw new QueueFullError(`ingest queue is full (${heldPoints} points, ${heldBytes} bytes held); retry later`);
    }
    const msg: SourceMessage = { value: message.value, receivedMs: Date.now(), origin: 'memory' };
    if (message.decoded) msg.decoded = message.decoded;
    this.items.push({ msg, points: message.points, bytes });
    this.points += message.points;
    this.bytes += bytes;
    this.wake();
  }

  notReadyReason(): string | null {
    return this.closed ? 'queue closed' : null;
  }

  depth() {
    return { messages: this.items.length - this.head, points: this.points + this.inFlight.points, bytes: this.bytes + this.inFlight.bytes };
  }

  async next(limits: DeliveryLimits, signal: AbortSignal): Promise<Delivery | null> {
    if (this.size() === 0) {
      if (this.closed) return null;
      await this.wait(limits.maxWaitMs, signal);
      if (this.size() === 0) return null;
    }
    // Something is there: give it a moment to become a bigger batch, unless
    // the batch is already full or we are closing.
    if (this.points < limits.maxPoints && this.bytes < limits.maxBytes && !this.closed && !signal.aborted) {
      await this.wait(limits.maxWaitMs, signal, limits);
    }
    const taken: SourceMessage[] = [];
    let points = 0, bytes = 0;
    while (this.head < this.items.length) {
      const it = this.items[this.head]!;
      if (taken.length > 0 && (points + it.points > limits.maxPoints || bytes + it.bytes > limits.maxBytes)) break;
      taken.push(it.msg);
      points += it.points;
      bytes += it.bytes;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    this.points -= points;
    this.bytes -= bytes;
    this.inFlight.points += points;
    this.inFlight.bytes += bytes;
    let committed = false;
    return {
      messages: taken,
      token: `mem-${randomUUID()}`,
      commit: async () => {
        if (committed) return;
        committed = true;
        this.inFlight.points -= points;
        this.inFlight.bytes -= bytes;
      },
    };
  }

  /** Stops accepting; next() keeps draining what is held, then returns null. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake();
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
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      const onWake = () => {
        if (until && !this.closed && this.points < until.maxPoints && this.bytes < until.maxBytes) { this.waiter = onWake; return; }
        done();
      };
      this.waiter = onWake;
    });
  }
}
