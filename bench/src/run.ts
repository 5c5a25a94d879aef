// npm run bench (--quick) / npm run bench:full: every benchmark, one table each, JSON in bench/results/.
import { benchAllInOne } from './all-in-one.js';
import { benchAnchor, reportAnchor } from './anchor.js';
import { benchLimit } from './limit.js';
import { benchGateway } from './gateway.js';
import { benchPipeline, PIPELINE_TARGET_RATE } from './pipeline.js';
import { benchMemory, reportMemory } from './memory.js';
import { benchQuery } from './query.js';
import { benchFairness, reportFairness } from './fairness.js';
import { benchLineage, reportLineage } from './lineage.js';
import { benchRanks, reportRanks } from './ranks.js';
import { benchDashboard, reportDashboard } from './dashboard.js';
import { benchExport, reportExport } from './export.js';
import { benchRunList } from './run-list.js';
import { BATCH_TARGET_MS, benchSeriesBatch } from './series-batch.js';
import { printTable, writeResult, fmt, RESULTS, commit, type Figure } from './report.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FULL, QUICK } from './workload.js';

const full = process.argv.includes('--full');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (name: string) => !only || only.includes(name);
const stepsArg = process.argv.find((a) => a.startsWith('--steps='))?.slice(8);
const w = { ...(full ? FULL : QUICK), ...(stepsArg ? { steps: Number(stepsArg) } : {}) };

