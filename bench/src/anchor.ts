// anchor: the same workload sent to VictoriaMetrics on the same machine in the
// same run: points/s acknowledged (every /api/v1/import answered 204) and
// queryable (after /internal/force_flush, a count query sees every point),
// peak RSS, and the ratio Stepstream / VictoriaMetrics read from all-in-one.json.
//
// Same workload as buildBatches: the same runs × ranks × metrics × steps, the
// same values (same generator, same seed, same order), the same request
// granularity (one request per rank per step window, run-level metrics sent
// by rank 0), sent in the same order with the same concurrency as all-in-one.
// Each request is a body of /api/v1/import JSON lines, one line per series:
//   {"metric":{"__name__":"train_metric_0","run":"run-…-0","rank":"3"},"values":[…],"timestamps":[…]}
// run-level metrics are `run_metric_<m>` with no rank label.
//
// Step → time: step s is the timestamp EPOCH + s seconds, EPOCH =
// 2020-01-01T00:00:00Z (ms precision in the import). A fixed epoch, not "now",
// so every step of every workload falls in one monthly partition and one
// daily index (VictoriaMetrics' best case) and nothing is ever in the future;
// steps up to 2.6M still fit in January 2020. -retentionPeriod=100y keeps it
// inside retention.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestFigures } from './all-in-one.js';
import { fmt, percentile, printTable, readResult, writeResult, type Figure } from './report.js';
import { sendAll } from './sender.js';
import { findVictoria, startVictoria, victoriaVersion, VM_INSTALL_HINT } from './victoria.js';
import { describe, pointsOf, workloadRequests, type Workload } from './workload.js';

/** Step 0 as a Unix time in ms: 2020-01-01T00:00:00Z. */
const VM_EPOCH_MS = Date.UTC(2020, 0, 1);

export interface AnchorSkipped { skipped: true; reason: string; install: string; workload: string }

export interface AnchorFigures {
  skipped: false;
  workload: string;
  points: number;
  requests: number;
  bodyMb: number;
  concurrency: number;
  /** Points / seconds from the first request until every import answered 204. */
  ackedPerSec: number;
  /** Points / seconds from the first request until the count query saw every point. */
  pointsPerSec: number;
  ackSeconds: number;
  seconds: number;
  /** From the last 204 until visible (force_flush + polls). */
  visibleAfterAckMs: number;
  polls: number;
  retries: number;
  importP50Ms: number;
  importP99Ms: number;
  peakRssMb: Record<string, number>;
  version: string;
  flags: string[];
  stepToTime: string;
}

export type AnchorResult = AnchorFigures | AnchorSkipped;

export interface VmBatch { body: Buffer; points: number; run: string }

/** The workload's requests and values, as /api/v1/import JSON-lines bodies. */
function buildVmBatches(w: Workload, tag = `${Date.now()}`): VmBatch[] {
  const out: VmBatch[] = [];
  for (const q of workloadRequests(w, tag)) {
    const timestamps = `],"timestamps":[${Array.from(q.steps, (s) => VM_EPOCH_MS + s * 1000).join(',')}]}\n`;
    const lines = q.series.map((s) => {
      const labels = s.runLevel
        ? `{"__name__":"run_metric_${s.m}","run":"${q.run}"}`
        : `{"__name__":"train_metric_${s.m}","run":"${q.run}","rank":"${q.rank}"}`;
      // JSON numbers: String(v) is the shortest text that round-trips the double.
      return `{"metric":${labels},"values":[${Array.from(s.values, String).join(',')}${timestamps}`;
    });
    out.push({ body: Buffer.from(lines.join('')), points: q.points, run: q.run });
  }
  return out;
}

/**
 * Force-flushes, then counts the points of these runs with an instant query at
 * the last step over a window covering every step; repeats (flush + count)
 * until the count reaches `total`. Every poll carries a different never-matching
 * `__name__!="x<random>"` matcher (VictoriaMetrics caches empty series look-ups
 * for up to 10 s) and nocache=1 (the response cache is also off by flag).
 */
