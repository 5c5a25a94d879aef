// One process writes a spool directory: a second writer is refused with the
// Python client's message, sync skips a spool a live run still writes, and
// the lock of a process that died is taken over.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Run, StepstreamError, sync, type InitOptions } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { SpoolWriter } from '../src/spool.js';
import { LOCK_FILE, lockSpoolDir, unlockSpoolDir } from '../src/spool-lock.js';
import { startStub } from './stub-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ss-lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const meta = { url: null, project: 'p', run_id: 'r', rank: 0, client_id: 'w0' };
const batch = new Uint8Array([10, 1, 112]); // project "p"

/** A pid no process has: one of a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

function refusal(f: () => unknown): StepstreamError {
  try {
    f();
  } catch (err) {
    if (err instanceof StepstreamError) return err;
    throw err;
  }
  throw new Error('not refused');
}

/** An offline run writing to a spool directory fixed in advance (the client id is normally random). */
function offlineRun(root: string, warnings: string[] = []): Run {
  const o: InitOptions = { project: 'p', runId: 'r', mode: 'offline', spoolDir: root, exitHooks: false, flushIntervalMs: 60_000, warn: (m) => warnings.push(m), env: {} };
  const run = new Run({ ...resolveOptions(o), clientId: 'w0' });
  cleanups.push(() => run.finish());
  return run;
}

describe('spool lock', () => {
  it('refuses a second writer of one directory, and lets it in once the first lets go', () => {
    const root = tempDir();
    const first = new SpoolWriter(root, meta);
    const second = new SpoolWriter(root, meta);
    first.write(1, batch);
    expect(readFileSync(join(first.dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    const err = refusal(() => second.write(2, batch));
    expect(err.code).toBe('SS_ERR_CLIENT_SPOOL_LOCKED');
    expect(err.message).toBe(`${first.dir} is in use by a running process (pid ${process.pid})`);
    first.release();
    expect(existsSync(join(first.dir, LOCK_FILE))).toBe(false);
    second.write(2, batch);
    second.release();
  });

  it('refuses a directory another live process holds, and takes over the lock of one that died', () => {
    const dir = join(tempDir(), 'spool');
    mkdirSync(dir);
    const lock = join(dir, LOCK_FILE);
    writeFileSync(lock, String(process.ppid)); // alive: the process that started this one
    expect(refusal(() => lockSpoolDir(dir)).message).toBe(`${dir} is in use by a running process (pid ${process.ppid})`);
    expect(readFileSync(lock, 'utf8')).toBe(String(process.ppid));

    for (const stale of [String(deadPid()), '', String(process.pid)]) { // dead; emptied (Python); an earlier life of this pid
      writeFileSync(lock, stale);
      lockSpoolDir(dir);
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
      unlockSpoolDir(dir);
      expect(existsSync(lock)).toBe(false);
    }
  });

  it('an offline init() refuses a spool directory in use; sync skips it until the run finishes', async () => {
    const root = tempDir();
    const warnings: string[] = [];
    const run = offlineRun(root);
    run.log({ a: 1 });
    await run.flush();
    const err = refusal(() => offlineRun(root));
    expect(err.message).toBe(`${run.spoolDir} is in use by a running process (pid ${process.pid})`);

    const s = await startStub();
    cleanups.push(() => s.close());
    const during = await sync(root, s.url, { warn: (m) => warnings.push(m) });
    expect(during).toMatchObject({ batchesSent: 0, spoolsSkipped: 1, batchesLeft: 2 });
    expect(warnings).toEqual([`stepstream sync: skipped ${run.spoolDir} is in use by a running process (pid ${process.pid})`]);
    expect(s.received).toHaveLength(0);

    await run.finish();
    const after = await sync(root, s.url);
    expect(after).toMatchObject({ batchesSent: 3, spoolsSkipped: 0, batchesLeft: 0 });
    expect(existsSync(run.spoolDir)).toBe(false);
  });
});
