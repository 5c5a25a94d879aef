// The run a read names, or the most specific 404: no such project, or no such run in it.
import type { Reads, RunRow } from '@stepstream/storage';
import { QueryErrors } from './errors.js';

export async function requireRun(reads: Pick<Reads, 'runs' | 'projectExists'>, project: string, run: string, maxFieldBytes = 0): Promise<RunRow> {
  const [row] = await reads.runs(project, { run, maxFieldBytes });
  if (row) return row;
  if (!(await reads.projectExists(project))) throw QueryErrors.projectNotFound(project);
  throw QueryErrors.runNotFound(project, run);
}
