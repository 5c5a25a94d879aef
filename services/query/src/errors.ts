import { ServiceError } from '@stepstream/runtime';

export const QueryErrors = {
  param: (param: string, message: string, details: Record<string, unknown> = {}) => new ServiceError('SS_ERR_QUERY_PARAM', `${param}: ${message}`, { param, ...details }),
  /** The store's read limits (engine-scheduler.ts), named as the flags that set them. */
  tooManyReads: (project: string, limit: number, cause: unknown) => new ServiceError('SS_ERR_TOO_MANY_READS',
    `project ${JSON.stringify(project)} has ${limit} reads running or waiting, the most it may (--query-project-reads); retry shortly`, { limit, project }, { retryAfterSeconds: 1, cause }),
  readQueueFull: (limit: number, cause: unknown) => new ServiceError('SS_ERR_READ_QUEUE_FULL',
    `${limit} reads are waiting for the store, the most it queues (--query-queued-reads); retry shortly`, { limit }, { retryAfterSeconds: 1, cause }),
  // NOTE: 422, not 503: the time limit counts the engine's work on this query
  // alone (time spent waiting in line is not counted), so retrying it as it is
  // would only spend the limit again. The client should ask for less.
  queryTimeout: (limitMs: number, cause: unknown) => new ServiceError('SS_ERR_QUERY_TIMEOUT',
    `the query ran longer than ${limitMs} ms, the most a read may (--query-timeout-ms), and was stopped; ask for a narrower range, fewer points, or tier=auto`, { limit: limitMs }, { cause }),
  projectNotFound: (project: string) => new ServiceError('SS_ERR_PROJECT_NOT_FOUND', `no project ${JSON.stringify(project)}: nothing was ingested into it`, { project }),
  runNotFound: (project: string, run: string) => new ServiceError('SS_ERR_RUN_NOT_FOUND', `no run ${JSON.stringify(run)} in project ${JSON.stringify(project)}`, { project, run }),
  attemptNotFound: (run: string, attempt: number) =>
    new ServiceError('SS_ERR_ATTEMPT_NOT_FOUND', `run ${JSON.stringify(run)} has no attempt ${attempt}: no point or resume step was logged for it`, { run, attempt }),
  metricNotFound: (run: string, metric: string, rank?: number) =>
    new ServiceError('SS_ERR_METRIC_NOT_FOUND', rank === undefined ? `no metric ${JSON.stringify(metric)} in run ${JSON.stringify(run)}` : `no points of metric ${JSON.stringify(metric)} at rank ${rank} in run ${JSON.stringify(run)}`, { run, metric, ...(rank === undefined ? {} : { rank }) }),
};