async function main(): Promise<void> {
  const summary: Figure[] = [];
  // NOTE: a benchmark that fails is listed as not met, never dropped from the summary.
  const section = async (name: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      const why = (err as Error).message.split('\n')[0]!;
      process.stdout.write(`\n## ${name}: NOT measured (${why})\n`);
      summary.push({ figure: `${name}: its targets`, value: NaN, unit: '', target: 'measured', met: false, workload: '', note: `not measured: ${why}` });
    }
  };
  if (want('gateway')) await section('gateway', async () => {
    const r = await benchGateway(w, full ? 20 : 8, 10);
    summary.push(...printTable(`gateway: /v1/ingest with a discarding sink, 10 connections (${r.workload}; ${Math.round(r.pointsPerRequest)} points/request)`, [
      { figure: 'points/s', value: r.pointsPerSec, unit: 'points/s', target: '≥ 5,000,000', met: r.pointsPerSec >= 5e6 },
      { figure: 'requests/s', value: r.requestsPerSec, unit: 'req/s' },
      { figure: 'latency p50', value: r.p50Ms, unit: 'ms' },
      { figure: 'latency p99', value: r.p99Ms, unit: 'ms', target: '< 20', met: r.p99Ms < 20 },
      { figure: 'peak RSS', value: r.peakRssMb, unit: 'MB', target: '< 300', met: r.peakRssMb < 300 },
    ], r.workload));
    writeResult('gateway', r);
  });
  let limit = NaN, staged = NaN;
  if (want('limit') || want('all-in-one') || want('pipeline')) await section('limit', async () => {
    const r = await benchLimit(w);
    limit = r.pointsPerSec;
    staged = r.stagedPointsPerSec;
    summary.push(...printTable(`limit: the engine inserting the same rows into the same schema (${r.workload})`, [
      { figure: 'engine INSERT…SELECT from numbers(), with views (the limit)', value: r.pointsPerSec, unit: 'points/s' },
      { figure: 'engine INSERT…SELECT from numbers(), no views', value: r.noViewsPointsPerSec, unit: 'points/s' },
      { figure: 'engine INSERT…SELECT from staged Native blocks, with views', value: r.stagedPointsPerSec, unit: 'points/s' },
    ], r.workload));
    writeResult('limit', r);
  });
  if (want('all-in-one')) await section('all-in-one', async () => {
    const r = await benchAllInOne(w);
    summary.push(...printTable(`all-in-one (${r.workload})`, [
      { figure: 'queryable points/s', value: r.pointsPerSec, unit: 'points/s', target: '≥ 2,000,000', met: r.pointsPerSec >= 2e6 },
      { figure: 'ratio to limit', value: r.pointsPerSec / limit, unit: '×', target: '≥ 0.5', met: r.pointsPerSec / limit >= 0.5 },
      { figure: 'ratio to the store alone (staged blocks)', value: r.pointsPerSec / staged, unit: '×' },
      { figure: 'acknowledged points/s', value: r.ackedPerSec, unit: 'points/s' },
      { figure: 'freshness p50', value: r.freshP50Ms, unit: 'ms' },
      { figure: 'freshness p99', value: r.freshP99Ms, unit: 'ms', target: '< 2000', met: r.freshP99Ms < 2000 },
      { figure: 'peak RSS', value: r.peakRssMb['stepstream']!, unit: 'MB' },
      { figure: 'CPU per point (all threads)', value: r.cpuUsPerPoint!, unit: 'µs' },
    ], r.workload));
    writeResult('all-in-one', r);
    process.stdout.write(`(${fmt(r.points)} points in ${r.seconds.toFixed(1)} s, ${r.retries} retries after 503)\n`);
  });
  if (want('pipeline')) await section('pipeline', async () => {
    const r = await benchPipeline(w);
    const maxLag = Math.max(0, ...r.lag.map((l) => l.messages));
    summary.push(...printTable(`pipeline: gateway → Kafka → writer (${r.workload})`, [
      { figure: 'queryable points/s', value: r.pointsPerSec, unit: 'points/s', target: '≥ 1,000,000', met: r.pointsPerSec >= 1e6 },
      { figure: 'ratio to limit', value: r.pointsPerSec / limit, unit: '×' },
      { figure: 'ratio to the store alone (staged blocks)', value: r.pointsPerSec / staged, unit: '×' },
      { figure: 'acknowledged points/s', value: r.ackedPerSec, unit: 'points/s' },
      { figure: 'freshness p50, unpaced (overload)', value: r.freshP50Ms, unit: 'ms' },
      { figure: 'freshness p99, unpaced (overload)', value: r.freshP99Ms, unit: 'ms' },
      { figure: 'max consumer lag, unpaced', value: maxLag, unit: 'messages' },
      { figure: `freshness p50 at ${fmt(PIPELINE_TARGET_RATE)} points/s`, value: r.paced.freshP50Ms, unit: 'ms' },
      { figure: `freshness p99 at ${fmt(PIPELINE_TARGET_RATE)} points/s`, value: r.paced.freshP99Ms, unit: 'ms', target: '< 5000', met: r.paced.freshP99Ms < 5000 },
      { figure: 'max consumer lag, paced', value: r.paced.maxLag, unit: 'messages' },
      { figure: 'peak RSS gateway', value: r.peakRssMb['gateway']!, unit: 'MB', target: '< 300', met: r.peakRssMb['gateway']! < 300 },
      { figure: 'peak RSS writer (buffer 128 MB + engine)', value: r.peakRssMb['writer']!, unit: 'MB' },
      { figure: 'peak RSS kafka', value: r.peakRssMb['kafka']!, unit: 'MB' },
    ], r.workload));
    writeResult('pipeline', r);
  });
  if (want('anchor')) await section('anchor', async () => {
    // After all-in-one, so the Stepstream / VictoriaMetrics ratios read this run's all-in-one.json.
    summary.push(...reportAnchor(await benchAnchor(w)));
  });
  if (want('query')) await section('query', async () => {
    const r = await benchQuery({ quick: !full });
    const [fullRange, ...zooms] = r.views;
    summary.push(...printTable(`query: 1000-point series views over HTTP (${r.workload})`, [
      { figure: 'full range p50', value: fullRange!.p50, unit: 'ms' },
      { figure: 'full range p99', value: fullRange!.p99, unit: 'ms', target: '< 50', met: fullRange!.p99 < 50 },
      ...zooms.map((v) => ({ figure: `view of ${v.label} p99 (p50 ${v.p50.toFixed(1)})`, value: v.p99, unit: 'ms', target: '< 50', met: v.p99 < 50 })),
      { figure: 'worst p99 of any view', value: r.worstViewP99, unit: 'ms', target: '< 50', met: r.worstViewP99 < 50 },
      { figure: '10-run overlay p50', value: r.overlay.p50, unit: 'ms' },
      { figure: '10-run overlay p99', value: r.overlay.p99, unit: 'ms', target: '< 150', met: r.overlay.p99 < 150 },
      { figure: 'raw points, full range p50', value: r.raw.fullRange.p50, unit: 'ms' },
      { figure: 'ratio raw / tiers, full range (p50)', value: r.ratioFullRange, unit: '×', target: '≥ 20', met: r.ratioFullRange >= 20 },
      { figure: 'raw points, 10-run overlay p50', value: r.raw.overlay.p50, unit: 'ms' },
      { figure: 'in-process: summaries look-up p50', value: r.engine.ranks.p50, unit: 'ms' },
      { figure: 'in-process: series query, full range p50', value: r.engine.fullRangeTiers.p50, unit: 'ms' },
      { figure: 'HTTP floor (GET /readyz) p50', value: r.httpFloor.p50, unit: 'ms' },
      { figure: `peak RSS (--target ${r.target})`, value: r.peakRssMb['query']!, unit: 'MB' },
    ], r.workload));
    writeResult('query', r);
    process.stdout.write(`(${fmt(r.points)} points written in ${r.writeSeconds.toFixed(1)} s; ${r.checks} tier answers equal to their raw answers)\n`);
  });
  if (want('lineage')) await section('lineage', async () => {
    const r = await benchLineage({ quick: !full });
    summary.push(...reportLineage(r));
    writeResult('lineage', r);
  });
  if (want('run-list')) await section('run-list', async () => {
    const r = await benchRunList({ quick: !full });
    summary.push(...printTable(`run-list: one page of GET /runs (${r.workload})`, [
      ...r.pages.map((p) => ({ figure: `${p.label} p99`, value: p.p99, unit: 'ms', target: '< 100', met: p.p99 < 100 })),
      ...r.pages.map((p) => ({ figure: `${p.label} p50`, value: p.p50, unit: 'ms' })),
      { figure: 'GET /readyz p50 (HTTP floor)', value: r.httpFloor.p50, unit: 'ms' },
    ], r.workload));
    writeResult('run-list', r);
  });
  if (want('series-batch')) await section('series-batch', async () => {
    const r = await benchSeriesBatch({ quick: !full });
    const target = `< ${BATCH_TARGET_MS}`;
    summary.push(...printTable(`series-batch: POST /v1/projects/:p/series (${r.workload})`, [
      ...r.cases.map((c) => (c.tier > 0 ? { figure: `${c.label} p99`, value: c.p99, unit: 'ms', target, met: c.p99 < BATCH_TARGET_MS }
        : { figure: `${c.label} p99 (answered from raw points: no target)`, value: c.p99, unit: 'ms' })),
      ...r.cases.map((c) => ({ figure: `${c.label} p50`, value: c.p50, unit: 'ms' })),
      ...r.cases.map((c) => ({ figure: `${c.label}: the client's JSON.parse of the answer, p50 (not in the figures above)`, value: c.parse.p50, unit: 'ms' })),
      { figure: 'first request after start (no extent known), once', value: r.firstRequestMs, unit: 'ms' },
      { figure: 'one GET .../series of the same view p50 (baseline)', value: r.oneGet.p50, unit: 'ms' },
      { figure: 'one GET .../series of the same view p99 (baseline)', value: r.oneGet.p99, unit: 'ms' },
      { figure: 'GET /readyz p50 (HTTP floor)', value: r.httpFloor.p50, unit: 'ms' },
      { figure: 'batch entries whose mean is not GET\'s to the bit', value: r.meanInexact, unit: `of ${r.checks}`, target: '0', met: r.meanInexact === 0 },
    ], r.workload));
    writeResult('series-batch', r);
    process.stdout.write(`(${fmt(r.points)} points loaded in ${r.writeSeconds.toFixed(1)} s; ${r.checks} batch entries equal to GET's answers)\n`);
  });
  if (want('ranks')) await section('ranks', async () => {
    const r = await benchRanks({ quick: !full });
    summary.push(...reportRanks(r));
    writeResult('ranks', r);
  });
  if (want('export')) await section('export', async () => {
    const r = await benchExport({ quick: !full });
    summary.push(...reportExport(r));
    writeResult('export', r);
  });
  if (want('dashboard')) await section('dashboard', async () => {
    const r = await benchDashboard({ quick: !full });
    summary.push(...reportDashboard(r));
    writeResult('dashboard', r);
  });
  if (want('memory')) await section('memory', async () => {
    const r = await benchMemory(full ? 60 : 15, full ? 10 : 5);
    summary.push(...reportMemory(r));
    writeResult('memory', r);
  });
  if (want('fairness')) await section('fairness', async () => {
    const r = await benchFairness({ seconds: full ? 20 : 10 });
    summary.push(...reportFairness(r));
    writeResult('fairness', r);
  });
  // One entry per target: {figure, value, unit, target, met, workload}.
  const file = join(RESULTS, 'summary.json');
  writeFileSync(file, JSON.stringify(summary.map((f) => ({ ...f, date: new Date().toISOString(), commit: commit() })), null, 2) + '\n');
  const met = summary.filter((f) => f.met).length;
  process.stdout.write(`\n${met} of ${summary.length} targets met; ${file}\n`);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
