// Turns one delivery into what the store writes: points, run metadata and the
// batch keys that make a client's retry count once. Pure apart from the
// lookup of keys already stored.
import { decodeIngestRequest, validateRequest, type DecodedIngestRequest } from '@stepstream/proto';
import type { Delivery, SourceMessage } from '@stepstream/queue';
import { batchKey, type BatchRecord, type RunInfoRecord, type SeriesRows, type WriteSet } from '@stepstream/storage';

export interface Rejected {
  message: SourceMessage;
  reason: string;
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

export async function buildWriteSet(delivery: Delivery, storedBatches: StoredBatches): Promise<BuiltWriteSet> {
  const rejected: Rejected[] = [];
  const decoded: { msg: SourceMessage; req: DecodedIngestRequest; key: string | null; index: number }[] = [];
  delivery.messages.forEach((msg, index) => {
    let req = msg.decoded;
    if (!req) {
      try {
        req = decodeIngestRequest(msg.value);
      } catch (err) {
        rejected.push({ message: msg, reason: `undecodable: ${(err as Error).message}` });
        return;
      }
      // Messages from Kafka were validated by a gateway, but a queue is a
      // boundary: a bad one is dead-lettered, never half stored.
      const { problem } = validateRequest(req);
      if (problem) { rejected.push({ message: msg, reason: `invalid: ${problem.message}` }); return; }
    }
    decoded.push({ msg, req, key: req.clientId ? batchKey(req.project, req.runId, req.clientId, req.sequence) : null, index });
  });

  const keys = decoded.flatMap((d) => (d.key ? [d.key] : []));
  const stored = await storedBatches(keys, delivery.token);
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
      series.push({ project: req.project, run: req.runId, metric: s.metric, rank: s.rank, steps: s.steps, values: s.values, timeMs: s.timeMs, receivedMs: msg.receivedMs });
    }
    batches.push({ project: req.project, run: req.runId, clientId: req.clientId, sequence: req.sequence, points, receivedMs: msg.receivedMs });
    if (req.run) {
      const r = req.run;
      runs.push({
        project: req.project, run: req.runId, version: runVersion(msg.receivedMs, index), receivedMs: msg.receivedMs,
        name: r.name, configJson: r.configJson, tags: r.tags, status: r.status, startedMs: r.startedMs, finishedMs: r.finishedMs, meta: r.meta,
      });
    }
  }
  return { set: { token: delivery.token, series, batches, runs }, rejected, duplicates };
}
