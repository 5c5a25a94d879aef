// init() options, their defaults, and the environment variables the user
// sets (STEPSTREAM_*); what a launcher sets is read in launcher-env.ts.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { configError } from './errors.js';
import { envRunId, resolveAttempt, resolveRank } from './launcher-env.js';
import type { RetryOptions } from './retry.js';
import { DEFAULT_URL } from './types.js';
import { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH } from './limits.js';
import { SDK } from './version.js';

export type Mode = 'online' | 'offline' | 'disabled';

/**
 * Every option has an environment fallback, the same as the Python client's:
 * STEPSTREAM_PROJECT, STEPSTREAM_RUN_ID (then torchrun's TORCHELASTIC_RUN_ID),
 * STEPSTREAM_URL, STEPSTREAM_API_KEY, RANK, STEPSTREAM_MODE, STEPSTREAM_SPOOL_DIR,
 * and for attempt STEPSTREAM_ATTEMPT, TORCHELASTIC_RESTART_COUNT, SLURM_RESTART_COUNT.
 */
export interface InitOptions {
  /** Default: STEPSTREAM_PROJECT. Required one way or the other. */
  project?: string;
  /** Display name; defaults to the run id. */
  name?: string;
  /** Same on every rank of a run. Default: STEPSTREAM_RUN_ID, TORCHELASTIC_RUN_ID, else a new id. */
  runId?: string;
  /** Hyper-parameters, sent as JSON by rank 0. */
  config?: Record<string, unknown>;
  tags?: string[];
  /** Server base URL. Default: STEPSTREAM_URL, else http://127.0.0.1:4300. */
  url?: string;
  /** Default: STEPSTREAM_API_KEY. */
  apiKey?: string;
  /** This process's rank. Default: RANK, else -1 (the run as a whole). */
  rank?: number;
  /**
   * Which attempt of the run this process is: a job restarted from a
   * checkpoint uses a higher one than any before, and from its start step on
   * its points supersede the earlier attempts'. Default: STEPSTREAM_ATTEMPT,
   * else TORCHELASTIC_RESTART_COUNT (torchrun), else SLURM_RESTART_COUNT
   * (SLURM requeue), else 0: a restart under torchrun or SLURM needs no code change.
   */
  attempt?: number;
  /**
   * The step this attempt resumes from (its checkpoint's step): it owns the
   * run from there on. Sent by rank 0; without it the attempt starts at the
   * lowest step it logs. Also the first step log() uses when given no step.
   */
  resumeStep?: number;
  /** This run begins as a copy of `run`'s history below `step` (sent by rank 0; `run` is a run id of the same project). */
  forkFrom?: ForkFrom;
  /**
   * 'offline' writes the spool only (upload later with sync); 'disabled'
   * makes log() and finish() do nothing. Default: STEPSTREAM_MODE, else 'online'.
   */
  mode?: Mode;
  /** Where batches wait on disk. Default: STEPSTREAM_SPOOL_DIR, else ./stepstream-spool */
  spoolDir?: string;
  /** Extra run metadata (host, pid, command, node version, sdk and git commit are added). */
  meta?: Record<string, string>;
  /** Background flush period. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Buffered points that trigger a flush before the timer. Default 50,000. */
  maxBatchPoints?: number;
  /** Batches held in memory before they spill to the spool. Default 64 MiB. */
  maxMemoryBytes?: number;
  /** How long finish() waits for the server. Default 30 s. */
  finishTimeoutMs?: number;
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  gzip?: boolean;
  /** Backoff for the background sender (it retries until finish() gives up). */
  retry?: Omit<RetryOptions, 'maxAttempts'>;
  /** Finish on beforeExit and spool on exit. Default true. */
  exitHooks?: boolean;
  /** Where warnings go. Default: console.warn. */
  warn?: (message: string) => void;
  /** Environment to read; default process.env. */
  env?: Record<string, string | undefined>;
}

export interface ForkFrom {
  run: string;
  /** The first step that is the fork's own; 0 inherits nothing. */
  step: number;
}

export interface ResolvedOptions {
  project: string;
  name: string;
  runId: string;
  configJson: string;
  tags: string[];
  url: string;
  apiKey: string | undefined;
  rank: number;
  attempt: number;
  resumeStep: number | null;
  forkFrom: ForkFrom | null;
  mode: Mode;
  spoolRoot: string;
  meta: Record<string, string>;
  flushIntervalMs: number;
  maxBatchPoints: number;
  maxMemoryBytes: number;
  finishTimeoutMs: number;
  requestTimeoutMs: number;
  gzip: boolean;
  retry: Omit<RetryOptions, 'maxAttempts'>;
  exitHooks: boolean;
  warn: (message: string) => void;
  clientId: string;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw configError(`${what} must be a positive number, got ${value}`);
  return value;
}

/** A client id unique to this Run object (two runs in one process never share it), rank included. */
export function newClientId(rank = -1): string {
  return `${randomBytes(8).toString('hex')}-r${rank}`;
}

