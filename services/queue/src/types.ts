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

export interface IngestSink {
  /**
   * Resolves once the message is durable in the queue (Kafka: acked by the
   * broker; in-process: held in the bounded queue). Rejects with a
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
  /** How long to wait for more once something is there. */
  maxWaitMs: number;
}

export interface IngestSource {
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
