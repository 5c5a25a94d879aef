// `stepstream demo --live`, the real program against the all-in-one target: the server sees the run
// grow over time at the paced rate, never ahead of it, running until Ctrl-C (or --duration), then
// finished with every point sent stored.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './support/process.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const RATE = 20; // steps a second
const RANKS = 2;

interface RunRow { id: string; status: string; last_step: number | null }
interface Demo { proc: ChildProcess; output(): string; exited: Promise<number | null> }

function startDemo(url: string, project: string, extra: string[] = []): Demo {
  const args = ['demo', '--live', '--url', url, '--project', project, '--runs', '1', '--ranks', String(RANKS), '--metrics', '2', '--steps', '100000', '--steps-per-second', String(RATE), ...extra];
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

describe('stepstream demo --live', () => {
  let ss: Started;
  const demos: Demo[] = [];
  beforeAll(async () => { ss = await startInProcess(); });
  afterAll(async () => {
    for (const d of demos) if (d.proc.exitCode === null) d.proc.kill('SIGKILL');
    await ss?.stop();
  });

  const runOf = async (project: string): Promise<RunRow | undefined> => {
    const { status, body } = await getJson<{ runs: RunRow[] }>(`${ss.url}/v1/projects/${project}/runs`);
    return status === 200 ? body.runs[0] : undefined;
  };

  it('streams at the paced rate while the run is running, and stops cleanly on SIGINT', async () => {
    const demo = startDemo(ss.url, 'live');
    demos.push(demo);
    const t0 = performance.now();
    const first = await waitFor('the run and its first steps', async () => {
      const run = await runOf('live');
      return run && run.last_step !== null ? run : undefined;
    });
    expect(first.status).toBe('running');

    // The run grows over time: several increasing last steps seen one after the other...
    const seen = [first.last_step!];
    while (seen.length < 4) {
      const run = await waitFor('the run to grow', async () => {
        const r = await runOf('live');
        return r && r.last_step! > seen.at(-1)! ? r : undefined;
      });
      expect(run.status).toBe('running');
      seen.push(run.last_step!);
      // ...and never ahead of the pace: step k is sent k / RATE seconds after the demo began at the earliest.
      const elapsed = (performance.now() - t0) / 1000;
      expect(run.last_step!).toBeLessThanOrEqual(Math.ceil(elapsed * RATE) + 1);
    }
    expect(seen[3]! - seen[0]!).toBeGreaterThanOrEqual(3);

    demo.proc.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    const sent = Number(/^stopped; sent ([\d,]+) points/m.exec(demo.output())![1]!.replace(/,/g, ''));
    // Every point sent is stored (the run list's last step lags the points a little, so wait for
    // the points first): per step, RANKS ranks x 2 metrics, and train/lr on rank -1 (eval every
    // 1,000 steps: none yet); and the run is finished.
    const id = first.id;
    await waitFor('every point stored', async () => {
      const detail = (await getJson<{ metrics: { count: number }[] }>(`${ss.url}/v1/projects/live/runs/${id}`)).body;
      return detail.metrics.reduce((a, m) => a + m.count, 0) === sent ? true : undefined;
    });
    const finished = await waitFor('the run finished', async () => {
      const r = await runOf('live');
      return r?.status === 'finished' ? r : undefined;
    });
    const perStep = RANKS * 2 + 1;
    expect(sent).toBe((finished.last_step! + 1) * perStep);
  });

  it('stops by itself after --duration and marks the run finished', async () => {
    const demo = startDemo(ss.url, 'timed', ['--duration', '1.5']);
    demos.push(demo);
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/^stopped; sent [\d,]+ points/m);
    const run = await waitFor('the run finished', async () => {
      const r = await runOf('timed');
      return r?.status === 'finished' ? r : undefined;
    });
    expect(run.last_step!).toBeLessThanOrEqual(1.5 * RATE + 1);
    expect(run.last_step!).toBeGreaterThan(0);
  });
});
