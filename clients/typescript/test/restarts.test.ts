// Restarts, rewinds and forks in the client: which attempt a process is
// (option, else the launcher's restart count), that every batch carries it
// (sent, spooled, synced, split), and that rank 0 declares the resume step
// and the fork in its run info.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBatch, init, sync, type InitOptions, type Run } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { listSpool, readBatchFile } from '../src/spool.js';
import { startStub, type StubServer } from './stub-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

const base: InitOptions = { project: 'p', runId: 'job', mode: 'offline', exitHooks: false, warn: () => {}, spoolDir: '/nonexistent-never-written' };
const attemptOf = (env: Record<string, string>, attempt?: number): number => resolveOptions({ ...base, env, ...(attempt === undefined ? {} : { attempt }) }).attempt;
const errorOf = (o: Partial<InitOptions>): unknown => { try { resolveOptions({ ...base, env: {}, ...o }); } catch (e) { return e; } return undefined; };

async function stubServer(): Promise<StubServer> {
  const s = await startStub();
  cleanups.push(() => s.close());
  return s;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ss-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function start(o: Partial<InitOptions>): Run {
  const run = init({ ...base, mode: 'online', env: {}, ...o });
  cleanups.push(() => run.finish('finished', { timeoutMs: 500 }));
  return run;
}

describe('the attempt', () => {
  it('is the option, else STEPSTREAM_ATTEMPT, else TORCHELASTIC_RESTART_COUNT, else SLURM_RESTART_COUNT, else 0', () => {
    const all = { STEPSTREAM_ATTEMPT: '7', TORCHELASTIC_RESTART_COUNT: '3', SLURM_RESTART_COUNT: '2' };
    expect(attemptOf(all, 9)).toBe(9);
    expect(attemptOf(all)).toBe(7);
    expect(attemptOf({ TORCHELASTIC_RESTART_COUNT: '3', SLURM_RESTART_COUNT: '2' })).toBe(3);
    expect(attemptOf({ SLURM_RESTART_COUNT: '2' })).toBe(2);
    expect(attemptOf({})).toBe(0);
    // Set but empty is not set; spaces around a number are fine.
    expect(attemptOf({ STEPSTREAM_ATTEMPT: '', TORCHELASTIC_RESTART_COUNT: ' 4 ' })).toBe(4);
    expect(attemptOf({ STEPSTREAM_ATTEMPT: '4294967295' })).toBe(2 ** 32 - 1);
  });

  it('from a variable that is not a whole number in range is an error naming the variable, never 0', () => {
    for (const [name, raw] of [['STEPSTREAM_ATTEMPT', 'two'], ['TORCHELASTIC_RESTART_COUNT', '-1'], ['SLURM_RESTART_COUNT', '1.5'], ['STEPSTREAM_ATTEMPT', '0x10'], ['STEPSTREAM_ATTEMPT', '4294967296']] as const) {
      expect(errorOf({ env: { [name]: raw } })).toMatchObject({
        code: 'SS_ERR_CLIENT_CONFIG', message: `stepstream.init: environment variable ${name} must be an integer from 0 to 4294967295 (the attempt of the run), got "${raw}"`,
      });
    }
    expect(errorOf({ attempt: -1 })).toMatchObject({ message: expect.stringMatching(/attempt must be an integer from 0 to 4294967295, got -1/) });
    expect(errorOf({ attempt: 1.5 })).toMatchObject({ code: 'SS_ERR_CLIENT_CONFIG' });
  });

  it('rides on every batch of every rank, the run info\'s too', async () => {
    const s = await stubServer();
    const r0 = start({ url: s.url, rank: 0, env: { TORCHELASTIC_RESTART_COUNT: '2' } });
    const r1 = start({ url: s.url, rank: 1, env: { TORCHELASTIC_RESTART_COUNT: '2' } });
    expect([r0.attempt, r1.attempt]).toEqual([2, 2]);
    for (let i = 0; i < 3; i++) { r0.log({ loss: i }); r1.log({ loss: i }); await Promise.all([r0.flush(), r1.flush()]); }
    await Promise.all([r0.finish(), r1.finish()]);
    expect(s.received.length).toBeGreaterThanOrEqual(8);
    expect(s.received.map((r) => r.request.attempt)).toEqual(s.received.map(() => 2));
  });
});

describe('resume step and fork', () => {
  it('are declared by rank 0 in every run info it sends; other ranks send no run info', async () => {
    const s = await stubServer();
    const r0 = start({ url: s.url, rank: 0, attempt: 1, resumeStep: 0, forkFrom: { run: 'parent', step: 500 } });
    const r1 = start({ url: s.url, rank: 1, attempt: 1, resumeStep: 0, forkFrom: { run: 'parent', step: 500 } });
    r0.log({ loss: 1 });
    r1.log({ loss: 1 });
    await Promise.all([r0.finish(), r1.finish()]);
    const infos = s.received.filter((r) => r.request.run !== null);
    expect(infos.map((r) => r.request.clientId)).toEqual([r0.clientId, r0.clientId]);
    // resume_step 0 is sent (present), not left out as a default.
    for (const r of infos) expect(r.request.run).toMatchObject({ resumeStep: 0, forkOf: 'parent', forkStep: 500 });
    const plain = start({ url: s.url, rank: 0, runId: 'plain' });
    await plain.finish();
    expect(s.received.filter((r) => r.request.runId === 'plain').map((r) => r.request.run)).toMatchObject([{ resumeStep: null, forkOf: '', forkStep: 0 }, { resumeStep: null }]);
  });

  it('set where log() without a step begins: the resume step, else the fork step', () => {
    expect(start({ mode: 'disabled', resumeStep: 1200, forkFrom: { run: 'x', step: 1000 } }).step).toBe(1200);
    expect(start({ mode: 'disabled', forkFrom: { run: 'x', step: 1000 } }).step).toBe(1000);
    expect(start({ mode: 'disabled' }).step).toBe(0);
  });

  it('are refused when they cannot work, naming the option', () => {
    expect(errorOf({ resumeStep: -1 })).toMatchObject({ message: expect.stringMatching(/resumeStep must be a step \(an integer ≥ 0\), got -1/) });
    expect(errorOf({ resumeStep: 2 ** 53 })).toMatchObject({ code: 'SS_ERR_CLIENT_CONFIG' });
    expect(errorOf({ forkFrom: { run: 'a\nb', step: 1 } })).toMatchObject({ message: expect.stringMatching(/forkFrom.run must be 1 to 256 bytes/) });
    expect(errorOf({ forkFrom: { run: 'p', step: 1.5 } })).toMatchObject({ message: expect.stringMatching(/forkFrom.step must be a step/) });
    expect(errorOf({ forkFrom: { run: 'job', step: 1 } })).toMatchObject({ message: expect.stringMatching(/forkFrom.run is this run's own id \(job\)/) });
    expect(errorOf({ forkFrom: 'parent' as never })).toMatchObject({ message: expect.stringMatching(/forkFrom must be \{ run: <run id>, step: <step> \}/) });
  });
});

describe('the spool', () => {
  it('keeps the attempt with each batch: written offline, read back and synced as points of that attempt', async () => {
    const spool = tempDir();
    const run = init({ ...base, spoolDir: spool, env: { SLURM_RESTART_COUNT: '3' }, resumeStep: 40 });
    for (let i = 0; i < 5; i++) run.log({ loss: i });
    await run.finish();
    const [group] = listSpool(spool);
    expect(JSON.parse(readFileSync(join(group!.dir, 'spool.json'), 'utf8'))).toMatchObject({ attempt: 3, client_id: run.clientId });
    const batches = group!.files.map((f) => decodeBatch(readBatchFile(f).bytes));
    expect(batches.map((b) => b.attempt)).toEqual(batches.map(() => 3));
    expect(batches.flatMap((b) => b.series.flatMap((s) => Array.from(s.steps)))).toEqual([40, 41, 42, 43, 44]);
    const s = await stubServer();
    expect(await sync(spool, s.url)).toMatchObject({ batchesSent: batches.length, batchesLeft: 0 });
    expect([...s.stored.values()].map((r) => r.attempt)).toEqual(batches.map(() => 3));
    expect([...s.stored.values()].find((r) => r.run)!.run).toMatchObject({ resumeStep: 40 });
  });
});
