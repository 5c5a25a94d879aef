// Turns one delivery into what the store writes: points, run metadata and the
// batch keys that make a client's retry count once. Pure apart from the
// lookup of keys already stored.
import { decodeIngestRequest, validateRequest, type DecodedIngestRequest } from '@stepstream/proto';
import type { Delivery, SourceMessage } from '@stepstream/queue';
import { batchKey, type BatchRecord, type RunInfoRecord, type SeriesRows, type WriteSet } from '@stepstream/storage';

export interface Rejected {
  message: SourceMessage;
  reason: string;
  /** Position in its delivery. */
  index: number;
}

export interface BuiltWriteSet {
  set: WriteSet;
  /** Messages that are not valid requests: for the dead-letter topic. */
  rejected: Rejected[];
  /** Client retries of batches already stored (or repeated in this delivery). */
  duplicates: number;
}

/** Looks up which batch keys were stored by some other write set. */
export type StoredBatches = (keys: readonly string[], exceptToken: string) => Promise<Set<string>>;

/** Version of a RunInfo: later receipt wins, and within one delivery, later position. */
const runVersion = (receivedMs: number, index: number) => receivedMs * 1024 + (index % 1024);

/** A delivery's messages decoded and checked: done once, whatever the store does. */
export interface DecodedDelivery {
  token: string;
  requests: { msg: SourceMessage; req: DecodedIngestRequest; key: string | null; index: number }[];
  /** Messages that are not valid requests: for the dead-letter topic. */
  rejected: Rejected[];
}

export function decodeDelivery(delivery: Delivery): DecodedDelivery {
  const rejected: Rejected[] = [];
  const requests: DecodedDelivery['requests'] = [];
  delivery.messages.forEach((msg, index) => {
    let req = msg.decoded;
    if (!req) {
      try {
        req = decodeIngestRequest(msg.value);
      } catch (err) {
        rejected.push({ message: msg, reason: `undecodable: ${(err as Error).message}`, index });
        return;
      }
      // Messages from Kafka were validated by a gateway, but a queue is a
      // boundary: a bad one is dead-lettered, never half stored.
      const { problem } = validateRequest(req);
      if (problem) { rejected.push({ message: msg, reason: `invalid: ${problem.message}`, index }); return; }
    }
    requests.push({ msg, req, key: req.clientId ? batchKey(req.project, req.runId, req.attempt, req.clientId, req.sequence) : null, index });
  });
  return { token: delivery.token, requests, rejected };
}

/** The write set of a decoded delivery, less the client retries already stored (looked up per attempt). */
export async function assembleWriteSet({ token, requests: decoded, rejected }: DecodedDelivery, storedBatches: StoredBatches): Promise<BuiltWriteSet> {
  const keys = decoded.flatMap((d) => (d.key ? [d.key] : []));
  const stored = await storedBatches(keys, token);
  const seen = new Set<string>();
  const series: SeriesRows[] = [];
  const batches: BatchRecord[] = [];
  const runs: RunInfoRecord[] = [];
  let duplicates = 0;
  for (const { msg, req, key, index } of decoded) {
    if (key) {
      if (stored.has(key) || seen.has(key)) { duplicates++; continue; }
      seen.add(key);
    }
    let points = 0;
    for (const s of req.series) {
      if (s.steps.length === 0) continue;
      points += s.steps.length;
      series.push({ project: req.project, run: req.runId, metric: s.metric, rank: s.rank, attempt: req.attempt, steps: s.steps, values: s.values, timeMs: s.timeMs, receivedMs: msg.receivedMs });
    }
    batches.push({ project: req.project, run: req.runId, attempt: req.attempt, clientId: req.clientId, sequence: req.sequence, points, receivedMs: msg.receivedMs });
    if (req.run) {
      runs.push({ ...req.run, project: req.project, run: req.runId, attempt: req.attempt, version: runVersion(msg.receivedMs, index), receivedMs: msg.receivedMs });
    }
  }
  return { set: { token, series, batches, runs }, rejected, duplicates };
}
