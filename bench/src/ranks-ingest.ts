// ranks ingest: how a 1,024-rank job really sends. Every rank's client
// flushes each step: one rank, one step, 100 metrics, 100 points a request,
// 1,024 keep-alive connections (one per client process). Measured with
// autocannon against the gateway with a discarding sink (gateway-server.ts:
// the gateway in front of Kafka, a plain request scanned, any other decoded
// and validated; nothing downstream), side by side
// with the same points in large batches (one rank, 100 steps × 100 metrics a
// request) and with an empty route (empty-server.ts): bare Fastify's GET, the
// framework's floor, and, to split the cost, bare Fastify's POST of the same
// small bodies and the runtime's server (hooks, metrics) with that POST.
import { join } from 'node:path';
import autocannon from 'autocannon';
import { encodeIngestRequest } from '@stepstream/client';
import { freePort, startServer, type Proc } from './procs.js';

export const INGEST_RANKS = 1024;
export const INGEST_METRICS = 100;
/** Steps of small bodies built per rank (rotated): 8,192 distinct requests. */
const SMALL_STEPS = 8;
/** Steps a large request holds, and how many distinct large bodies are built (rotated). */
const LARGE_STEPS = 100, LARGE_BODIES = 128;
/**
 * Connections of the large-batch side. NOTE: at 1,024, some ~93 KB requests
 * waited past autocannon's 10 s timeout; at 64 none do, and the gateway's
 * rate was no lower (1,904 vs 1,567 requests/s when measured).
 */
const LARGE_CONNECTIONS = 64;

export interface Side { label: string; connections: number; requests: number; requestsPerSec: number; pointsPerSec: number; p50Ms: number; p99Ms: number; errors: number; pointsPerRequest: number; bytesPerRequest: number }

export interface RanksIngestResult {
  workload: string;
  small: Side; large: Side;
  /** Bare Fastify, GET /empty: the floor the target is read against. */
  emptyGet: Side;
  emptyPost: Side; runtimePost: Side;
  /** small requests/s / empty-route (GET) requests/s. */
  ratio: number;
  /** Where the gateway's CPU profile of the small-batch side went, when asked, and that side's figures (its warm-up not counted). */
  cpuProfDir?: string;
  profiled?: Side;
}

interface Body { body: Buffer; points: number }

/** One rank's request: `steps` consecutive steps from `step` of every metric. */
function rankRequest(rank: number, step: number, steps: number): Body {
  const s = Array.from({ length: steps }, (_, i) => step + i);
  const series = Array.from({ length: INGEST_METRICS }, (_, m) => ({
    metric: `rank/metric_${String(m).padStart(3, '0')}`, rank, steps: s, values: s.map((x) => (m + 1) * (1 + 0.01 * Math.sin(x + rank))),
  }));
  const body = encodeIngestRequest({ project: 'ranks-ingest', runId: 'job-1024', clientId: `job-1024-rank-${rank}`, sequence: step / steps + 1, series });
  return { body, points: steps * INGEST_METRICS };
}

/** autocannon for `seconds`: bodies rotated (a GET without any). */
async function cannon(label: string, url: string, bodies: Body[] | null, connections: number, seconds: number): Promise<Side> {
  let i = 0;
  const result = await autocannon({
    url, connections, pipelining: 1, duration: seconds,
    ...(bodies ? {
      method: 'POST', headers: { 'content-type': 'application/x-protobuf' },
      requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[i++ % bodies.length]!.body }) }],
    } : { method: 'GET' }),
  } as autocannon.Options);
  const ok = result['2xx'];
  const pointsPerRequest = bodies ? bodies.reduce((a, b) => a + b.points, 0) / bodies.length : 0;
  return {
    label, connections, requests: ok, requestsPerSec: ok / result.duration, pointsPerSec: (ok * pointsPerRequest) / result.duration,
    p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.non2xx + result.errors, pointsPerRequest,
    bytesPerRequest: bodies ? bodies.reduce((a, b) => a + b.body.length, 0) / bodies.length : 0,
  };
}

