// The engine's line, with the engine stubbed: each statement is a promise the
// test settles, so order is observed, never timed.
import { describe, expect, it } from 'vitest';
import { StoreError, type Settings } from '../src/adapter.js';
import { EngineScheduler } from '../src/engine-scheduler.js';
import { ReadRefusedError, schedulerOptions, type ReadLimits, type SchedulerOptions } from '../src/read-limits.js';

const LIMITS: ReadLimits = { projectReads: 8, queuedReads: 64, readTimeoutMs: 250, serverReads: 4 };

/** A stub engine: every statement it is handed waits until the test finishes it. */
function stubEngine() {
  const started: string[] = [];
  const pending = new Map<string, { resolve: (v: string) => void; reject: (e: unknown) => void; settings?: Settings }>();
  const statement = (name: string) => (settings?: Settings) => new Promise<string>((resolve, reject) => {
    started.push(name);
    pending.set(name, { resolve, reject, ...(settings ? { settings } : {}) });
  });
  const finish = async (name: string) => {
    const p = pending.get(name);
    if (!p) throw new Error(`${name} is not running (started: ${started.join(', ')})`);
    pending.delete(name);
    p.resolve(name);
    await flush();
  };
  return { started, pending, statement, finish };
}

const flush = () => new Promise((r) => setImmediate(r));

/** One slot: the order of the line is the whole story. */
const ONE: SchedulerOptions = { ...LIMITS, slots: 1, projectRunning: 1 };

