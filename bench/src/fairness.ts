// fairness: does one project's heavy reading stall another's? In one
// all-in-one server, project A holds a 10M-point series and project B a small
// one. B's freshness (202 → readable) and B's 1000-point views are measured
// with no other load, then while 8 loops read A's whole series at
// tier=raw&points=100000 (each the most a request may ask for, and 8 the most
// reads one project may have at once). Side by side, the same run.
//   node bench/dist/fairness.js [--cli=OTHER_CHECKOUT/services/cli/dist/index.js] [--seconds=10] [--heavy='tier=raw&points=1000'] [--cpu-prof=DIR]
// --cli measures another checkout's server (the code before a change) with
// this checkout's load; --heavy replaces A's query string; --cpu-prof writes
// the server's CPU profile (node --cpu-prof) into DIR when it stops.
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeIngestRequest } from '@stepstream/client';
import { waitQueryable } from './all-in-one.js';
import { startFreshnessProbe } from './freshness.js';
import { startStepstream } from './procs.js';
import { percentile, printTable, writeResult, type Figure } from './report.js';
import { sendAll } from './sender.js';

const A = 'tenant-a', B = 'tenant-b';
const A_POINTS = 10_000_000, B_POINTS = 100_000, PER_REQUEST = 200_000;
const HEAVY_LOOPS = 8;
const HEAVY = 'tier=raw&points=100000';

export interface Side {
  freshP50Ms: number; freshP99Ms: number; freshN: number;
  viewP50Ms: number; viewP99Ms: number; viewN: number;
  /** B's views answered other than 200 (each is a failure of fairness). */
  viewErrors: number;
  /** The server's event-loop delay over the side (prom-client's default metrics, reset when read). */
  loopLagP99Ms: number; loopLagMaxMs: number;
}

export interface FairnessResult {
  workload: string;
  cli: string;
  seconds: number;
  /** A's query string (metric=loss&…). */
  heavyQuery: string;
  baseline: Side;
  loaded: Side;
  /** A's heavy reads during the loaded phase, by status; their latency. */
  heavy: { statuses: Record<string, number>; p50Ms: number; p99Ms: number };
  peakRssMb: Record<string, number>;
}

function series(project: string, run: string, n: number): { body: Buffer; points: number }[] {
  const out: { body: Buffer; points: number }[] = [];
  for (let from = 0; from < n; from += PER_REQUEST) {
    const k = Math.min(PER_REQUEST, n - from);
    const steps = new Float64Array(k), values = new Float64Array(k);
    for (let i = 0; i < k; i++) { steps[i] = from + i; values[i] = Math.sin((from + i) / 1000) + 2; }
    out.push({ body: encodeIngestRequest({ project, runId: run, clientId: `${run}-0`, sequence: from / PER_REQUEST + 1, series: [{ metric: 'loss', rank: -1, steps, values }] }), points: k });
  }
  return out;
}