async function startNode(name: string, script: string, args: string[], nodeArgs: string[] = []): Promise<Proc> {
  const port = await freePort();
  return startServer(name, process.execPath, [...nodeArgs, join(import.meta.dirname, script), ...args, String(port)], port, async (url) => { await fetch(url); return true; });
}

/** A server for the sides given; a short untimed run first, so JIT warm-up is not in the first side. */
async function withServer(proc: Promise<Proc>, warm: (url: string) => Promise<unknown>, sides: (url: string) => Promise<Side[]>): Promise<Side[]> {
  const p = await proc;
  try {
    await warm(p.url);
    return await sides(p.url);
  } finally {
    await p.stop();
  }
}

export async function benchRanksIngest(opts: { seconds: number; connections?: number; cpuProfDir?: string }): Promise<RanksIngestResult> {
  const connections = opts.connections ?? INGEST_RANKS, seconds = opts.seconds;
  const small: Body[] = [], large: Body[] = [];
  for (let step = 0; step < SMALL_STEPS; step++) for (let rank = 0; rank < INGEST_RANKS; rank++) small.push(rankRequest(rank, step, 1));
  for (let b = 0; b < LARGE_BODIES; b++) large.push(rankRequest((b * 8) % INGEST_RANKS, 0, LARGE_STEPS));

  const gateway = (nodeArgs: string[] = []) => startNode('gateway', 'gateway-server.js', [], nodeArgs);
  const [smallSide, largeSide] = await withServer(gateway(), (u) => cannon('warm-up', `${u}/v1/ingest`, small, connections, 1),
    async (u) => [
      await cannon('small batches', `${u}/v1/ingest`, small, connections, seconds),
      await cannon('large batches', `${u}/v1/ingest`, large, LARGE_CONNECTIONS, seconds),
    ]);
  const [emptyGet, emptyPost] = await withServer(startNode('fastify', 'empty-server.js', ['fastify']),
    (u) => cannon('warm-up', `${u}/empty`, null, connections, 1),
    async (u) => [await cannon('empty route, GET', `${u}/empty`, null, connections, seconds), await cannon('empty route, POST of the small bodies', `${u}/empty`, small, connections, seconds)]);
  const [runtimePost] = await withServer(startNode('runtime', 'empty-server.js', ['runtime']),
    (u) => cannon('warm-up', `${u}/empty`, small, connections, 1),
    async (u) => [await cannon('runtime server, empty POST of the small bodies', `${u}/empty`, small, connections, seconds)]);
  // NOTE: profiled apart, after the figures: the profiler's cost is in no figure.
  let profiled: Side | undefined;
  if (opts.cpuProfDir) {
    const p = await gateway(['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`]);
    try {
      const warm = await cannon('warm-up', `${p.url}/v1/ingest`, small, connections, 1);
      profiled = await cannon('small batches, profiled', `${p.url}/v1/ingest`, small, connections, seconds);
      process.stdout.write(`(gateway profile in ${opts.cpuProfDir}: node bench/dist/cpu-profile-top.js ${opts.cpuProfDir}/*.cpuprofile 30 ${warm.requests + profiled.requests})\n`);
    } finally {
      await p.stop();
    }
  }
  return {
    workload: `${INGEST_RANKS} clients × ${INGEST_METRICS} metrics: small = 1 rank, 1 step, ${INGEST_METRICS} points a request (~${Math.round(smallSide!.bytesPerRequest)} bytes); `
      + `large = 1 rank, ${LARGE_STEPS} steps × ${INGEST_METRICS} metrics (${LARGE_STEPS * INGEST_METRICS} points, ~${Math.round(largeSide!.bytesPerRequest / 1000)} KB) over ${LARGE_CONNECTIONS} connections; the rest over ${connections}; ${seconds} s a side`,
    small: smallSide!, large: largeSide!, emptyGet: emptyGet!, emptyPost: emptyPost!, runtimePost: runtimePost!,
    ratio: smallSide!.requestsPerSec / emptyGet!.requestsPerSec,
    ...(opts.cpuProfDir && profiled ? { cpuProfDir: opts.cpuProfDir, profiled } : {}),
  };
}
