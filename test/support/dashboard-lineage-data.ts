// A restarted, forked, per-rank run for the dashboard's ranks and lineage tests, sent by the
// demo's generator (stepstream demo --restarts --fork), and waited for until every point is stored.
import { parseConfig } from '@stepstream/runtime';
import { demoSchema, runDemo } from '../../services/cli/src/demo.js';
import { getJson } from './stepstream.js';
import { waitFor } from './wait.js';

export interface RestartedRun { run: string; fork: string; ranks: number; steps: number }

export async function sendRestartedRun(url: string, project: string, ranks = 4, steps = 2000): Promise<RestartedRun> {
  const flags = { url, project, runs: '1', ranks: String(ranks), metrics: '4', steps: String(steps), restarts: '2', fork: 'true', 'steps-per-batch': '200' };
  const cfg = parseConfig(demoSchema, new Map(Object.entries(flags)), {});
  let out = '';
  await runDemo(cfg, { write: (s: string) => { out += s; return true; } } as unknown as NodeJS.WritableStream);
  const sent = Number(/sent ([\d,]+) points/.exec(out)![1]!.replace(/,/g, ''));
  const run = /runs\/(demo-\w+-0)\/lineage/.exec(out)![1]!, fork = /runs\/(demo-\w+-fork)\/lineage/.exec(out)![1]!;
  const stored = async (id: string) => (await getJson<{ attempts: { points: number }[] }>(`${url}/v1/projects/${project}/runs/${id}/lineage`)).body.attempts.reduce((a, x) => a + x.points, 0);
  await waitFor('every point stored', async () => ((await stored(run)) + (await stored(fork)) === sent ? true : undefined), 60_000);
  return { run, fork, ranks, steps };
}
