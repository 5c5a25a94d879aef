// What a launcher tells a process through its environment: its rank (RANK),
// the run id every rank shares (STEPSTREAM_RUN_ID, torchrun's
// TORCHELASTIC_RUN_ID) and which attempt of the run it is, i.e. how often
// the job was restarted (STEPSTREAM_ATTEMPT, torchrun's
// TORCHELASTIC_RESTART_COUNT, SLURM's SLURM_RESTART_COUNT). An argument to
// init() always wins over the environment.
import { configError } from './errors.js';

type Env = Record<string, string | undefined>;

/** The variables that say which attempt a process is, in the order they are read. */
export const ATTEMPT_VARIABLES = ['STEPSTREAM_ATTEMPT', 'TORCHELASTIC_RESTART_COUNT', 'SLURM_RESTART_COUNT'] as const;

/** attempt is a uint32 on the wire. */
export const MAX_ATTEMPT = 0xffffffff;

export function resolveRank(option: number | undefined, env: Env): number {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < -1 || option > 0x7fffffff) throw configError(`rank must be an integer ≥ 0 (or -1), got ${option}`);
    return option;
  }
  const raw = env['RANK'];
  if (raw === undefined || raw.trim() === '') return -1;
  const rank = Number(raw);
  if (!Number.isInteger(rank) || rank < 0 || rank > 0x7fffffff) throw configError(`environment variable RANK must be an integer ≥ 0, got "${raw}"`);
  return rank;
}

/** The run id every rank of a job agrees on, from the launcher's environment. */
export function envRunId(env: Env): string | undefined {
  for (const name of ['STEPSTREAM_RUN_ID', 'TORCHELASTIC_RUN_ID']) {
    const v = env[name]?.trim();
    if (v && v !== 'none') return v;
  }
  return undefined;
}

/**
 * The attempt: the option, else the first of ATTEMPT_VARIABLES that is set
 * (not empty), else 0. A restarted job thus gets a higher attempt with no
 * change to its code. A variable that is set but not a whole number from 0
 * to MAX_ATTEMPT is an error naming it, never read as 0.
 */
export function resolveAttempt(option: number | undefined, env: Env): number {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 0 || option > MAX_ATTEMPT) throw configError(`attempt must be an integer from 0 to ${MAX_ATTEMPT}, got ${option}`);
    return option;
  }
  for (const name of ATTEMPT_VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    // NOTE: digits only: Number() would also take '0x10', '1e3' and '-0'.
    const attempt = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(attempt <= MAX_ATTEMPT)) throw configError(`environment variable ${name} must be an integer from 0 to ${MAX_ATTEMPT} (the attempt of the run), got "${raw}"`);
    return attempt;
  }
  return 0;
}