export async function benchFairness(opts: { seconds: number; cli?: string; heavy?: string; cpuProf?: string }): Promise<FairnessResult> {
  const heavyQuery = opts.heavy ?? HEAVY;
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-fair-'));
  const ss = await startStepstream(['--data', dir], {}, { ...(opts.cli ? { cli: opts.cli } : {}), ...(opts.cpuProf ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] } : {}) });
  const base = new URL(ss.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const get = (path: string) => new Promise<{ status: number; ms: number }>((resolve) => {
    const t = performance.now();
    const req = request({ host: base.hostname, port: base.port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
      res.on('error', () => resolve({ status: 0, ms: performance.now() - t }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t }));
    req.end();
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    await sendAll(ss.url, series(A, 'big', A_POINTS), 4);
    await sendAll(ss.url, series(B, 'small', B_POINTS), 1);
    await waitQueryable(ss.url, A, ['big'], A_POINTS);
    await waitQueryable(ss.url, B, ['small'], B_POINTS);
    // NOTE: the engine merges the parts of the load for a few seconds after
    // it; the baseline should not measure that.
    await sleep(5000);

    /** B's side for `seconds`: a freshness probe, and a dashboard viewing B's series (1000 points, full range). */
    const loopLag = async () => {
      const text = await (await fetch(`${ss.url}/metrics`)).text();
      const read = (name: string) => Number(new RegExp(`^stepstream_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
      return { loopLagP99Ms: read('p99'), loopLagMaxMs: read('max') };
    };
    const measureB = async (): Promise<Side> => {
      await loopLag();
      const probe = startFreshnessProbe(ss.url, ss.url, B);
      const views: number[] = [];
      let viewErrors = 0;
      const until = performance.now() + opts.seconds * 1000;
      while (performance.now() < until) {
        const r = await get(`/v1/projects/${B}/runs/small/series?metric=loss&points=1000`);
        if (r.status === 200) views.push(r.ms); else viewErrors++;
        await sleep(20);
      }
      const fresh = await probe.stop();
      views.sort((x, y) => x - y);
      return { freshP50Ms: fresh.p50, freshP99Ms: fresh.p99, freshN: fresh.n, viewP50Ms: percentile(views, 50), viewP99Ms: percentile(views, 99), viewN: views.length, viewErrors, ...(await loopLag()) };
    };

    const baseline = await measureB();

    let stop = false;
    const statuses: Record<string, number> = {};
    const heavyMs: number[] = [];
    const loop = async () => {
      while (!stop) {
        const r = await get(`/v1/projects/${A}/runs/big/series?metric=loss&${heavyQuery}`);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 200) heavyMs.push(r.ms); else await sleep(250);
      }
    };
    const loops = Array.from({ length: HEAVY_LOOPS }, loop);
    await sleep(2000); // every loop has a read in the line
    const loaded = await measureB();
    stop = true;
    await Promise.all(loops);
    heavyMs.sort((x, y) => x - y);
    return {
      workload: `A: 1 series of ${A_POINTS.toLocaleString('en-US')} points, ${HEAVY_LOOPS} loops of ${heavyQuery}; B: 1 series of ${B_POINTS.toLocaleString('en-US')} points, 1000-point views + freshness probe, ${opts.seconds} s per side`,
      cli: opts.cli ?? 'this checkout', seconds: opts.seconds, heavyQuery, baseline, loaded,
      heavy: { statuses, p50Ms: percentile(heavyMs, 50), p99Ms: percentile(heavyMs, 99) },
      peakRssMb: { stepstream: ss.peakRssMb() },
    };
  } finally {
    agent.destroy();
    await ss.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportFairness(r: FairnessResult): Figure[] {
  const row = (figure: string, base: number, loaded: number, target?: { text: string; ok: (v: number) => boolean }): Figure[] => [
    { figure: `${figure}, no load`, value: base, unit: 'ms' },
    { figure: `${figure}, A loaded`, value: loaded, unit: 'ms', ...(target ? { target: target.text, met: target.ok(loaded) } : {}) },
  ];
  return printTable(`fairness: project B while project A runs ${HEAVY_LOOPS} loops of ${r.heavyQuery} (${r.cli})`, [
    ...row('B freshness p50', r.baseline.freshP50Ms, r.loaded.freshP50Ms),
    ...row('B freshness p99', r.baseline.freshP99Ms, r.loaded.freshP99Ms, { text: '< 2000', ok: (v) => v < 2000 }),
    ...row('B 1000-point view p50', r.baseline.viewP50Ms, r.loaded.viewP50Ms),
    ...row('B 1000-point view p99', r.baseline.viewP99Ms, r.loaded.viewP99Ms, { text: '< 100', ok: (v) => v < 100 }),
    ...row('server event-loop delay p99', r.baseline.loopLagP99Ms, r.loaded.loopLagP99Ms),
    ...row('server event-loop delay max', r.baseline.loopLagMaxMs, r.loaded.loopLagMaxMs),
    { figure: 'B views not answered 200, A loaded', value: r.loaded.viewErrors, unit: 'requests', target: '0', met: r.loaded.viewErrors === 0 },
    { figure: 'A heavy read p50', value: r.heavy.p50Ms, unit: 'ms' },
    { figure: 'A heavy reads answered 200', value: r.heavy.statuses['200'] ?? 0, unit: 'requests' },
    { figure: 'A heavy reads refused (429/503/422)', value: (r.heavy.statuses['429'] ?? 0) + (r.heavy.statuses['503'] ?? 0) + (r.heavy.statuses['422'] ?? 0), unit: 'requests' },
  ], r.workload);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cli = process.argv.find((a) => a.startsWith('--cli='))?.slice(6);
  const heavy = process.argv.find((a) => a.startsWith('--heavy='))?.slice(8);
  const cpuProf = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice(11);
  const seconds = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice(10) ?? '10');
  const r = await benchFairness({ seconds, ...(cli ? { cli } : {}), ...(heavy ? { heavy } : {}), ...(cpuProf ? { cpuProf } : {}) });
  reportFairness(r);
  process.stdout.write(`${writeResult(cli ? 'fairness-other' : 'fairness', r)}\n`);
}
