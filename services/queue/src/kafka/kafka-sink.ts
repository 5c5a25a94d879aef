// The gateway's Kafka sink. Requests are gathered into one produce call while
// the previous one is in flight, so throughput does not hang on one round
// trip per request; each request's promise settles when the broker acked the
// produce call that carried it (acks=all, idempotent producer).
//
// NOTE: after a failed produce call the producer is replaced before the next
// one. An idempotent producer numbers its batches per partition and only
// counts a batch once it was acked; a call that failed may still have been
// written (the broker appended it, then went away before answering, and
// kafkajs gave up reconnecting). The next batch would then reuse that number,
// and the broker, seeing the same producer, sequence and record count, would
// answer it as a repeat of the one it holds: acked, never written. A new
// producer id starts a fresh sequence, so nothing can alias what the old one
// may have left.
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { QueueFullError, QueueUnavailableError, type IngestMessage, type IngestSink } from '../types.js';

export interface KafkaSinkOptions {
  topic: string;
  /** Request bytes waiting for or inside a produce call, at most (past it: 503). */
  maxPendingBytes: number;
  /** Bytes per produce call at most. */
  maxBatchBytes: number;
  /** A request not acked within this answers 503 (it may still land: client retries are deduplicated). */
  ackTimeoutMs: number;
}

interface Pending { msg: IngestMessage; resolve: () => void; reject: (err: Error) => void; settled: boolean }

export class KafkaSink implements IngestSink {
  private producer: Producer;
  /** The last produce call failed: the next one goes through a new producer (see the NOTE above). */
  private renew = false;
  private queue: Pending[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<void> | null = null;
  private lastFailure: { at: number; message: string } | null = null;
  private oldestInFlightAt: number | null = null;
  private closed = false;

  constructor(private readonly kafka: Kafka, private readonly opts: KafkaSinkOptions, private readonly log: Logger) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // NOTE: retried while the broker is away (the ack timeout answers the
      // client); kafkajs still fails the call once reconnecting exhausts the
      // client's own retries.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /** The producer for the next call: a new one (new producer id) after a failed call. */
  private async ready(): Promise<Producer> {
    if (this.renew) {
      const old = this.producer;
      this.producer = this.newProducer();
      await old.disconnect().catch((err: unknown) => this.log.debug({ err }, 'old producer did not disconnect cleanly'));
      await this.producer.connect();
      this.renew = false;
      this.log.info('producer renewed after a failed produce call');
    }
    return this.producer;
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  send(msg: IngestMessage): Promise<void> {
    if (this.closed) return Promise.reject(new QueueFullError('gateway is shutting down', 1));
    const bytes = msg.value.byteLength;
    if (this.pendingBytes + bytes > this.opts.maxPendingBytes && this.pendingBytes > 0) {
      const reason = this.notReadyReason();
      return Promise.reject(reason
        ? new QueueUnavailableError(`Kafka is not accepting batches (${reason}); retry later`)
        : new QueueFullError(`${this.pendingBytes} bytes are waiting for Kafka; retry later`));
    }
    return new Promise<void>((resolve, reject) => {
      // NOTE: the timer is cleared on settling: left running, each would hold
      // its request's bytes for the whole ack timeout.
      const timer = setTimeout(() => {
        if (p.settled) return;
        p.settled = true;
        reject(new QueueUnavailableError(`Kafka did not acknowledge within ${this.opts.ackTimeoutMs} ms${this.lastFailure ? `: ${this.lastFailure.message}` : ''}`));
      }, this.opts.ackTimeoutMs);
      timer.unref();
      const p: Pending = {
        msg, settled: false,
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.pendingBytes += bytes;
      this.queue.push(p);
      this.pump();
    });
  }

  notReadyReason(): string | null {
    if (this.closed) return 'closing';
    if (this.oldestInFlightAt !== null && Date.now() - this.oldestInFlightAt > this.opts.ackTimeoutMs) return `produce call waiting for ${Date.now() - this.oldestInFlightAt} ms`;
    if (this.lastFailure && Date.now() - this.lastFailure.at < 5000) return `produce failed: ${this.lastFailure.message}`;
    return null;
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.queue.length && (batch.length === 0 || bytes + this.queue[0]!.msg.value.byteLength <= this.opts.maxBatchBytes)) {
      const p = this.queue.shift()!;
      bytes += p.msg.value.byteLength;
      batch.push(p);
    }
    this.oldestInFlightAt = Date.now();
    this.inFlight = this.ready()
      .then((producer) => producer.send({ topic: this.opts.topic, acks: -1, messages: batch.map((p) => ({ key: p.msg.key, value: Buffer.from(p.msg.value.buffer, p.msg.value.byteOffset, p.msg.value.byteLength) })) }))
      .then(
        () => {
          this.lastFailure = null;
          for (const p of batch) if (!p.settled) { p.settled = true; p.resolve(); }
        },
        (err: Error) => {
          this.renew = true;
          this.lastFailure = { at: Date.now(), message: err.message };
          this.log.warn({ err, messages: batch.length }, 'produce failed');
          for (const p of batch) if (!p.settled) { p.settled = true; p.reject(new QueueUnavailableError(`Kafka refused the batch: ${err.message}`, { cause: err })); }
        },
      )
      .finally(() => {
        this.pendingBytes -= bytes;
        this.inFlight = null;
        this.oldestInFlightAt = null;
        this.pump();
      });
  }

  /** Stops taking batches and waits for those already taken to be acked (or fail). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.inFlight || this.queue.length) {
      this.pump();
      await this.inFlight;
    }
    await this.producer.disconnect();
  }
}
