// The seams between gateway and writer. A gateway hands validated request
// bytes to a sink; a writer takes deliveries from a source, stores them, then
// acknowledges. In-process and Kafka implement both sides.
import type { DecodedIngestRequest } from '@stepstream/proto';

export interface IngestMessage {
  /** Routing key: the run id, so a run's batches stay in order on one partition. */
  key: string;
  /** The validated IngestRequest bytes, exactly as the client sent them (inflated). */
  value: Uint8Array;
  /** Points in the request, for accounting and bounds. */
  points: number;
  /** Set when the request was decoded in this process, so the writer does not decode twice. */
  decoded?: DecodedIngestRequest;
}

/**
 * Heap a decoded series holds besides its columns and metric name: the
 * object and its three typed-array views (measured on Node 20: ~390 bytes per
 * series of one point, a short metric name included).
 */
const SERIES_OVERHEAD_BYTES = 384;

/**
 * The memory a message holds while queued, for the queue's byte bound: its
 * bytes, and when it travels decoded, the columns that are copies (not views
 * on `value`), the per-series objects and the run info's strings.
 * NOTE: a small body can decode to much more than itself (10,000 series of
 * one point are ~390 KB of protobuf and ~4 MB of heap), so the bound
 * must count what is held, not what was received.
 */
export function messageBytes(m: IngestMessage): number {
  let bytes = m.value.byteLength;
  const d = m.decoded;
  if (!d) return bytes;
  const body = m.value.buffer;
  for (const s of d.series) {
    bytes += SERIES_OVERHEAD_BYTES + 2 * s.metric.length;
    if (s.steps.buffer !== body) bytes += s.steps.byteLength;
    if (s.values.buffer !== body) bytes += s.values.byteLength;
    if (s.timeMs.buffer !== body) bytes += s.timeMs.byteLength;
  }
  const r = d.run;
  if (r) {
    // Strings: at most two bytes per UTF-16 unit.
    let chars = r.name.length + r.configJson.length + r.forkOf.length;
    for (const t of r.tags) chars += t.length;
    for (const k in r.meta) chars += k.length + r.meta[k]!.length;
    bytes += SERIES_OVERHEAD_BYTES + 2 * chars;
  }
  return bytes;
}

export interface IngestSink {
  /**
   * Resolves once the message is durable in the queue (Kafka: acked by the
   * broker; in-process: appended to the write-ahead log). Rejects with a
   * QueueFullError or QueueUnavailableError, never silently drops.
   */
  send(message: IngestMessage): Promise<void>;
  /** Null when ready, else why not. */
  notReadyReason(): string | null;
  close(): Promise<void>;
}

export interface SourceMessage {
  value: Uint8Array;
  decoded?: DecodedIngestRequest;
  /** When the queue received it (ms since epoch): the time of points sent without one. */
  receivedMs: number;
  /** Where it came from, for dead letters and logs. */
  origin: string;
}

export interface Delivery {
  messages: SourceMessage[];
  /**
   * Deterministic name of this exact set of messages: the same messages
   * delivered again after a crash get the same token, so the store can drop
   * the repeat. Unique otherwise.
   */
  token: string;
  /** Acknowledge after the store accepted everything (commits offsets). A source may empty `messages` then. */
  commit(): Promise<void>;
}

export interface DeliveryLimits {
  maxPoints: number;
  maxBytes: number;
  /** How long to wait for more once something is there (0: deliver at once). */
  maxWaitMs: number;
}

/**
 * How long next() waits on an empty queue before answering null, however
 * small maxWaitMs is. NOTE: with maxWaitMs 0 an empty queue answered null at
 * once, and the writer's loop asked again in a microtask: it spun at 100% CPU
 * and starved the event loop (the server never listened).
 */
export const IDLE_WAIT_MS = 250;

/** When an empty wait that started now ends. */
export function idleDeadline(limits: DeliveryLimits): number {
  return Date.now() + Math.max(limits.maxWaitMs, IDLE_WAIT_MS);
}

export interface IngestSource {
  /** Begins taking messages (a Kafka consumer joins its group); called once, before next(). */
  start(): Promise<void>;
  /** Next delivery; null when closed and drained, or when nothing came within the wait. */
  next(limits: DeliveryLimits, signal: AbortSignal): Promise<Delivery | null>;
  /** Messages (or points) waiting, for metrics. */
  depth(): { messages: number; points: number; bytes: number };
  close(): Promise<void>;
}

export class QueueFullError extends Error {
  readonly code = 'SS_ERR_QUEUE_FULL';
  constructor(message: string, readonly retryAfterSeconds = 1) {
    super(message);
    this.name = 'QueueFullError';
  }
}

export class QueueUnavailableError extends Error {
  readonly code = 'SS_ERR_QUEUE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }, readonly retryAfterSeconds = 2) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}
