// The restart recipes, as real processes: the same training script, started
// again by torchrun (TORCHELASTIC_RESTART_COUNT) or by a SLURM requeue
// (SLURM_RESTART_COUNT), resumes from its checkpoint and logs as the next
// attempt with no change to its code. Child processes run the built package.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStub, type StubServer } from './stub-server.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
const dir = mkdtempSync(join(tmpdir(), 'ss-recipes-'));
let stub: StubServer;
beforeAll(async () => { stub = await startStub(); });
afterAll(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

// A training script as a user writes it: it resumes from its checkpoint when
// there is one, and says nothing about attempts. CRASH_AT makes the "node"
// die at that step, after its points reached the server.
const TRAIN = `
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { init } from ${JSON.stringify(pathToFileURL(dist).href)};
const ckpt = process.env.CKPT + '.' + (process.env.RANK ?? '');
const first = existsSync(ckpt) ? Number(readFileSync(ckpt, 'utf8')) : 0;
const run = init({ project: 'p', url: process.env.URL, spoolDir: process.env.SPOOL });
for (let step = first; step < 100; step++) {
  run.log({ loss: 1 / (step + 1) }, step);
  if (step > 0 && step % 25 === 0) writeFileSync(ckpt, String(step));
  if (step === Number(process.env.CRASH_AT)) { await run.flush(); process.exit(1); }
}
await run.finish();
`;

/** The test's own environment without what a launcher sets, so only what a case gives is seen. */
const LAUNCHER_VARIABLES = /^(RANK|WORLD_SIZE|LOCAL_RANK|STEPSTREAM_.*|TORCHELASTIC_.*|SLURM_.*)$/;
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !LAUNCHER_VARIABLES.test(k)));

function train(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const all = { ...cleanEnv, URL: stub.url, SPOOL: join(dir, 'spool'), ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', TRAIN], { env: all, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

/** Per attempt and rank of a run: the steps stored, in order. */
function stepsBy(runId: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of stub.stored.values()) {
    if (r.runId !== runId) continue;
    for (const s of r.series) {
      const key = `attempt ${r.attempt} rank ${s.rank}`;
      out.set(key, [...(out.get(key) ?? []), ...Array.from(s.steps)].sort((a, b) => a - b));
    }
  }
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe.skipIf(!existsSync(dist))('restart recipes (built package, real processes)', () => {
  it('torchrun: an elastic restart is the next attempt (TORCHELASTIC_RESTART_COUNT), every rank, no code change', async () => {
    const job = { TORCHELASTIC_RUN_ID: 'te-job', WORLD_SIZE: '2', CKPT: join(dir, 'te') };
    const first = await Promise.all(['0', '1'].map((rank) => train({ ...job, RANK: rank, LOCAL_RANK: rank, TORCHELASTIC_RESTART_COUNT: '0', CRASH_AT: '60' })));
    expect(first.map((r) => r.code)).toEqual([1, 1]);
    // torchrun restarts the worker group with the count raised; the checkpoint of step 50 is loaded.
    const second = await Promise.all(['0', '1'].map((rank) => train({ ...job, RANK: rank, LOCAL_RANK: rank, TORCHELASTIC_RESTART_COUNT: '1' })));
    expect(second).toEqual([{ code: 0, stderr: '' }, { code: 0, stderr: '' }]);
    expect(Object.fromEntries(stepsBy('te-job'))).toEqual({
      'attempt 0 rank 0': range(0, 61), 'attempt 0 rank 1': range(0, 61),
      'attempt 1 rank 0': range(50, 100), 'attempt 1 rank 1': range(50, 100),
    });
    // Run info comes from rank 0 alone, in either attempt.
    const infos = [...stub.stored.values()].filter((r) => r.runId === 'te-job' && r.run !== null);
    expect(new Set(infos.map((r) => r.clientId.endsWith('-r0')))).toEqual(new Set([true]));
    expect(infos.filter((r) => r.attempt === 1).map((r) => r.run!.status)).toEqual([1, 2]);
  }, 60_000);

  it('SLURM: a requeued job is the next attempt (SLURM_RESTART_COUNT), no code change', async () => {
    const job = { SLURM_JOB_ID: '4242', STEPSTREAM_RUN_ID: 'slurm-4242', RANK: '0', CKPT: join(dir, 'slurm') };
    // The first run of a job has no SLURM_RESTART_COUNT; each requeue raises it.
    expect((await train({ ...job, CRASH_AT: '30' })).code).toBe(1);
    expect((await train({ ...job, SLURM_RESTART_COUNT: '1', CRASH_AT: '80' })).code).toBe(1);
    expect(await train({ ...job, SLURM_RESTART_COUNT: '2' })).toEqual({ code: 0, stderr: '' });
    expect(Object.fromEntries(stepsBy('slurm-4242'))).toEqual({
      'attempt 0 rank 0': range(0, 31), 'attempt 1 rank 0': range(25, 81), 'attempt 2 rank 0': range(75, 100),
    });
  }, 60_000);

  it('a restart count that is not a number stops the script at init, naming the variable', async () => {
    const r = await train({ STEPSTREAM_RUN_ID: 'bad', RANK: '0', CKPT: join(dir, 'bad'), SLURM_RESTART_COUNT: 'requeued' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stepstream\.init: environment variable SLURM_RESTART_COUNT must be an integer from 0 to 4294967295 \(the attempt of the run\), got "requeued"/);
    expect(stepsBy('bad').size).toBe(0);
  }, 30_000);
});
