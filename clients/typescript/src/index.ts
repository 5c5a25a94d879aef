// @stepstream/client: log training metrics from Node without slowing the
// loop, and never lose a point.
//
//   const run = init({ project: 'llm', url: 'http://localhost:4000', config: { lr: 3e-4 } });
//   for (...) run.log({ loss, lr });
//   await run.finish();
import { StepstreamError } from './errors.js';
import { resolveOptions, type InitOptions } from './options.js';
import { Run, type FinishResult } from './run.js';
import type { RunStatus } from './types.js';

export { Run, type FinishResult } from './run.js';
export { type InitOptions, type ForkFrom, type Mode, newClientId } from './options.js';
export { sync, type SyncOptions, type SyncResult } from './sync.js';
export { IngestClient, type IngestClientOptions, type SendOptions, type SendResult, type RetryInfo } from './ingest-client.js';
export { encodeIngestRequest } from './encode.js';
export { VERSION } from './version.js';
export { splitBatch, decodeBatch } from './split-batch.js';
export { type RetryOptions, parseRetryAfter } from './retry.js';
export { StepstreamError, BadValueError, type ClientErrorCode, type ServerErrorBody } from './errors.js';
export { countPoints, DEFAULT_URL, RUN_STATUS_CODE, type IngestBatch, type SeriesInput, type RunInfoInput, type RunStatus } from './types.js';

let current: Run | null = null;

/** Starts a run (and makes it the current one for the module-level log/finish). */
export function init(options: InitOptions): Run {
  const run = new Run(resolveOptions(options));
  current = run;
  return run;
}

function currentRun(): Run {
  if (!current) throw new StepstreamError('SS_ERR_CLIENT_CONFIG', 'stepstream: no current run; call init() first');
  return current;
}

/** log() on the run init() last started. */
export function log(metrics: Readonly<Record<string, number | bigint>>, step?: number): void {
  currentRun().log(metrics, step);
}

/** finish() on the run init() last started. */
export async function finish(status?: RunStatus, opts?: { timeoutMs?: number }): Promise<FinishResult> {
  const run = currentRun();
  try {
    return await run.finish(status, opts);
  } finally {
    if (current === run) current = null;
  }
}