async function waitVmQueryable(url: string, w: Workload, tag: string, total: number, timeoutMs = 600_000): Promise<{ t: number; polls: number; last: number }> {
  const at = (VM_EPOCH_MS / 1000) + w.steps; // last step is steps-1
  const window = `${w.steps + 60}s`; // (at - window, at] holds steps 0 … steps-1
  const deadline = Date.now() + timeoutMs;
  let polls = 0, last = 0;
  for (;;) {
    const flush = await fetch(`${url}/internal/force_flush`).catch(() => null);
    await flush?.arrayBuffer();
    const miss = `x${Math.random().toString(36).slice(2)}${polls}`;
    const q = `sum(count_over_time({__name__=~"train_metric_[0-9]+|run_metric_[0-9]+",__name__!="${miss}",run=~"run-${tag}-[0-9]+"}[${window}]))`;
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: q, time: String(at), nocache: '1' })}`).catch(() => null);
    polls++;
    if (res?.status === 200) {
      const j = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
      last = Number(j.data?.result?.[0]?.value[1] ?? 0);
    } else await res?.arrayBuffer();
    if (last >= total) return { t: performance.now(), polls, last };
    if (Date.now() > deadline) throw new Error(`VictoriaMetrics: only ${last} of ${total} points queryable`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function benchAnchor(w: Workload, concurrency = 16): Promise<AnchorResult> {
  const workload = describe(w);
  const bin = findVictoria();
  if (!bin) {
    const reason = 'victoria-metrics binary not found (looked at $VICTORIA_METRICS_BIN, PATH, /usr/bin, /usr/local/bin)';
    process.stdout.write(`\n## anchor: SKIPPED: ${reason}\n   install it with: ${VM_INSTALL_HINT}\n`);
    return { skipped: true, reason, install: VM_INSTALL_HINT, workload };
  }
  const tag = `${Date.now()}`;
  const batches = buildVmBatches(w, tag); // prebuilt before any timing
  const total = pointsOf(w);
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-vm-'));
  let vm: Awaited<ReturnType<typeof startVictoria>> | null = null;
  try {
    vm = await startVictoria(bin, dir);
    const version = await victoriaVersion(vm.url);
    const t0 = performance.now();
    const sent = await sendAll(vm.url, batches, concurrency, { path: '/api/v1/import', contentType: 'application/json', ok: 204 });
    const tAcked = performance.now();
    const vis = await waitVmQueryable(vm.url, w, tag, total);
    if (vis.last !== total) throw new Error(`VictoriaMetrics counts ${vis.last} points, ${total} were sent`);
    return {
      skipped: false, workload, points: sent.points, requests: batches.length, concurrency,
      bodyMb: batches.reduce((a, b) => a + b.body.length, 0) / 1e6,
      ackedPerSec: sent.points / ((tAcked - t0) / 1000), pointsPerSec: sent.points / ((vis.t - t0) / 1000),
      ackSeconds: (tAcked - t0) / 1000, seconds: (vis.t - t0) / 1000, visibleAfterAckMs: vis.t - tAcked, polls: vis.polls,
      retries: sent.retries, importP50Ms: percentile(sent.latenciesMs, 50), importP99Ms: percentile(sent.latenciesMs, 99),
      peakRssMb: { 'victoria-metrics': vm.peakRssMb() }, version, flags: vm.flags.map((f) => f.replace(dir, '<tmp>').replace(/:\d+$/, ':<port>')),
      stepToTime: `step s → ${new Date(VM_EPOCH_MS).toISOString()} + s seconds`,
    };
  } finally {
    await vm?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the anchor table (with the Stepstream / VictoriaMetrics ratios when all-in-one.json exists) and writes anchor.json. */
/** The comparison's targets, listed as not met when they could not be measured. */
export function notMeasured(why: string, workload: string): Figure[] {
  return (['acknowledged', 'queryable'] as const).map((kind) => ({ figure: `Stepstream / VM, ${kind}`, value: NaN, unit: '×', target: '≥ 1.0', met: false, workload, note: `not measured: ${why}` }));
}

export function reportAnchor(r: AnchorResult): Figure[] {
  if (r.skipped) {
    writeResult('anchor', r);
    process.stdout.write(`\n## anchor: VictoriaMetrics: NOT measured (${r.reason}; ${r.install})\n`);
    return notMeasured(r.reason, r.workload);
  }
  const ss = readResult<IngestFigures & { workload: string; date?: string }>('all-in-one');
  const same = ss?.workload === r.workload;
  const ratios = ss ? { acked: ss.ackedPerSec / r.ackedPerSec, queryable: ss.pointsPerSec / r.pointsPerSec } : null;
  const figures: Figure[] = [
    { figure: 'VictoriaMetrics acknowledged points/s', value: r.ackedPerSec, unit: 'points/s', workload: r.workload },
    { figure: 'VictoriaMetrics queryable points/s', value: r.pointsPerSec, unit: 'points/s', workload: r.workload },
    { figure: 'visible after last 204 (force_flush)', value: r.visibleAfterAckMs, unit: 'ms' },
    { figure: 'import latency p50', value: r.importP50Ms, unit: 'ms' },
    { figure: 'import latency p99', value: r.importP99Ms, unit: 'ms' },
    { figure: 'peak RSS', value: r.peakRssMb['victoria-metrics']!, unit: 'MB' },
  ];
  if (ratios) {
    const note = same ? undefined : `all-in-one.json was measured on a different workload (${ss!.workload})`;
    figures.push(
      { figure: 'Stepstream / VM, acknowledged', value: ratios.acked, unit: '×', target: '≥ 1.0', met: ratios.acked >= 1, note },
      { figure: 'Stepstream / VM, queryable', value: ratios.queryable, unit: '×', target: '≥ 1.0', met: ratios.queryable >= 1, note },
    );
  }
  const targets = printTable(`anchor: VictoriaMetrics ${r.version}, same workload (${r.workload})`, figures, r.workload);
  if (!ratios) targets.push(...notMeasured('no bench/results/all-in-one.json to compare with', r.workload));
  process.stdout.write(`(${fmt(r.points)} points in ${r.requests} imports, ${fmt(r.bodyMb)} MB of JSON lines, concurrency ${r.concurrency}, ${r.retries} retries; ${r.stepToTime}; ${r.polls} flush+count polls)\n`);
  if (!ss) process.stdout.write('(no bench/results/all-in-one.json yet: run all-in-one for the Stepstream / VictoriaMetrics ratios)\n');
  else if (!same) process.stdout.write(`(warning: all-in-one.json is from another workload: ${ss.workload}; ratios are not like for like)\n`);
  writeResult('anchor', { ...r, stepstream: ss ? { ackedPerSec: ss.ackedPerSec, pointsPerSec: ss.pointsPerSec, workload: ss.workload, date: ss.date } : null, ratios, figures });
  return targets;
}
