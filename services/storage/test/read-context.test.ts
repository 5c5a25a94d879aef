// The engine's line and the request a read is for (read-context.ts), with the
// engine stubbed as in engine-scheduler.test.ts: a read in the background
// waits behind the project's other reads; a read whose request has gone is
// dropped from the line and never run; a read already running is not touched.
import { describe, expect, it } from 'vitest';
import type { Settings } from '../src/adapter.js';
import { EngineScheduler, ReadRefusedError, type SchedulerOptions } from '../src/engine-scheduler.js';
import { withReadContext } from '../src/read-context.js';

const ONE: SchedulerOptions = { projectReads: 8, queuedReads: 64, readTimeoutMs: 250, serverReads: 4, slots: 1, projectRunning: 1 };
const flush = () => new Promise((r) => setImmediate(r));

function stubEngine() {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  const statement = (name: string) => (_settings?: Settings) => new Promise<string>((resolve) => { started.push(name); pending.set(name, () => resolve(name)); });
  const finish = async (name: string) => { pending.get(name)!(); pending.delete(name); await flush(); };
  return { started, statement, finish };
}

describe('reads and the requests they are for', () => {
  it('a read in the background waits behind the project\'s other reads, even those that came later', async () => {
    const line = new EngineScheduler(ONE);
    const e = stubEngine();
    void line.read('a', e.statement('a1'));
    void withReadContext({ background: true }, () => line.read('a', e.statement('bg1')));
    void withReadContext({ background: true }, () => line.read('a', e.statement('bg2')));
    void line.read('a', e.statement('a2'));
    void withReadContext({}, () => line.read('a', e.statement('a3')));
    await flush();
    for (const s of ['a1', 'a2', 'a3', 'bg1']) await e.finish(s);
    expect(e.started).toEqual(['a1', 'a2', 'a3', 'bg1', 'bg2']);
  });

  it('drops a waiting read once its request has gone, refuses one whose request is gone already, and lets a running one finish', async () => {
    const line = new EngineScheduler(ONE);
    const e = stubEngine();
    const gone = new AbortController();
    const running = withReadContext({ signal: gone.signal }, () => line.read('a', e.statement('mine1')));
    const waiting = withReadContext({ signal: gone.signal }, () => line.read('a', e.statement('mine2')));
    const other = line.read('a', e.statement('other'));
    await flush();
    expect(line.depth).toEqual({ running: 1, queued: 2 });
    gone.abort();
    await expect(waiting).rejects.toMatchObject({ limit: 'abandoned' });
    expect(line.depth).toEqual({ running: 1, queued: 1 });
    await e.finish('mine1');
    expect(await running).toBe('mine1');
    await e.finish('other');
    expect(await other).toBe('other');
    expect(e.started).toEqual(['mine1', 'other']);
    const late = withReadContext({ signal: gone.signal }, () => line.read('a', e.statement('late')));
    await expect(late).rejects.toBeInstanceOf(ReadRefusedError);
    expect(e.started).toEqual(['mine1', 'other']);
    expect(line.depth).toEqual({ running: 0, queued: 0 });
  });
});
