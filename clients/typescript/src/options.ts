// init() options, their defaults, and the environment variables a launcher
// sets (RANK from torchrun and friends, STEPSTREAM_* from the user).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { StepstreamError } from './errors.js';
import type { RetryOptions } from './retry.js';
import { DEFAULT_URL } from './types.js';
import { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH } from './limits.js';
import { SDK } from './version.js';

export type Mode = 'online' | 'offline' | 'disabled';

/**
 * Every option has an environment fallback, the same as the Python client's:
 * STEPSTREAM_PROJECT, STEPSTREAM_RUN_ID (then torchrun's TORCHELASTIC_RUN_ID),
 * STEPSTREAM_URL, STEPSTREAM_API_KEY, RANK, STEPSTREAM_MODE, STEPSTREAM_SPOOL_DIR.
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

export interface ResolvedOptions {
  project: string;
  name: string;
  runId: string;
  configJson: string;
  tags: string[];
  url: string;
  apiKey: string | undefined;
  rank: number;
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

function configError(message: string): StepstreamError {
  return new StepstreamError('SS_ERR_CLIENT_CONFIG', `stepstream.init: ${message}`);
}

function parseRank(o: InitOptions, env: Record<string, string | undefined>): number {
  if (o.rank !== undefined) {
    if (!Number.isInteger(o.rank) || o.rank < -1 || o.rank > 0x7fffffff) throw configError(`rank must be an integer ≥ 0 (or -1), got ${o.rank}`);
    return o.rank;
  }
  const raw = env['RANK'];
  if (raw === undefined || raw.trim() === '') return -1;
  const rank = Number(raw);
  if (!Number.isInteger(rank) || rank < 0 || rank > 0x7fffffff) throw configError(`environment variable RANK must be an integer ≥ 0, got "${raw}"`);
  return rank;
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

/** The run id every rank of a job agrees on, from the launcher's environment. */
function envRunId(env: Record<string, string | undefined>): string | undefined {
  for (const name of ['STEPSTREAM_RUN_ID', 'TORCHELASTIC_RUN_ID']) {
    const v = env[name]?.trim();
    if (v && v !== 'none') return v;
  }
  return undefined;
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
  const rank = parseRank(o, env);
  const runId = o.runId ?? envRunId(env) ?? newRunId();
  checkId('runId', runId);
  if (o.runId === undefined && envRunId(env) === undefined && (rank > 0 || (env['WORLD_SIZE'] ?? '1') !== '1')) {
    warn(`stepstream: no run id in a multi-process job: every rank creates its own run (this one is ${runId}); pass runId or set STEPSTREAM_RUN_ID to the same value on all ranks`);
  }
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
