import { ServiceError } from '@stepstream/runtime';
import { ACROSS_PROJECTS } from '@stepstream/storage';

/** "ranks 0..1023 (1024 ranks)", or a short list. */
function describeRanks(ranks: readonly number[]): string {
  if (ranks.length <= 8) return `rank${ranks.length === 1 ? '' : 's'} ${ranks.join(', ')}`;
  const first = ranks[0]!, last = ranks[ranks.length - 1]!;
  return last - first + 1 === ranks.length ? `ranks ${first}..${last} (${ranks.length} ranks)` : `${ranks.length} ranks from ${first} to ${last}`;
}

export const QueryErrors = {
  param: (param: string, message: string, details: Record<string, unknown> = {}) => new ServiceError('SS_ERR_QUERY_PARAM', `${param}: ${message}`, { param, ...details }),
  /** The store's read limits (read-limits.ts), named as the flags that set them. */
  tooManyReads: (project: string, limit: number, cause: unknown) => new ServiceError('SS_ERR_TOO_MANY_READS',
    `${project === ACROSS_PROJECTS ? 'the project list has' : `project ${JSON.stringify(project)} has`} ${limit} reads running or waiting, the most it may (--query-project-reads); retry shortly`,
    { limit, project }, { retryAfterSeconds: 1, cause }),
  readQueueFull: (limit: number, cause: unknown) => new ServiceError('SS_ERR_READ_QUEUE_FULL',
    `${limit} reads are waiting for the store, the most it queues (--query-queued-reads); retry shortly`, { limit }, { retryAfterSeconds: 1, cause }),
  // NOTE: 422, not 503: the time limit counts the engine's work on this query
  // alone (time spent waiting in line is not counted), so retrying it as it is
  // would only spend the limit again. The client should ask for less.
  queryTimeout: (limitMs: number, cause: unknown) => new ServiceError('SS_ERR_QUERY_TIMEOUT',
    `the query ran longer than ${limitMs} ms, the most a read may (--query-timeout-ms), and was stopped; ask for a narrower range, fewer points, or tier=auto`, { limit: limitMs }, { cause }),
  tooManyExports: (limit: number, cause: unknown) => new ServiceError('SS_ERR_TOO_MANY_EXPORTS',
    `${limit} exports are running, the most this process runs at once; retry when one is done`, { limit }, { retryAfterSeconds: 5, cause }),
  projectNotFound: (project: string) => new ServiceError('SS_ERR_PROJECT_NOT_FOUND', `no project ${JSON.stringify(project)}: nothing was ingested into it`, { project }),
  runNotFound: (project: string, run: string) => new ServiceError('SS_ERR_RUN_NOT_FOUND', `no run ${JSON.stringify(run)} in project ${JSON.stringify(project)}`, { project, run }),
  attemptNotFound: (run: string, attempt: number) =>
    new ServiceError('SS_ERR_ATTEMPT_NOT_FOUND', `run ${JSON.stringify(run)} has no attempt ${attempt}: no point or resume step was logged for it`, { run, attempt }),
  /** A cross-rank read of a metric no rank >= 0 has. */
  noRanks: (run: string, metric: string) =>
    new ServiceError('SS_ERR_METRIC_NOT_FOUND', `no points of metric ${JSON.stringify(metric)} at any rank >= 0 in run ${JSON.stringify(run)}: cross-rank reads leave out rank -1 (read it with /series)`, { run, metric }),
  /** /series of a per-rank metric without a rank: name the ranks it has and the cross-rank read. */
  noRunLevel: (run: string, metric: string, ranks: readonly number[]) =>
    new ServiceError('SS_ERR_METRIC_NOT_FOUND',
      `metric ${JSON.stringify(metric)} of run ${JSON.stringify(run)} has no rank -1 (the run as a whole, the default rank); it is logged per rank, at ${describeRanks(ranks)}: ask for one with rank=N, or across ranks with /ranks/series?metric=${encodeURIComponent(metric)}`,
      { run, metric, rank: -1, ranks: ranks.length > 64 ? { count: ranks.length, first: ranks[0], last: ranks[ranks.length - 1] } : ranks }),
  /** An export's ranks= names a rank none of the metrics asked for has effective points at. */
  rankNotFound: (run: string, rank: number) =>
    new ServiceError('SS_ERR_METRIC_NOT_FOUND', `no points at rank ${rank} in run ${JSON.stringify(run)} (of the metrics asked for)`, { run, rank }),
  metricNotFound: (run: string, metric: string, rank?: number) =>
    new ServiceError('SS_ERR_METRIC_NOT_FOUND', rank === undefined ? `no metric ${JSON.stringify(metric)} in run ${JSON.stringify(run)}` : `no points of metric ${JSON.stringify(metric)} at rank ${rank} in run ${JSON.stringify(run)}`, { run, metric, ...(rank === undefined ? {} : { rank }) }),
};
