// The disk side: spill past the memory bound, finish() with the server gone,
// offline runs, and sync resuming with each batch stored exactly once.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { init, sync, type InitOptions, type Run } from '../src/index.js';
import { listSpool } from '../src/spool.js';
import { startStub, type StubServer } from './stub-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ss-spool-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function stubServer(reply?: StubServer['reply']): Promise<StubServer> {
  const s = await startStub(reply);
  cleanups.push(() => s.close());
  return s;
}

function start(o: Partial<InitOptions> & { url?: string; spoolDir: string }, warnings: string[] = []): Run {
  const run = init({ project: 'p', runId: 'r', exitHooks: false, warn: (m) => warnings.push(m), env: {}, retry: { minBackoffMs: 5, maxBackoffMs: 50 }, ...o });
  cleanups.push(() => run.finish('finished', { timeoutMs: 100 }));
  return run;
}

function pendingFiles(root: string): string[] {
  return listSpool(root).flatMap((g) => g.files);
}

/** Every (metric, step) of 0..steps-1 for metrics a and b, exactly once each. */
function expectExactlyOnce(s: StubServer, steps: number, rank = -1): void {
  const pts = s.points();
  expect(pts.size).toBe(2 * steps);
  for (let i = 0; i < steps; i++) {
    expect(pts.get(`a|${rank}|${i}`)).toEqual([i]);
    expect(pts.get(`b|${rank}|${i}`)).toEqual([-i]);
  }
}

describe('spool', () => {
  it('spills past the memory bound while the server is away, and finish() leaves a spool that sync uploads once', async () => {
    const down = await stubServer(() => ({ status: 503, headers: { 'retry-after': '0' } }));
    const spool = tempDir();
    const warnings: string[] = [];
    const run = start({ url: down.url, spoolDir: spool, maxBatchPoints: 50, maxMemoryBytes: 4096, flushIntervalMs: 10 }, warnings);
    for (let i = 0; i < 2000; i++) { run.log({ a: i, b: -i }); if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5)); }
    expect(pendingFiles(spool).length).toBeGreaterThan(5); // spilled while running, memory stayed bounded
    const result = await run.finish('finished', { timeoutMs: 300 });
    expect(result.ok).toBe(false);
    expect(result.pointsSent).toBe(0);
    expect(result.pendingPoints).toBe(4000);
    expect(result.message).toMatch(/could not reach the server at http:\/\/127\.0\.0\.1:\d+ .*HTTP 503.*kept in .*stepstream-sync/);
    expect(warnings.at(-1)).toBe(result.message);
    expect(pendingFiles(spool)).toHaveLength(result.pendingBatches);

    const up = await stubServer();
    const synced = await sync(spool, up.url);
    expect(synced).toMatchObject({ batchesSent: result.pendingBatches, pointsAccepted: 4000, batchesRejected: 0, batchesLeft: 0 });
    expectExactlyOnce(up, 2000);
    const statuses = [...up.stored.values()].filter((r) => r.run).map((r) => r.run!.status);
    expect(statuses).toEqual([1, 2]); // running, then finished: in order
    expect(pendingFiles(spool)).toHaveLength(0);
  });

  it('sends batches that spilled to disk once the server is back, in order, and deletes their files', async () => {
    let healthy = false;
    const s = await stubServer(() => (healthy ? 'store' : 'destroy'));
    const spool = tempDir();
    const run = start({ url: s.url, spoolDir: spool, maxBatchPoints: 20, maxMemoryBytes: 2048, flushIntervalMs: 5 });
    for (let i = 0; i < 500; i++) { run.log({ a: i, b: -i }); if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2)); }
    expect(pendingFiles(spool).length).toBeGreaterThan(0);
    healthy = true;
    expect((await run.finish('finished', { timeoutMs: 10_000 })).ok).toBe(true);
    expectExactlyOnce(s, 500);
    const seqs = s.received.filter((r) => r.points > 0 || r.request.run).map((r) => Number(r.request.sequence));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(pendingFiles(spool)).toHaveLength(0);
  });

  it('sets a refused batch aside as .rejected.pb with the reason, and goes on', async () => {
    const s = await stubServer((r) => (r.sequence === '2' ? { status: 400, body: { statusCode: 400, code: 'SS_ERR_VALIDATION', message: 'nope' } } : 'store'));
    const spool = tempDir();
    const warnings: string[] = [];
    const run = start({ url: s.url, spoolDir: spool, flushIntervalMs: 60_000 }, warnings);
    run.log({ a: 1 });
    await run.flush();
    run.log({ a: 2 });
    const result = await run.finish();
    expect(result.ok).toBe(true);
    expect(warnings.join('\n')).toMatch(/batch 2 \(1 points\) was refused: .*SS_ERR_VALIDATION: nope; kept in .*rejected\/00000000000000000002\.pb/);
    expect(readdirSync(join(run.spoolDir, 'rejected')).sort()).toEqual(['00000000000000000002.pb', '00000000000000000002.pb.error.json']);
    expect(pendingFiles(spool)).toEqual([]);
    expect([...s.points().keys()]).toEqual(['a|-1|1']);
  });
});

describe('offline and sync', () => {
  it('offline writes the spool only; sync resumes after a stop and stores each batch once', async () => {
    const spool = tempDir();
    const warnings: string[] = [];
    const run = start({ mode: 'offline', spoolDir: spool, maxBatchPoints: 100, flushIntervalMs: 60_000 }, warnings);
    for (let i = 0; i < 1000; i++) run.log({ a: i, b: -i }, i);
    const result = await run.finish();
    expect(result).toMatchObject({ ok: true, pendingPoints: 2000, pointsSent: 0 });
    expect(warnings.at(-1)).toMatch(/offline run r: \d+ batches \(2000 points\) written to .*; upload with: npx stepstream-sync/);
    const files = pendingFiles(spool);
    expect(files.length).toBeGreaterThanOrEqual(5);

    // The server stores batch 3 but the answer is lost, then goes away.
    let n = 0;
    const s = await stubServer(() => { n++; return n < 3 ? 'store' : n === 3 ? 'store-then-destroy' : 'destroy'; });
    const first = await sync(spool, s.url, { retry: { maxAttempts: 2, minBackoffMs: 5, maxBackoffMs: 5 } }).catch((e: unknown) => e);
    expect((first as Error).message).toMatch(/sync stopped at .*00000000000000000003\.pb \(\d+ batches left\).*run it again to resume/);
    expect(pendingFiles(spool)).toHaveLength(files.length - 2);

    s.reply = () => 'store';
    const second = await sync(spool, s.url);
    expect(second.batchesSent).toBe(files.length - 2);
    expectExactlyOnce(s, 1000);
    expect(s.stored.size).toBe(files.length);
    expect(pendingFiles(spool)).toHaveLength(0);
    expect(existsSync(run.spoolDir)).toBe(true);
  });

  it('sync of an empty or missing directory does nothing', async () => {
    const s = await stubServer();
    expect(await sync(join(tempDir(), 'nothing-here'), s.url)).toEqual({ batchesSent: 0, pointsAccepted: 0, batchesRejected: 0, batchesLeft: 0 });
  });
});
