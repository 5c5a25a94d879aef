// init() options, their defaults, and the environment variables a launcher
// sets (RANK from torchrun and friends, STEPSTREAM_* from the user).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { StepstreamError } from './errors.js';
import type { RetryOptions } from './retry.js';

export interface InitOptions {
  project: string;
  /** Display name; defaults to the run id. */
  name?: string;
  /** Same on every rank of a run. Default: STEPSTREAM_RUN_ID, else a new random id. */
  runId?: string;
  /** Hyper-parameters, sent as JSON by rank 0. */
  config?: Record<string, unknown>;
  tags?: string[];
  /** Server base URL. Default: STEPSTREAM_URL. Required online. */
  url?: string;
  /** Default: STEPSTREAM_API_KEY. */
  apiKey?: string;
  /** This process's rank. Default: RANK, else -1 (the run as a whole). */
  rank?: number;
  /** 'offline' writes the spool only (upload later with sync). Default: STEPSTREAM_MODE, else 'online'. */
  mode?: 'online' | 'offline';
  /** Where batches wait on disk. Default: STEPSTREAM_SPOOL_DIR, else ./.stepstream-spool */
  spoolDir?: string;
  /** Extra run metadata (host, pid, command and node version are added). */
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
  url: string | undefined;
  apiKey: string | undefined;
  rank: number;
  mode: 'online' | 'offline';
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

/** A client id unique to this Run object: host, pid and random bits (two runs in one process never share it). */
export function newClientId(): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 40) || 'host';
  return `ts-${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function resolveOptions(o: InitOptions): ResolvedOptions {
  const env = o.env ?? process.env;
  if (typeof o.project !== 'string' || o.project === '') throw configError('project is required');
  const warn = o.warn ?? ((m: string) => console.warn(m));
  const rank = parseRank(o, env);
  const envRunId = env['STEPSTREAM_RUN_ID'];
  const runId = o.runId ?? (envRunId || undefined) ?? randomBytes(5).toString('hex');
  if (o.runId === undefined && !envRunId && rank > 0) {
    warn(`stepstream: rank ${rank} has no run id (set STEPSTREAM_RUN_ID on every rank); it logs to its own run ${runId}`);
  }
  const mode = o.mode ?? (env['STEPSTREAM_MODE'] === 'offline' ? 'offline' : 'online');
  if (mode !== 'online' && mode !== 'offline') throw configError(`mode must be 'online' or 'offline', got ${String(mode)}`);
  const url = o.url ?? (env['STEPSTREAM_URL'] || undefined);
  if (mode === 'online') {
    if (!url) throw configError('url is required online (or set STEPSTREAM_URL, or use mode: "offline")');
    try { new URL(url); } catch { throw configError(`url is not a URL: ${url}`); }
  }
  let configJson = '';
  if (o.config !== undefined) {
    try { configJson = JSON.stringify(o.config); } catch (err) { throw configError(`config cannot be written as JSON: ${(err as Error).message}`); }
  }
  return {
    project: o.project,
    name: o.name ?? runId,
    runId,
    configJson,
    tags: o.tags ?? [],
    url,
    apiKey: o.apiKey ?? (env['STEPSTREAM_API_KEY'] || undefined),
    rank,
    mode,
    spoolRoot: resolve(o.spoolDir ?? (env['STEPSTREAM_SPOOL_DIR'] || '.stepstream-spool')),
    meta: { host: hostname(), pid: String(process.pid), command: process.argv.join(' '), node: process.version, ...(o.meta ?? {}) },
    flushIntervalMs: positive(o.flushIntervalMs, 1000, 'flushIntervalMs'),
    maxBatchPoints: positive(o.maxBatchPoints, 50_000, 'maxBatchPoints'),
    maxMemoryBytes: positive(o.maxMemoryBytes, 64 * 1024 * 1024, 'maxMemoryBytes'),
    finishTimeoutMs: positive(o.finishTimeoutMs, 30_000, 'finishTimeoutMs'),
    requestTimeoutMs: positive(o.requestTimeoutMs, 30_000, 'requestTimeoutMs'),
    gzip: o.gzip ?? true,
    retry: o.retry ?? {},
    exitHooks: o.exitHooks ?? true,
    warn,
    clientId: newClientId(),
  };
}