function newRunId(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${randomBytes(4).toString('hex')}`;
}

/** The commit of the working directory's git checkout, if any (quietly). */
function gitCommit(): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** project and run ids as the server takes them: 1 to 256 bytes, no control characters. */
function checkId(what: string, v: string): void {
  // eslint-disable-next-line no-control-regex
  if (v === '' || Buffer.byteLength(v) > 256 || /[\u0000-\u001f\u007f]/.test(v)) {
    throw configError(`${what} must be 1 to 256 bytes without control characters, got ${JSON.stringify(v.slice(0, 300))}`);
  }
}

export function resolveOptions(o: InitOptions): ResolvedOptions {
  const env = o.env ?? process.env;
  const project = o.project ?? env['STEPSTREAM_PROJECT'];
  if (project === undefined || project === '') throw configError('project is required (or set STEPSTREAM_PROJECT)');
  checkId('project', project);
  const warn = o.warn ?? ((m: string) => console.warn(m));
  const rank = resolveRank(o.rank, env);
  const runId = o.runId ?? envRunId(env) ?? newRunId();
  checkId('runId', runId);
  if (o.runId === undefined && envRunId(env) === undefined && (rank > 0 || (env['WORLD_SIZE'] ?? '1') !== '1')) {
    warn(`stepstream: no run id in a multi-process job: every rank creates its own run (this one is ${runId}); pass runId or set STEPSTREAM_RUN_ID to the same value on all ranks`);
  }
  const forkFrom = resolveForkFrom(o.forkFrom, runId);
  const mode = o.mode ?? (env['STEPSTREAM_MODE'] || 'online');
  if (mode !== 'online' && mode !== 'offline' && mode !== 'disabled') throw configError(`mode must be 'online', 'offline' or 'disabled', got ${JSON.stringify(mode)}`);
  const url = o.url ?? (env['STEPSTREAM_URL'] || DEFAULT_URL);
  try { new URL(url); } catch { throw configError(`url is not a URL: ${url}`); }
  let configJson = '';
  if (o.config !== undefined) {
    if (typeof o.config !== 'object' || o.config === null || Array.isArray(o.config)) throw configError('config must be an object');
    try { configJson = JSON.stringify(o.config); } catch (err) { throw configError(`config cannot be written as JSON: ${(err as Error).message}`); }
    // The server's bounds, checked here: past them the run's first batch would be refused.
    const bytes = Buffer.byteLength(configJson);
    if (bytes > MAX_CONFIG_BYTES) throw configError(`config is ${bytes} bytes as JSON, over the server's limit of ${MAX_CONFIG_BYTES}; log large values as artifacts instead`);
    if (nesting(configJson) > MAX_CONFIG_DEPTH) throw configError(`config is nested more than ${MAX_CONFIG_DEPTH} levels deep, the server's limit`);
  }
  const sendsRunInfo = rank <= 0 && mode !== 'disabled';
  const commit = sendsRunInfo ? gitCommit() : undefined;
  const meta: Record<string, string> = {
    host: hostname(), pid: String(process.pid), command: process.argv.join(' ').slice(0, 4000), node: process.version, sdk: SDK,
    ...(commit ? { git_commit: commit } : {}), ...(o.meta ?? {}),
  };
  return {
    project,
    name: o.name ?? runId,
    runId,
    configJson,
    tags: o.tags ?? [],
    url,
    apiKey: o.apiKey ?? (env['STEPSTREAM_API_KEY'] || undefined),
    rank,
    attempt: resolveAttempt(o.attempt, env),
    resumeStep: o.resumeStep === undefined ? null : checkStep('resumeStep', o.resumeStep),
    forkFrom,
    mode,
    spoolRoot: resolve(o.spoolDir ?? (env['STEPSTREAM_SPOOL_DIR'] || 'stepstream-spool')),
    // Sorted by key, as the Python client and the test vectors have them.
    meta: Object.fromEntries(Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    flushIntervalMs: positive(o.flushIntervalMs, 1000, 'flushIntervalMs'),
    maxBatchPoints: positive(o.maxBatchPoints, 50_000, 'maxBatchPoints'),
    maxMemoryBytes: positive(o.maxMemoryBytes, 64 * 1024 * 1024, 'maxMemoryBytes'),
    finishTimeoutMs: positive(o.finishTimeoutMs, 30_000, 'finishTimeoutMs'),
    requestTimeoutMs: positive(o.requestTimeoutMs, 30_000, 'requestTimeoutMs'),
    gzip: o.gzip ?? true,
    retry: o.retry ?? {},
    exitHooks: o.exitHooks ?? true,
    warn,
    clientId: newClientId(rank),
  };
}

/** A step as the server takes it: an integer in [0, 2^53). */
function checkStep(what: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw configError(`${what} must be a step (an integer ≥ 0), got ${v}`);
  return v;
}

function resolveForkFrom(f: ForkFrom | undefined, runId: string): ForkFrom | null {
  if (f === undefined) return null;
  if (typeof f !== 'object' || f === null || typeof f.run !== 'string') throw configError('forkFrom must be { run: <run id>, step: <step> }');
  checkId('forkFrom.run', f.run);
  if (f.run === runId) throw configError(`forkFrom.run is this run's own id (${runId}): a run cannot be a fork of itself`);
  return { run: f.run, step: checkStep('forkFrom.step', f.step) };
}

/** How deep objects and arrays nest in a JSON text (brackets inside strings are not counted). */
function nesting(json: string): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) { if (c === 0x5c) i++; else if (c === 0x22) inString = false; continue; }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) { if (++depth > max) max = depth; }
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
