// What a batch is, in the shapes callers build: one IngestRequest of
// proto/stepstream/v1/ingest.proto with plain numbers and typed arrays.

/** Where a client sends when told nothing else (the server's default port). */
export const DEFAULT_URL = 'http://127.0.0.1:4300';

/** A run's state, as the wire's RunStatus enum, lower case. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'crashed';

/** RunStatus enum numbers on the wire (field numbers are a public contract). */
export const RUN_STATUS_CODE: Readonly<Record<RunStatus, number>> = {
  running: 1,
  finished: 2,
  failed: 3,
  crashed: 4,
};

/** Optional upsert of the run's metadata; only rank 0 (or a rankless run) sends it. */
export interface RunInfoInput {
  name?: string;
  /** A JSON object, as text. */
  configJson?: string;
  tags?: readonly string[];
  /** A status name, or the enum number itself. */
  status?: RunStatus | number;
  startedMs?: number;
  finishedMs?: number;
  /** host, git commit, command line, ...; written in the order given. */
  meta?: Readonly<Record<string, string>>;
  /** The first step the batch's attempt owns (a checkpoint's step); written when given, 0 included. */
  resumeStep?: number | null;
  /** The run this one is a fork of ('' or absent: not a fork), with the first step of the fork's own. */
  forkOf?: string;
  forkStep?: number;
}

/** Points of one metric on one rank; point i is (steps[i], values[i], timeMs[i]). */
export interface SeriesInput {
  /** `[A-Za-z0-9_./-]{1,200}` */
  metric: string;
  /** -1 (the default) means the run as a whole. */
  rank?: number;
  /** Safe integers. */
  steps: ArrayLike<number>;
  /** NaN and ±Infinity are legal and kept exactly. */
  values: ArrayLike<number>;
  /** Milliseconds since the epoch; empty or absent means "time of receipt". */
  timeMs?: ArrayLike<number>;
}

/** One POST /v1/ingest body before encoding. */
export interface IngestBatch {
  project: string;
  runId: string;
  run?: RunInfoInput | null;
  series: readonly SeriesInput[];
  /** (clientId, sequence) names a batch: a retried batch is stored once. */
  clientId?: string;
  /** uint64; a bigint above 2^53. */
  sequence?: number | bigint;
  /** The attempt of the run these points belong to (uint32; 0, the first, when absent). */
  attempt?: number;
}

/** Points in a batch (what the server answers as accepted_points). */
export function countPoints(batch: Pick<IngestBatch, 'series'>): number {
  let n = 0;
  for (const s of batch.series) n += s.steps.length;
  return n;
}
