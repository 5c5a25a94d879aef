// Run.log() and what reaches the wire: steps, validation, batching, run info.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BadValueError, init, type InitOptions, type Run } from '../src/index.js';
import { startStub, type StubServer } from './stub-server.js';

let stub: StubServer;
const spoolRoot = mkdtempSync(join(tmpdir(), 'ss-run-'));
const runs: Run[] = [];
const warnings: string[] = [];

beforeAll(async () => { stub = await startStub(); });
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.finish('finished', { timeoutMs: 2000 })));
  stub.received.length = 0;
  stub.stored.clear();
  warnings.length = 0;
});
afterAll(async () => {
  await stub.close();
  rmSync(spoolRoot, { recursive: true, force: true });
});

function start(o: Partial<InitOptions> = {}): Run {
  const run = init({ project: 'p', runId: 'r', url: stub.url, spoolDir: spoolRoot, exitHooks: false, warn: (m) => warnings.push(m), env: {}, ...o });
  runs.push(run);
  return run;
}

describe('Run.log', () => {
  it('auto-increments the step like W&B, and an explicit step moves it', async () => {
    const run = start({ rank: 0 });
    run.log({ loss: 1 });
    run.log({ loss: 2, acc: 0.5 });
    run.log({ loss: 3 }, 10);
    run.log({ loss: 4 });
    expect(run.step).toBe(12);
    await run.flush();
    const pts = stub.points();
    expect([...pts.keys()].sort()).toEqual(['acc|0|1', 'loss|0|0', 'loss|0|1', 'loss|0|10', 'loss|0|11']);
    expect(pts.get('loss|0|10')).toEqual([3]);
  });

  it('keeps NaN and infinities, takes bigints, and stamps each point with a time', async () => {
    const run = start();
    const before = Date.now();
    run.log({ 'grad/norm': NaN, up: Infinity, down: -Infinity, big: 12n });
    await run.flush();
    const series = [...stub.stored.values()].flatMap((r) => r.series);
    const byName = new Map(series.map((s) => [s.metric, s]));
    expect(byName.get('grad/norm')!.values[0]).toBeNaN();
    expect(byName.get('up')!.values[0]).toBe(Infinity);
    expect(byName.get('down')!.values[0]).toBe(-Infinity);
    expect(byName.get('big')!.values[0]).toBe(12);
    expect(byName.get('up')!.rank).toBe(-1); // no rank given: the run as a whole
    expect(byName.get('up')!.timeMs[0]).toBeGreaterThanOrEqual(before);
  });

  it('rejects a non-numeric value naming the metric, and stores nothing from that call', async () => {
    const run = start();
    const bad = { ok: 1, 'eval/acc': '0.9' } as unknown as Record<string, number>;
    expect(() => run.log(bad)).toThrow(BadValueError);
    expect(() => run.log(bad)).toThrow(/metric "eval\/acc" has a non-numeric value: a string \("0.9"\)/);
    expect(() => run.log({ t: { item: () => 1 } } as unknown as Record<string, number>)).toThrow(/metric "t" has a non-numeric value: a Object/);
    expect(() => run.log({ n: null } as unknown as Record<string, number>)).toThrow(/metric "n".*null/);
    expect(() => run.log({ 'bad name!': 1 })).toThrow(/metric name "bad name!" is not allowed/);
    expect(() => run.log({ x: 1 }, -1)).toThrow(/step must be an integer/);
    expect(() => run.log({ x: 1 }, 1.5)).toThrow(BadValueError);
    expect(run.step).toBe(0);
    await run.flush();
    expect(stub.points().size).toBe(0);
  });

  it('refuses log() after finish()', async () => {
    const run = start();
    await run.finish();
    expect(() => run.log({ a: 1 })).toThrow(/after finish/);
    expect(await run.finish()).toMatchObject({ ok: true }); // twice is fine
  });

  it('sends run info from rank 0 only: running at init, finished with the last batch', async () => {
    const r0 = start({ rank: 0, name: 'baseline', config: { lr: 3e-4 }, tags: ['a'] });
    const r1 = start({ rank: 1 });
    r0.log({ loss: 1 });
    r1.log({ loss: 1 });
    await Promise.all([r0.finish(), r1.finish()]);
    const infos = [...stub.stored.values()].filter((r) => r.run !== null);
    expect(infos.every((r) => r.clientId === r0.clientId)).toBe(true);
    expect(infos.map((r) => r.run!.status)).toEqual([1, 2]);
    expect(infos[1]!.run).toMatchObject({ name: 'baseline', configJson: '{"lr":0.0003}', tags: ['a'] });
    expect(infos[1]!.run!.finishedMs).toBeGreaterThan(0);
    expect(infos[1]!.run!.meta).toHaveProperty('host');
    expect([...stub.points().keys()].sort()).toEqual(['loss|0|0', 'loss|1|0']);
  });

  it('numbers batches 1, 2, 3... under one client id per run object', async () => {
    const a = start({ flushIntervalMs: 60_000 });
    const b = start({ flushIntervalMs: 60_000 });
    expect(a.clientId).not.toBe(b.clientId);
    for (let i = 0; i < 3; i++) { a.log({ x: i }); await a.flush(); }
    const seqs = stub.received.filter((r) => r.request.clientId === a.clientId).map((r) => Number(r.request.sequence));
    expect(seqs).toEqual([1, 2, 3, 4]); // 1 is the run info sent at init
  });

  it('flushes by size before the timer, and cuts inside log() when the loop never yields', async () => {
    const run = start({ flushIntervalMs: 60_000, maxBatchPoints: 100 });
    for (let i = 0; i < 1000; i++) run.log({ a: i, b: i });
    // 2000 points, never yielding: cut at 400 buffered points (4x the batch size).
    await run.flush();
    const sizes = stub.received.map((r) => r.points).filter((n) => n > 0);
    expect(sizes.slice(0, 4)).toEqual([400, 400, 400, 400]);
    expect(stub.points().size).toBe(2000);
    const yielding = start({ flushIntervalMs: 60_000, maxBatchPoints: 100 });
    stub.received.length = 0;
    for (let i = 0; i < 300; i++) { yielding.log({ a: i }); if (i % 10 === 9) await new Promise((r) => setImmediate(r)); }
    await yielding.flush();
    expect(Math.max(...stub.received.map((r) => r.points))).toBeLessThanOrEqual(110);
  });

  it('flushes on the timer', async () => {
    const run = start({ flushIntervalMs: 50 });
    run.log({ a: 1 });
    const t0 = Date.now();
    while (stub.points().size === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    expect(stub.points().size).toBe(1);
  });
});
