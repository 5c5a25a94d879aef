// What decodeIngestRequest (decode.ts) gives: an IngestRequest of
// stepstream/v1/ingest.proto with plain numbers, typed-array columns and
// every absent field at its proto3 default (resume_step: null, its presence matters).
/** RunStatus of stepstream/v1/ingest.proto. */
export const RUN_STATUS = { UNSPECIFIED: 0, RUNNING: 1, FINISHED: 2, FAILED: 3, CRASHED: 4 } as const;

export interface DecodedRunInfo {
  name: string;
  configJson: string;
  tags: string[];
  /** A RUN_STATUS. */
  status: number;
  startedMs: number;
  finishedMs: number;
  /** A null-prototype object: a `__proto__` key is an entry like any other. */
  meta: Record<string, string>;
  /** The first step the request's attempt owns; null when not sent (0 is a value). NaN beyond ±2^53. */
  resumeStep: number | null;
  /** The run this one is a fork of; '' when it is not a fork. */
  forkOf: string;
  /** The first step of the fork that is its own (0 when not sent). NaN beyond ±2^53. */
  forkStep: number;
}

export interface DecodedSeries {
  metric: string;
  rank: number;
  /** Steps as numbers; a step whose int64 is outside ±2^53 is stored as NaN. */
  steps: Float64Array;
  values: Float64Array;
  /** Empty when the client sent no times. Out-of-range times are NaN. */
  timeMs: Float64Array;
}

export interface DecodedIngestRequest {
  project: string;
  runId: string;
  run: DecodedRunInfo | null;
  series: DecodedSeries[];
  clientId: string;
  /** uint64 as decimal text: exact whatever its size. */
  sequence: string;
  /** The attempt of the run the points belong to (0 when not sent: the first). */
  attempt: number;
}
