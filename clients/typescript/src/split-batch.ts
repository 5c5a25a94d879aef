// Halving a batch the server found too large (413), and reading a spooled
// batch back into a structure that can be halved.
import { decodeIngestRequest } from '@stepstream/proto';
import { countPoints, type IngestBatch, type SeriesInput } from './types.js';

function slice(a: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  if (ArrayBuffer.isView(a)) return (a as unknown as Float64Array).subarray(start, end);
  return Array.prototype.slice.call(a, start, end) as number[];
}

function sliceSeries(s: SeriesInput, start: number, end: number): SeriesInput {
  const t = s.timeMs && s.timeMs.length > 0 ? { timeMs: slice(s.timeMs, start, end) } : {};
  return { metric: s.metric, rank: s.rank ?? -1, steps: slice(s.steps, start, end), values: slice(s.values, start, end), ...t };
}

/**
 * The identity of half `part` (1 or 2) of a batch. NOTE: halves need
 * identities of their own, and a fixed one each: the same split of the same
 * batch (the split point depends only on its content) must get the same
 * names when it is retried, or when `sync` resumes after a crash, so that
 * the server stores each half once. Deriving them from the parent's
 * (clientId, sequence) does that without taking numbers from the parent's
 * own sequence, which later batches already use.
 */
function halfIdentity(batch: IngestBatch, part: 1 | 2): Pick<IngestBatch, 'clientId' | 'sequence'> {
  if (!batch.clientId) return {};
  return { clientId: `${batch.clientId}~${String(batch.sequence ?? 0)}`, sequence: part };
}

/**
 * Splits a batch into two with about half the points each (a series that
 * straddles the middle is cut in two); run info rides with the first half.
 * Returns null when there is nothing left to split.
 */
export function splitBatch(batch: IngestBatch): [IngestBatch, IngestBatch] | null {
  const total = countPoints(batch);
  const left: SeriesInput[] = [];
  const right: SeriesInput[] = [];
  if (total >= 2) {
    const half = Math.floor(total / 2);
    let seen = 0;
    for (const s of batch.series) {
      const n = s.steps.length;
      if (seen + n <= half) left.push(s);
      else if (seen >= half) right.push(s);
      else {
        const cut = half - seen;
        left.push(sliceSeries(s, 0, cut));
        right.push(sliceSeries(s, cut, n));
      }
      seen += n;
    }
  } else if (batch.series.length >= 2) {
    // At most one point but several (empty) series: split the list.
    const mid = Math.ceil(batch.series.length / 2);
    left.push(...batch.series.slice(0, mid));
    right.push(...batch.series.slice(mid));
  } else if (batch.run && batch.series.length === 1) {
    left.push(...batch.series);
  } else {
    return null;
  }
  const base = { project: batch.project, runId: batch.runId };
  if (batch.run && left.length === batch.series.length && right.length === 0) {
    // Only run info and one series: send them apart.
    return [{ ...base, run: batch.run, series: [], ...halfIdentity(batch, 1) }, { ...base, series: left, ...halfIdentity(batch, 2) }];
  }
  return [
    { ...base, run: batch.run ?? null, series: left, ...halfIdentity(batch, 1) },
    { ...base, series: right, ...halfIdentity(batch, 2) },
  ];
}

/** An encoded IngestRequest back as a batch (for splitting a spooled one). */
export function decodeBatch(bytes: Uint8Array): IngestBatch {
  const d = decodeIngestRequest(bytes);
  return {
    project: d.project,
    runId: d.runId,
    run: d.run,
    series: d.series,
    clientId: d.clientId,
    sequence: BigInt(d.sequence || '0'),
  };
}
