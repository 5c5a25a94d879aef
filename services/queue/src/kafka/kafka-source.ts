// The writer's Kafka source: a consumer group whose partitions are buffered
// (partition-buffers.ts) and handed to the writer one delivery per partition
// at a time.
//
// NOTE: exactly-once effect rests on deliveries being deterministic. Before a
// delivery [start, end] of a partition is handed out, its plan is committed
// to Kafka as the metadata of the (unchanged) committed offset `start`. After
// the store accepted it, offset end+1 is committed. A writer that dies in
// between leaves the plan behind; whoever owns the partition next reads it and
// rebuilds exactly [start, end] under the same token, which the store then
// drops as a repeat. Commits carry the group generation, so a writer that lost
// the partition in a rebalance cannot overwrite the new owner's plan.
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Delivery, DeliveryLimits, IngestSource } from '../types.js';
import { idleDeadline } from '../types.js';
import { fetchCommitted, planMetadata } from './delivery-plan.js';
import { PartitionBuffers, type PartitionState } from './partition-buffers.js';

export interface KafkaSourceOptions {
  topic: string;
  groupId: string;
  /** Bytes buffered across partitions before fetching pauses (consumer backpressure). */
  maxBufferedBytes: number;
  /** Called with per-partition lag after fetches and commits. */
  onLag?: (partition: number, lag: number) => void;
}

export class KafkaSource implements IngestSource {
  private consumer: Consumer;
  private readonly admin: Admin;
  private readonly buffers = new PartitionBuffers();
  private generation = 0;
  private wakers: (() => void)[] = [];
  private closed = false;
  private replacing: NodeJS.Timeout | null = null;

  constructor(private readonly kafka: Kafka, private readonly opts: KafkaSourceOptions, private readonly log: Logger) {
    this.consumer = this.newConsumer();
    this.admin = kafka.admin();
  }

