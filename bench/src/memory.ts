// memory: peak RSS of the all-in-one server (default flags) under each attack
// of issue 9, against the documented budget. A fresh server per attack, since
// VmHWM only ever grows.
//   node bench/dist/memory.js [--flood-seconds=60] [--attack-seconds=10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKey } from '@stepstream/runtime';
import { gzipSync } from 'node:zlib';
import { bigBatch, deepConfig, emptySeriesBomb, hugeConfig, packedZeroStepsBomb } from './attacks.js';
import { startStepstream } from './procs.js';
import { fmt, printTable, writeResult, type Figure } from './report.js';

/** Peak RSS budget of one all-in-one process with default flags (docs/guarantees.md). */
const BUDGET_MB = 1536;

export interface AttackFigures { attack: string; seconds: number; requests: number; statuses: Record<string, number>; peakRssMb: number; met: boolean }

interface Attack {
  name: string;
  /** Bodies sent round-robin by `senders` concurrent loops for the attack's duration. */
  bodies: () => Buffer[];
  senders: number;
  headers?: Record<string, string>;
  /** Serve flags and environment for this attack (defaults otherwise). */
  env?: Record<string, string>;
}

async function runAttack(a: Attack, seconds: number): Promise<AttackFigures> {
  const bodies = a.bodies();
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-mem-'));
  const ss = await startStepstream(['--data', dir], a.env ?? {});
  const statuses: Record<string, number> = {};
  let requests = 0, next = 0;
  const t0 = performance.now(), end = t0 + seconds * 1000;
  try {
    const sender = async () => {
      while (performance.now() < end) {
        const body = bodies[next++ % bodies.length]!;
        const res = await fetch(`${ss.url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', ...a.headers } }).catch(() => null);
        const status = res ? String(res.status) : 'error';
        await res?.arrayBuffer().catch(() => undefined);
        statuses[status] = (statuses[status] ?? 0) + 1;
        requests++;
        if (status === '503' || status === '429' || status === 'error') await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.all(Array.from({ length: a.senders }, sender));
    const peak = ss.peakRssMb();
    const kb = Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 1024);
    return { attack: `${a.name}, ${fmt(kb)} KB bodies`, seconds: (performance.now() - t0) / 1000, requests, statuses, peakRssMb: peak, met: peak <= BUDGET_MB };
  } finally {
    await ss.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function attacks(): Attack[] {
  const { key, entry } = newKey('bomb', 'write');
  void key;
  const keys = { STEPSTREAM_API_KEYS: `${entry.project}:${entry.role}:${entry.sha256}` };
  return [
    { name: 'flood of 1M-point batches, 4 senders', senders: 4, bodies: () => Array.from({ length: 8 }, (_, i) => bigBatch('flood', `r${i % 4}`, 'loss', i * 1_000_000, 1_000_000)) },
    { name: 'empty-series bomb (12M series, gzip), 4 at once', senders: 4, bodies: () => [emptySeriesBomb()], headers: { 'content-encoding': 'gzip' } },
    { name: 'gzip bomb of 60M zero steps, 12 at once, no API key', senders: 12, bodies: () => [packedZeroStepsBomb()], headers: { 'content-encoding': 'gzip' }, env: keys },
    { name: 'deep (100,000 levels) and huge (60 MB, gzip) configs, 4 at once', senders: 4, bodies: () => [gzipSync(deepConfig()), hugeConfig()], headers: { 'content-encoding': 'gzip' } },
  ];
}

export async function benchMemory(floodSeconds: number, attackSeconds: number): Promise<{ budgetMb: number; results: AttackFigures[] }> {
  const results: AttackFigures[] = [];
  for (const [i, a] of attacks().entries()) results.push(await runAttack(a, i === 0 ? floodSeconds : attackSeconds));
  return { budgetMb: BUDGET_MB, results };
}

export function reportMemory(r: { budgetMb: number; results: AttackFigures[] }): Figure[] {
  return printTable(`memory: peak RSS of --target=all with default flags, one fresh server per attack (budget ${fmt(r.budgetMb)} MB)`, r.results.map((a) => ({
    figure: `peak RSS: ${a.attack} (${a.seconds.toFixed(0)} s, ${Object.entries(a.statuses).map(([s, n]) => `${n}× ${s}`).join(', ')})`,
    value: a.peakRssMb, unit: 'MB', target: `≤ ${fmt(r.budgetMb)}`, met: a.met,
  })), 'issue 9 attacks');
}

if (process.argv[1]?.endsWith('memory.js')) {
  const arg = (name: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d);
  benchMemory(arg('flood-seconds', 60), arg('attack-seconds', 10)).then((r) => {
    reportMemory(r);
    writeResult('memory', r);
  }).catch((err: unknown) => { console.error(err); process.exit(1); });
}
