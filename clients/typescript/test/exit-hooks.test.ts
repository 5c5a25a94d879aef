// A trainer that ends without finish(): a script that just ends gets its
// run finished (beforeExit); one that calls process.exit() or crashes gets
// its unsent points written to the spool, marked crashed, for sync.
// Child processes run the built package (dist/), as a user's script would.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sync } from '../src/index.js';
import { startStub, type StubServer } from './stub-server.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
let stub: StubServer;
const spool = mkdtempSync(join(tmpdir(), 'ss-exit-'));

beforeAll(async () => { stub = await startStub(); });
afterAll(async () => {
  await stub.close();
  rmSync(spool, { recursive: true, force: true });
});

function runScript(body: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const script = `import { init } from ${JSON.stringify(pathToFileURL(dist).href)};\n${body}`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

describe.skipIf(!existsSync(dist))('exit hooks (built package)', () => {
  it('a script that ends without finish() still sends everything and marks the run finished', async () => {
    const { code, stderr } = await runScript(
      `const run = init({ project: 'p', runId: 'ends', url: process.env.URL, spoolDir: process.env.SPOOL, flushIntervalMs: 60000 });
       for (let i = 0; i < 500; i++) run.log({ loss: i });`,
      { URL: stub.url, SPOOL: spool, RANK: '0' },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const mine = [...stub.stored.values()].filter((r) => r.runId === 'ends');
    expect(mine.flatMap((r) => r.series).reduce((n, s) => n + s.steps.length, 0)).toBe(500);
    expect(mine.filter((r) => r.run).map((r) => r.run!.status)).toEqual([1, 2]);
  });

  it('process.exit() mid-run leaves the unsent points in the spool, marked crashed; sync sends them once', async () => {
    const { code, stderr } = await runScript(
      `const run = init({ project: 'p', runId: 'exits', url: process.env.URL, spoolDir: process.env.SPOOL, flushIntervalMs: 60000 });
       for (let i = 0; i < 300; i++) run.log({ loss: i });
       process.exit(3);`,
      { URL: stub.url, SPOOL: spool },
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(/process exiting with \d+ batches of run exits unsent; they are kept in .*stepstream-sync-js /);
    const r = await sync(spool, stub.url);
    expect(r.batchesLeft).toBe(0);
    const mine = [...stub.stored.values()].filter((x) => x.runId === 'exits');
    expect(mine.flatMap((x) => x.series).reduce((n, s) => n + s.steps.length, 0)).toBe(300);
    expect(mine.filter((x) => x.run).map((x) => x.run!.status).at(-1)).toBe(4); // crashed
  });
});
