// run-list: one page of GET /v1/projects/:p/runs over a project of 10,000
// runs (each with a RunInfo: name, tags, status, nested config, start time,
// and two metrics), written through the store's write path, then read over
// keep-alive HTTP from a `--target query` process: the first page, a page deep
// into the list by cursor, each sort, filters, summary columns, 1000-run
// pages. Baseline in the same run: GET /readyz over the same connections.
// Every answer of a full page is checked for its size; target: p99 < 100 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedAdapter, Store, type RunInfoRecord, type SeriesRows } from '@stepstream/storage';
import { startStepstream } from './procs.js';
import { keepAliveGetter } from './http-get.js';
import { stats, timeIt, type Latency } from './timing.js';

const PROJECT = 'runs-bench';
export const RUN_LIST_RUNS = 10_000;

export interface RunListResult { workload: string; runs: number; writeSeconds: number; pages: (Latency & { label: string })[]; httpFloor: Latency; worstP99: number }

export async function writeRuns(dir: string, runs: number): Promise<void> {
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  try {
    await store.migrate();
    const now = Date.now();
    for (let from = 0; from < runs; from += 1000) {
      const infos: RunInfoRecord[] = [], series: SeriesRows[] = [];
      for (let i = from; i < Math.min(runs, from + 1000); i++) {
        const run = `run-${String(i).padStart(5, '0')}`;
        infos.push({
          project: PROJECT, run, attempt: 0, version: 1, receivedMs: now, name: `${['resnet', 'gpt', 'vit'][i % 3]}-sweep-${i}`,
          configJson: JSON.stringify({ lr: [0.1, 0.01, 0.001][i % 3], opt: { name: ['adam', 'sgd'][i % 2], wd: i % 10 }, seed: i }),
          tags: [['a'], ['a', 'b'], ['c'], []][i % 4]!, status: 1 + (i % 4), startedMs: now - i * 1000, finishedMs: 0, meta: {}, resumeStep: null, forkOf: '', forkStep: 0,
        });
        const steps = Float64Array.from({ length: 20 }, (_, s) => s * 50 + (i % 7));
        for (const metric of ['loss', 'acc']) {
          series.push({ project: PROJECT, run, metric, rank: -1, attempt: 0, steps, values: steps.map((s) => Math.sin(i + s) + (metric === 'loss' ? 2 : 0)), timeMs: new Float64Array(0), receivedMs: now });
        }
      }
      await store.write({ token: `run-list-${from}`, series, batches: [], runs: infos });
    }
  } finally {
    await store.close();
  }
}

export async function benchRunList(opts: { quick: boolean }): Promise<RunListResult> {
  const runs = RUN_LIST_RUNS;
  const reps = opts.quick ? 40 : 100;
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-runlist-'));
  try {
    const t0 = performance.now();
    await writeRuns(dir, runs);
    const writeSeconds = (performance.now() - t0) / 1000;
    const ss = await startStepstream(['--target', 'query', '--data', dir]);
    const http = keepAliveGetter(ss.url, 4);
    try {
      const base = `/v1/projects/${PROJECT}/runs`;
      const page = async (query: string, size: number) => {
        const r = await http.get(`${base}?${query}`);
        const body = JSON.parse(r.body) as { runs: unknown[]; next_cursor: string | null };
        if (size >= 0 && body.runs.length !== size) throw new Error(`run-list bench: ${query} answered ${body.runs.length} runs, not ${size}`);
        return body;
      };
      /** The cursor of page `n` (0-based) of a list, read by following next_cursor. */
      const cursorAt = async (query: string, n: number) => {
        let cursor = '';
        for (let i = 0; i < n; i++) cursor = (await page(`${query}${cursor ? `&cursor=${cursor}` : ''}`, 100)).next_cursor!;
        return cursor;
      };
      const mid = await cursorAt('sort=name', 50);
      const midSummary = await cursorAt('sort=-summary.loss', 50);
      const cases: [string, string, number][] = [
        ['first page (no parameters)', '', 100],
        ['page 51 by cursor, sort=name', `sort=name&cursor=${mid}`, 100],
        ['sort=-started_ms', 'sort=-started_ms', 100],
        ['sort=last_step', 'sort=last_step', 100],
        ['sort=-summary.loss (first page: snapshot stored)', 'sort=-summary.loss', 100],
        ['page 51 by cursor, sort=-summary.loss', `sort=-summary.loss&cursor=${midSummary}`, 100],
        ['q=sweep-99&tag=a', 'q=sweep-99&tag=a', -1],
        ['config.opt.name=adam&config.lr=0.01&status=failed', 'config.opt.name=adam&config.lr=0.01&status=failed', 100],
        ['summary=loss,acc', 'summary=loss,acc', 100],
        ['limit=1000', 'limit=1000', 1000],
      ];
      const pages: RunListResult['pages'] = [];
      for (const [label, query, size] of cases) pages.push({ label, ...stats(await timeIt(reps, 3, () => page(query, size))) });
      const httpFloor = stats(await timeIt(reps, 3, () => http.get('/readyz')));
      return {
        workload: `${runs.toLocaleString('en-US')} runs (RunInfo + 2 metrics × 20 points each), ${reps} reads per case, keep-alive HTTP to --target query`,
        runs, writeSeconds, pages, httpFloor, worstP99: Math.max(...pages.map((p) => p.p99)),
      };
    } finally {
      http.close();
      await ss.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
