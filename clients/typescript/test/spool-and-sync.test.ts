// The disk side: spill past the memory bound, finish() with the server gone,
// offline runs, and sync resuming with each batch stored exactly once.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { encodeIngestRequest, init, sync, type IngestBatch, type InitOptions, type Run } from '../src/index.js';
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
    expect(result.message).toMatch(/could not reach the server at http:\/\/127\.0\.0\.1:\d+ .*HTTP 503.*kept in .*stepstream-sync-js /);
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
    expect(warnings.at(-1)).toMatch(/offline run r: \d+ batches \(2000 points\) written to .*; upload with: npx stepstream-sync-js /);
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
    expect(existsSync(run.spoolDir)).toBe(false); // emptied, then removed
  });

  it('sync of an empty or missing directory does nothing', async () => {
    const s = await stubServer();
    expect(await sync(join(tempDir(), 'nothing-here'), s.url)).toEqual({ batchesSent: 0, pointsAccepted: 0, batchesRejected: 0, batchesLeft: 0, spoolsSkipped: 0 });
  });

  it('uploads a spool in the Python client\'s layout: gzipped files, split halves, url from spool.json, rejected/ left alone', async () => {
    const s = await stubServer();
    const dir = join(tempDir(), 'p', 'r', 'py-client-r0');
    mkdirSync(join(dir, 'rejected'), { recursive: true });
    writeFileSync(join(dir, 'spool.json'), JSON.stringify({ format: 1, url: s.url, project: 'p', run_id: 'r', rank: 0, client_id: 'py-client-r0' }));
    writeFileSync(join(dir, '.lock'), ''); // what the Python client leaves when it lets go
    const batch = (clientId: string, sequence: number, steps: number[]): IngestBatch => ({ project: 'p', runId: 'r', clientId, sequence, series: [{ metric: 'a', rank: 0, steps, values: steps }] });
    writeFileSync(join(dir, '00000000000000000005.pb.gz'), gzipSync(encodeIngestRequest(batch('py-client-r0', 5, [0, 1]))));
    writeFileSync(join(dir, '00000000000000000006~0.pb.gz'), gzipSync(encodeIngestRequest(batch('py-client-r0~0', 6, [2]))));
    writeFileSync(join(dir, '00000000000000000006~1.pb'), encodeIngestRequest(batch('py-client-r0~1', 6, [3])));
    writeFileSync(join(dir, 'rejected', '00000000000000000004.pb'), encodeIngestRequest(batch('py-client-r0', 4, [99])));
    const r = await sync(dirname(dirname(dir)));
    expect(r).toMatchObject({ batchesSent: 3, pointsAccepted: 4, batchesLeft: 0 });
    expect(s.received.map((x) => x.headers['content-encoding'] ?? 'identity')).toEqual(['gzip', 'gzip', 'identity']);
    expect([...s.points().keys()].sort()).toEqual(['a|0|0', 'a|0|1', 'a|0|2', 'a|0|3']);
    expect(readdirSync(join(dir, 'rejected'))).toEqual(['00000000000000000004.pb']);
  });

  it('a spool the disk refuses neither crashes the trainer nor drops points: they wait in memory', async () => {
    const notADir = join(tempDir(), 'file');
    writeFileSync(notADir, 'x');
    const warnings: string[] = [];
    const offline = start({ mode: 'offline', spoolDir: join(notADir, 'spool'), maxBatchPoints: 10, flushIntervalMs: 60_000 }, warnings);
    for (let i = 0; i < 100; i++) offline.log({ a: i, b: -i });
    const r = await offline.finish();
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/200 points could not be written: ENOTDIR/);
    expect(warnings[0]).toMatch(/cannot write to the spool .* keeping batches in memory/);

    let healthy = false;
    const s = await stubServer(() => (healthy ? 'store' : { status: 503 }));
    const online = start({ url: s.url, spoolDir: join(notADir, 'spool'), maxBatchPoints: 20, maxMemoryBytes: 1024, flushIntervalMs: 5 });
    for (let i = 0; i < 300; i++) { online.log({ a: i, b: -i }); if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2)); }
    healthy = true;
    expect((await online.finish('finished', { timeoutMs: 10_000 })).ok).toBe(true);
    expectExactlyOnce(s, 300);
  });
});