describe('EngineScheduler', () => {
  it('embedded: two reads at once, never both of one project, so another project starts at once', async () => {
    const line = new EngineScheduler(schedulerOptions('embedded', LIMITS));
    const e = stubEngine();
    for (let i = 1; i <= 3; i++) void line.read('a', e.statement(`a${i}`));
    await flush();
    expect(e.started).toEqual(['a1']);
    void line.read('b', e.statement('b1'));
    await flush();
    expect(e.started).toEqual(['a1', 'b1']);
    expect(line.depth).toEqual({ running: 2, queued: 2 });
    await e.finish('b1');
    expect(e.started).toEqual(['a1', 'b1']); // a2 waits for a1, not for a slot
    await e.finish('a1');
    expect(e.started).toEqual(['a1', 'b1', 'a2']);
  });

  it("a request's statements side by side: the second takes the slot no other project wants, never one another project's waiting read wants", async () => {
    const line = new EngineScheduler(schedulerOptions('embedded', LIMITS));
    const e = stubEngine();
    void line.readSideBySide('a', [e.statement('a1'), e.statement('a2')]);
    await flush();
    expect(e.started).toEqual(['a1', 'a2']); // both slots: nobody else waits
    void line.read('b', e.statement('b1'));
    void line.readSideBySide('a', [e.statement('a3')]); // one statement: a plain read
    void line.readSideBySide('a', [e.statement('a4'), e.statement('a5')]);
    await flush();
    expect(e.started).toEqual(['a1', 'a2']);
    await e.finish('a1');
    expect(e.started).toEqual(['a1', 'a2', 'b1']); // b first
    await e.finish('a2');
    // a3 is a's turn; a4 heads a's line and is not spare: it waits for a3, and a5 behind it.
    expect(e.started).toEqual(['a1', 'a2', 'b1', 'a3']);
    await e.finish('b1');
    expect(e.started).toEqual(['a1', 'a2', 'b1', 'a3']);
    await e.finish('a3');
    expect(e.started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'a5']);
  });

  it('a read ahead takes a slot beside the one kept for requests, one at a time, and never holds its project\'s share', async () => {
    const line = new EngineScheduler(schedulerOptions('embedded', LIMITS));
    const e = stubEngine();
    void line.readAhead(() => line.read('a', e.statement('ahead1')));
    void line.read('a', e.statement('a1'));
    await flush();
    expect(e.started).toEqual(['ahead1', 'a1']); // a's own read beside it: the read ahead is not a's share
    void line.readAhead(() => line.read('a', e.statement('ahead2')));
    await flush();
    expect(e.started).toEqual(['ahead1', 'a1']); // one read ahead at a time
    await e.finish('ahead1');
    expect(e.started).toEqual(['ahead1', 'a1']); // the one free slot is kept for requests
    void line.read('b', e.statement('b1'));
    await flush();
    expect(e.started).toEqual(['ahead1', 'a1', 'b1']);
    await e.finish('a1');
    await e.finish('b1');
    expect(e.started).toEqual(['ahead1', 'a1', 'b1', 'ahead2']);
    void line.read('a', e.statement('a2'));
    await flush();
    expect(e.started).toEqual(['ahead1', 'a1', 'b1', 'ahead2', 'a2']);
  });

  it('with one slot, a read ahead runs only while no read runs or waits', async () => {
    const line = new EngineScheduler(ONE);
    const e = stubEngine();
    void line.read('a', e.statement('a1'));
    void line.readAhead(() => line.read('a', e.statement('ahead1')));
    void line.read('a', e.statement('a2'));
    await flush();
    await e.finish('a1');
    expect(e.started).toEqual(['a1', 'a2']); // asked for after the read ahead, run before it
    await e.finish('a2');
    expect(e.started).toEqual(['a1', 'a2', 'ahead1']);
  });

  it("takes projects in turn, least recently served first: one project's waiting reads never queue ahead of another's", async () => {
    const line = new EngineScheduler(ONE);
    const e = stubEngine();
    for (let i = 1; i <= 6; i++) void line.read('a', e.statement(`a${i}`));
    void line.read('b', e.statement('b1'));
    void line.read('b', e.statement('b2'));
    void line.read('c', e.statement('c1'));
    await flush();
    // b and c arrived while a1 ran: both go before a's next read.
    for (const name of ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4', 'a5']) await e.finish(name);
    expect(e.started).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4', 'a5', 'a6']);
  });

  it('refuses the 9th read of one project running or waiting (429), and takes reads again once one is done', async () => {
    const line = new EngineScheduler(ONE);
    const e = stubEngine();
    for (let i = 1; i <= 8; i++) void line.read('a', e.statement(`a${i}`));
    const ninth = line.read('a', e.statement('a9'));
    await expect(ninth).rejects.toMatchObject({ name: 'ReadRefusedError', limit: 'project-reads', value: 8, project: 'a' });
    // Another project is not refused for it.
    const b = line.read('b', e.statement('b1'));
    await flush();
    await e.finish('a1');
    void line.read('a', e.statement('a10'));
    await e.finish('b1');
    await expect(b).resolves.toBe('b1');
    expect(e.started).toEqual(['a1', 'b1', 'a2']);
    expect(line.depth.queued).toBe(7); // a3..a8, a10
  });

  it('bounds the reads waiting over every project (503), counting only those that wait', async () => {
    const line = new EngineScheduler({ ...ONE, queuedReads: 2 });
    const e = stubEngine();
    void line.read('a', e.statement('a1')); // runs
    void line.read('b', e.statement('b1')); // waits
    void line.read('c', e.statement('c1')); // waits
    await expect(line.read('d', e.statement('d1'))).rejects.toMatchObject({ limit: 'queued-reads', value: 2 });
    await e.finish('a1');
    void line.read('d', e.statement('d2')); // b1 runs: one place free
    expect(line.depth).toEqual({ running: 1, queued: 2 });
    await expect(line.read('d', e.statement('d3'))).rejects.toMatchObject({ limit: 'queued-reads' });
  });

  it('gives every read the time limit, and a statement the engine stopped for it is a read-time refusal', async () => {
    const line = new EngineScheduler(ONE);
    const e = stubEngine();
    const r = line.read('a', e.statement('slow'));
    await flush();
    const p = e.pending.get('slow')!;
    expect(p.settings).toEqual({ max_execution_time: 0.25 });
    p.reject(new StoreError('embedded ClickHouse: Code: 159. DB::Exception: Timeout exceeded', { engineCode: 159 }));
    const err = await r.catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ReadRefusedError);
    expect(err).toMatchObject({ limit: 'read-time', value: 250, project: 'a' });
    // Other failures pass through as they are, and free the slot and the project's count.
    const other = line.read('a', () => Promise.reject(new StoreError('embedded ClickHouse: Code: 60. Unknown table', { engineCode: 60 })));
    await expect(other).rejects.toMatchObject({ name: 'StoreError', engineCode: 60 });
    await flush();
    expect(line.depth).toEqual({ running: 0, queued: 0 });
  });

  it('close() refuses what waits, lets what runs finish, and is safe twice', async () => {
    const line = new EngineScheduler(ONE);
    const e = stubEngine();
    const running = line.read('a', e.statement('a1'));
    const waiting = line.read('b', e.statement('b1'));
    line.close();
    line.close();
    await expect(waiting).rejects.toThrow('store is closed');
    await expect(line.read('c', e.statement('c1'))).rejects.toThrow('store is closed');
    await e.finish('a1');
    await expect(running).resolves.toBe('a1');
  });

  it('gives an embedded read its share of the cores (max_threads), at least one; a server read the engine\'s own', async () => {
    expect(schedulerOptions('embedded', LIMITS, 2)).toMatchObject({ slots: 2, readThreads: 1 });
    expect(schedulerOptions('embedded', LIMITS, 1)).toMatchObject({ readThreads: 1 });
    expect(schedulerOptions('embedded', LIMITS, 8)).toMatchObject({ readThreads: 4 });
    expect(schedulerOptions('http', LIMITS, 8).readThreads).toBeUndefined();
    const line = new EngineScheduler(schedulerOptions('embedded', LIMITS, 2));
    const e = stubEngine();
    void line.read('a', e.statement('a1'));
    await flush();
    expect(e.pending.get('a1')!.settings).toMatchObject({ max_threads: 1 });
    await e.finish('a1');
  });

  it('a server: serverReads reads at once, one fewer for any one project, still in turns', async () => {
    expect(schedulerOptions('http', LIMITS)).toMatchObject({ slots: 4, projectRunning: 3 });
    const line = new EngineScheduler(schedulerOptions('http', LIMITS));
    const e = stubEngine();
    for (let i = 1; i <= 4; i++) void line.read('a', e.statement(`a${i}`));
    for (let i = 1; i <= 2; i++) void line.read('b', e.statement(`b${i}`));
    void line.read('c', e.statement('c1'));
    await flush();
    expect(e.started).toEqual(['a1', 'a2', 'a3', 'b1']);
    await e.finish('a1');
    expect(e.started.slice(-1)).toEqual(['c1']); // c never served; a at its three
    await e.finish('a2');
    expect(e.started.slice(-1)).toEqual(['a4']); // a's last turn (a3) was before b's (b1)
    await e.finish('b1');
    expect(e.started.slice(-1)).toEqual(['b2']);
  });
});
