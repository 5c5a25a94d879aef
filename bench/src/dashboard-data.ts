// The dashboard bench's data, sent by the demo generator (`stepstream demo`, the real program) into a
// running all-in-one: one large run with restarts and a fork (the run the first-chart and zoom
// figures open), and a project of 10,000 small runs (the run table scrolled).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from './procs.js';

const run = promisify(execFile);

export interface DashboardShape { ranks: number; metrics: number; steps: number; restarts: number; manyRuns: number }

export const DASHBOARD_SHAPES: Record<'quick' | 'full', DashboardShape> = {
  quick: { ranks: 8, metrics: 50, steps: 10_000, restarts: 3, manyRuns: 10_000 },
  full: { ranks: 8, metrics: 50, steps: 100_000, restarts: 3, manyRuns: 10_000 },
};

export const RUN_PROJECT = 'dash-run', MANY_PROJECT = 'dash-many';

export interface DashboardData {
  /** The large run (the parent of the fork), and its fork. */
  runId: string;
  forkId: string;
  points: number;
  manyPoints: number;
  seconds: { run: number; many: number };
}

async function demo(url: string, args: string[]): Promise<{ stdout: string; seconds: number }> {
  const t0 = performance.now();
  const { stdout } = await run(process.execPath, [CLI, 'demo', '--url', url, ...args], { maxBuffer: 1 << 24 });
  return { stdout, seconds: (performance.now() - t0) / 1000 };
}

const sentPoints = (stdout: string): number => Number(/sent ([\d,]+) points/.exec(stdout)![1]!.replace(/,/g, ''));

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** Polls until `done` holds (every 250 ms, at most `ms`). */
async function until(what: string, done: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function loadDashboardData(url: string, shape: DashboardShape): Promise<DashboardData> {
  const big = await demo(url, ['--project', RUN_PROJECT, '--runs', '1', '--ranks', String(shape.ranks), '--metrics', String(shape.metrics),
    '--steps', String(shape.steps), '--restarts', String(shape.restarts), '--fork']);
  const runId = /runs\/(demo-[\w]+-0)\/lineage/.exec(big.stdout)![1]!;
  const forkId = /runs\/(demo-[\w]+-fork)\/lineage/.exec(big.stdout)![1]!;
  const points = sentPoints(big.stdout);
  const many = await demo(url, ['--project', MANY_PROJECT, '--runs', String(shape.manyRuns), '--ranks', '1', '--metrics', '2', '--steps', '20']);

  // Every point sent is stored (superseded ones included) and every run listed before the page opens.
  const base = `${url}/v1/projects`;
  type Lineage = { attempts: { points: number }[] };
  const stored = async (id: string) => (await getJson<Lineage>(`${base}/${RUN_PROJECT}/runs/${id}/lineage`)).attempts.reduce((a, x) => a + x.points, 0);
  await until('the large run stored', async () => (await stored(runId)) + (await stored(forkId)) === points);
  await until('every small run listed', async () => {
    const { projects } = await getJson<{ projects: { name: string; runs: number }[] }>(base);
    return projects.find((p) => p.name === MANY_PROJECT)?.runs === shape.manyRuns;
  });
  return { runId, forkId, points, manyPoints: sentPoints(many.stdout), seconds: { run: big.seconds, many: many.seconds } };
}
