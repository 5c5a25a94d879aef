import { ServiceError } from '@stepstream/runtime';

export const QueryErrors = {
  param: (param: string, message: string, details: Record<string, unknown> = {}) => new ServiceError('SS_ERR_QUERY_PARAM', 400, `${param}: ${message}`, { param, ...details }),
  projectNotFound: (project: string) => new ServiceError('SS_ERR_PROJECT_NOT_FOUND', 404, `no project ${JSON.stringify(project)}: nothing was ingested into it`, { project }),
  runNotFound: (project: string, run: string) => new ServiceError('SS_ERR_RUN_NOT_FOUND', 404, `no run ${JSON.stringify(run)} in project ${JSON.stringify(project)}`, { project, run }),
  metricNotFound: (run: string, metric: string, rank?: number) =>
    new ServiceError('SS_ERR_METRIC_NOT_FOUND', 404, rank === undefined ? `no metric ${JSON.stringify(metric)} in run ${JSON.stringify(run)}` : `no points of metric ${JSON.stringify(metric)} at rank ${rank} in run ${JSON.stringify(run)}`, { run, metric, ...(rank === undefined ? {} : { rank }) }),
};