  private newConsumer(): Consumer {
    return this.kafka.consumer({
      groupId: this.opts.groupId,
      maxBytesPerPartition: 70 * 1024 * 1024,
      maxBytes: 140 * 1024 * 1024,
      // A writer that died without leaving is noticed after this long.
      sessionTimeout: 10_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: 100,
      // kafkajs restarts a crashed consumer by itself; never once we closed it
      // (a close racing a group join would otherwise rejoin as a zombie).
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000, restartOnFailure: async () => !this.closed },
    });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.run(this.consumer);
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // A new generation: kafkajs seeks every assigned partition back to its
      // committed offset, so whatever is buffered would come twice. Drop it.
      this.generation++;
      const assigned = new Set<number>(e.payload.memberAssignment[this.opts.topic] ?? []);
      for (const p of this.buffers.dropAll()) {
        if (!assigned.has(p)) this.opts.onLag?.(p, 0);
      }
      this.log.info({ partitions: [...assigned], generation: this.generation }, 'partitions assigned');
      this.wake();
    });
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    consumer.on(consumer.events.CRASH, (e) => {
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (!e.payload.restart) this.replace(consumer);
    });
    // NOTE: not awaited: joining the group can wait a whole session timeout
    // for a member that died, and the process should be up meanwhile.
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.onBatch(payload),
    }).catch((err: unknown) => {
      this.log.error({ err }, 'consumer stopped');
      this.replace(consumer);
    });
  }

  /**
   * A new consumer in place of one kafkajs gave up on. NOTE: kafkajs restarts
   * a crashed consumer only after errors it deems retriable; with the broker
   * away it can crash with one it does not ("Failed to find group
   * coordinator") and stay down: the writer would look up and consume nothing,
   * the delivery in flight never committed.
   */
  private replace(dead: Consumer): void {
    if (this.closed || dead !== this.consumer || this.replacing) return;
    this.replacing = setTimeout(() => {
      this.replacing = null;
      if (this.closed) return;
      const next = this.newConsumer();
      this.consumer = next;
      void dead.disconnect().catch(() => {});
      this.log.warn('starting a new consumer in place of the crashed one');
      this.run(next).catch((err: unknown) => {
        this.log.warn({ err }, 'new consumer did not start; trying again');
        this.replace(next);
      });
    }, 1000);
  }

  private async state(partition: number, firstOffset: number): Promise<PartitionState> {
    const known = this.buffers.get(partition);
    if (known?.planLoaded) return known;
    const generation = this.generation;
    const committed = await fetchCommitted(this.admin, this.opts.groupId, this.opts.topic, partition);
    let st = this.buffers.get(partition);
    if (generation !== this.generation || !st) st = this.buffers.reset(partition);
    st.committed = committed.offset;
    if (committed.planEnd !== null && committed.offset === firstOffset) {
      st.plan = { start: firstOffset, end: committed.planEnd };
      this.log.info({ partition, plan: st.plan }, 'resuming a delivery planned by an earlier owner');
    }
    st.planLoaded = true;
    return st;
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const st = await this.state(batch.partition, Number(batch.firstOffset()));
    const generation = this.generation;
    st.highWatermark = Number(batch.highWatermark);
    for (const m of batch.messages) {
      this.buffers.push(st, {
        offset: Number(m.offset), bytes: m.value?.byteLength ?? 0,
        msg: { value: m.value ?? new Uint8Array(0), receivedMs: Number(m.timestamp), origin: `${batch.topic}/${batch.partition}@${m.offset}` },
      });
    }
    this.opts.onLag?.(batch.partition, Math.max(0, st.highWatermark - Math.max(st.committed, 0)));
    this.wake();
    // Backpressure: while too much is buffered, hold this fetch (heartbeating,
    // so the group keeps us) until the writer catches up.
    while (this.buffers.bytes > this.opts.maxBufferedBytes && isRunning() && !isStale() && generation === this.generation && !this.closed) {
      await new Promise((r) => setTimeout(r, 50));
      await heartbeat();
    }
  }

  depth() {
    return this.buffers.depth();
  }

  async next(limits: DeliveryLimits, signal: AbortSignal): Promise<Delivery | null> {
    // Wait a while for something to arrive; a partition is then delivered
    // once full or once its oldest message is maxWaitMs old.
    const onAbort = () => this.wake();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.poll(limits, signal, Date.now() + limits.maxWaitMs, idleDeadline(limits));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async poll(limits: DeliveryLimits, signal: AbortSignal, lingerDeadline: number, deadline: number): Promise<Delivery | null> {
    for (;;) {
      // Closing: hand out nothing more; what is buffered is not committed and
      // comes back to whoever owns the partition next.
      if (signal.aborted || this.closed) return null;
      const ready = this.buffers.pick(limits, Date.now() >= lingerDeadline, Date.now() - limits.maxWaitMs);
      if (ready) return this.deliver(ready.partition, ready.st, limits);
      if (Date.now() >= deadline) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(Math.max(1, deadline - Date.now()), 50));
        this.wakers.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  private async deliver(partition: number, st: PartitionState, limits: DeliveryLimits): Promise<Delivery> {
    st.busy = true;
    const generation = this.generation;
    const taken = this.buffers.take(st, limits);
    const start = taken[0]!.offset, end = taken.at(-1)!.offset;
    const tp = { topic: this.opts.topic, partition };
    try {
      if (!st.plan) await this.consumer.commitOffsets([{ ...tp, offset: String(start), metadata: planMetadata(end) }]);
    } catch (err) {
      // NOTE: the plan could not be committed (broker away): the messages go
      // back to the front of the buffer, to be delivered once it is back. The
      // consumer has fetched past them and, without a rebalance, would never
      // fetch them again. After a rebalance the new generation refetches from
      // the committed offset instead, and this state is already dropped.
      if (generation === this.generation && this.buffers.get(partition) === st) this.buffers.putBack(st, taken);
      st.busy = false;
      throw err;
    }
    st.plan = null;
    return {
      messages: taken.map((b) => b.msg),
      token: `kafka:${this.opts.topic}:${partition}:${start}-${end}`,
      commit: async () => {
        try {
          await this.consumer.commitOffsets([{ ...tp, offset: String(end + 1), metadata: null as unknown as string }]);
          st.committed = end + 1;
          this.opts.onLag?.(partition, Math.max(0, st.highWatermark - st.committed));
        } finally {
          st.busy = false;
          if (generation !== this.generation) this.log.info({ partition, start, end }, 'delivery finished after a rebalance; the new owner replays it if the commit was refused');
          this.wake();
        }
      },
    };
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  /** Hands out nothing more, waits (up to waitMs) for the delivery in flight to be committed, then leaves the group. */
  async close(waitMs = 20_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.replacing) clearTimeout(this.replacing);
    this.wake();
    const deadline = Date.now() + waitMs;
    while (this.buffers.anyBusy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }
}
