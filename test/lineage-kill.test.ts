// A writer killed (SIGKILL) in the middle of a restarted run: after the
// restart every acknowledged point of both attempts is stored once, and the
// reads follow the effective history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { encodeRequest } from './support/requests.js';
import { startChild, type Child } from './support/process.js';
import { getJson } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const children: Child[] = [];
const dir = mkdtempSync(join(tmpdir(), 'ss-lineage-kill-'));
afterAll(async () => {
  for (const c of children) await c.stop(2000);
  rmSync(dir, { recursive: true, force: true });
});

/** Batch `seq` of an attempt: 1000 steps from `from`, client "c" (a restarted process reuses it and starts its sequence again). */
const batch = (attempt: number, seq: number, from: number, resumeStep?: number) => {
  const steps = Array.from({ length: 1000 }, (_, i) => from + i);
  return encodeRequest({
    project: 'kill', runId: 'r', attempt, clientId: 'c', sequence: seq, ...(resumeStep === undefined ? {} : { run: { resumeStep } }),
    series: [{ metric: 'm', rank: 0, steps, values: steps.map((s) => s + attempt / 10) }],
  });
};

it('stores both attempts once after a SIGKILL mid-restart, and answers their effective history', async () => {
  // A long flush age keeps acknowledged batches in the write-ahead log when the kill lands.
  const first = await startChild(['--data', dir, '--flush-ms', '2000']);
  children.push(first);
  const post = async (url: string, body: Buffer) => {
    const res = await fetch(`${url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
    await res.arrayBuffer();
    expect(res.status).toBe(202);
  };
  // Attempt 0 logs steps 0..19999 and crashes; attempt 1 resumes from the checkpoint at 15000.
  for (let s = 1; s <= 20; s++) await post(first.url, batch(0, s, (s - 1) * 1000));
  for (let s = 1; s <= 10; s++) await post(first.url, batch(1, s, 15_000 + (s - 1) * 1000, s === 1 ? 15_000 : undefined));
  first.proc.kill('SIGKILL');
  await first.exited;

  const second = await startChild(['--data', dir, '--flush-ms', '50']);
  children.push(second);
  // Client retries after the restart, of both attempts: stored already, counted once.
  await post(second.url, batch(0, 20, 19_000));
  await post(second.url, batch(1, 10, 24_000));
  const lineage = await waitFor('both attempts stored', async () => {
    const { status, body } = await getJson(`${second.url}/v1/projects/kill/runs/r/lineage`);
    const points = status === 200 ? (body.attempts as { points: number }[]).map((a) => a.points) : [];
    return points.join() === '20000,10000' ? body : undefined;
  }, 30_000, 100);
  expect(lineage.segments).toEqual([{ run: 'r', attempt: 0, from: 0, to: 15_000 }, { run: 'r', attempt: 1, from: 15_000, to: null }]);

  const { body: run } = await getJson(`${second.url}/v1/projects/kill/runs/r`);
  expect(run).toMatchObject({ attempts: 2, last_step: 24_999 });
  expect(run.metrics[0]).toMatchObject({ count: 25_000, first_step: 0, last_step: 24_999, last: 24_999.1, min: 0, max: 24_999.1 });
  // NOTE: points=1000 is answered from the raw points, which can trail the
  // lineage's counts by one insert (docs/guarantees.md, "When a stored point can be read").
  const rawSum = async () => ((await getJson(`${second.url}/v1/projects/kill/runs/r/series?metric=m&rank=0&points=1000`)).body.count as number[]).reduce((a, b) => a + b, 0);
  await waitFor('the raw points of both attempts', async () => ((await rawSum()) >= 25_000 ? true : undefined), 10_000, 100);
  for (const points of [3, 100, 1000]) {
    const { body: s } = await getJson(`${second.url}/v1/projects/kill/runs/r/series?metric=m&rank=0&points=${points}`);
    expect((s.count as number[]).reduce((a, b) => a + b, 0), `points=${points}, tier ${s.tier}`).toBe(25_000);
  }
  const { body: crashed } = await getJson(`${second.url}/v1/projects/kill/runs/r/series?metric=m&rank=0&points=3&attempt=0`);
  expect((crashed.count as number[]).reduce((a, b) => a + b, 0)).toBe(20_000);
  await second.stop();
}, 90_000);
