// What the Kafka source fetched and has not handed out yet, per partition: the
// bytes held (which consumer backpressure watches) and which partition goes next.
import type { DeliveryLimits, SourceMessage } from '../types.js';

export interface Buffered { msg: SourceMessage; offset: number; bytes: number }

export interface PartitionState {
  buffer: Buffered[];
  bytes: number;
  /** A plan left by an earlier owner: the first delivery must be exactly this. */
  plan: { start: number; end: number } | null;
  planLoaded: boolean;
  busy: boolean;
  highWatermark: number;
  committed: number;
}

export class PartitionBuffers {
  private readonly parts = new Map<number, PartitionState>();
  private bufferedBytes = 0;
  private rr = 0;

  /** Bytes buffered across partitions. */
  get bytes(): number {
    return this.bufferedBytes;
  }

  get(partition: number): PartitionState | undefined {
    return this.parts.get(partition);
  }

  /** A new, empty state for the partition, in place of whatever it had. */
  reset(partition: number): PartitionState {
    const st: PartitionState = { buffer: [], bytes: 0, plan: null, planLoaded: false, busy: false, highWatermark: 0, committed: 0 };
    this.parts.set(partition, st);
    return st;
  }

  /** Forgets every partition and what it buffered; returns the partitions forgotten. */
  dropAll(): number[] {
    const dropped: number[] = [];
    for (const [p, st] of this.parts) {
      this.bufferedBytes -= st.bytes;
      this.parts.delete(p);
      dropped.push(p);
    }
    return dropped;
  }

  push(st: PartitionState, b: Buffered): void {
    st.buffer.push(b);
    st.bytes += b.bytes;
    this.bufferedBytes += b.bytes;
  }

  /** A partition ready for a delivery: a full one, a planned one complete, or (timed out) any. */
  pick(limits: DeliveryLimits, anyIsFine: boolean, lingerSince: number): { partition: number; st: PartitionState } | null {
    const entries = [...this.parts.entries()];
    for (let i = 0; i < entries.length; i++) {
      const [partition, st] = entries[(this.rr + i) % entries.length]!;
      if (st.busy || st.buffer.length === 0) continue;
      if (st.plan) {
        if (st.buffer.at(-1)!.offset >= st.plan.end) { this.rr++; return { partition, st }; }
        continue;
      }
      if (anyIsFine || st.bytes >= limits.maxBytes || st.buffer[0]!.msg.receivedMs <= lingerSince) { this.rr++; return { partition, st }; }
    }
    return null;
  }

  /** Takes the next delivery's messages off the front: exactly the plan when there is one, else up to maxBytes (at least one). */
  take(st: PartitionState, limits: DeliveryLimits): Buffered[] {
    let taken: Buffered[];
    if (st.plan) {
      const end = st.plan.end;
      const n = st.buffer.findIndex((b) => b.offset > end);
      taken = st.buffer.splice(0, n === -1 ? st.buffer.length : n);
    } else {
      let bytes = 0, n = 0;
      while (n < st.buffer.length && (n === 0 || bytes + st.buffer[n]!.bytes <= limits.maxBytes)) { bytes += st.buffer[n]!.bytes; n++; }
      taken = st.buffer.splice(0, n);
    }
    const takenBytes = sumBytes(taken);
    st.bytes -= takenBytes;
    this.bufferedBytes -= takenBytes;
    return taken;
  }

  /** Puts messages taken back at the front of their partition's buffer. */
  putBack(st: PartitionState, taken: Buffered[]): void {
    const takenBytes = sumBytes(taken);
    st.buffer.unshift(...taken);
    st.bytes += takenBytes;
    this.bufferedBytes += takenBytes;
  }

  depth() {
    let messages = 0;
    for (const st of this.parts.values()) messages += st.buffer.length;
    return { messages, points: 0, bytes: this.bufferedBytes };
  }

  /** Whether a delivery handed out is not committed yet. */
  anyBusy(): boolean {
    return [...this.parts.values()].some((p) => p.busy);
  }
}

function sumBytes(taken: Buffered[]): number {
  return taken.reduce((a, b) => a + b.bytes, 0);
}
