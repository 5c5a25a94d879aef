// Read access for every /v1/projects/:project route: an API key of that
// project (read or write) when keys are configured.
import type { FastifyRequest } from 'fastify';
import type { ApiKeys } from '@stepstream/runtime';

export function readAccess(keys: ApiKeys) {
  return async (req: FastifyRequest): Promise<void> => {
    const project = (req.params as { project?: string } | undefined)?.project;
    if (project !== undefined) keys.check(req.headers.authorization, project, 'read');
  };
}
