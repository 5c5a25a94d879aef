// The lineage facts are kept only while no write of this process has been
// done since they were read, and never where other processes write (a
// server); the engine stands in as a stub: the test is about the keeping.
import { describe, expect, it } from 'vitest';
import type { StoreAdapter } from '../src/adapter.js';
import type { EngineScheduler } from '../src/engine-scheduler.js';
import { LineageFacts } from '../src/lineage-facts.js';

function stub(epoch: () => number | undefined) {
  let reads = 0, points = 10;
  const adapter = {
    writeEpoch: epoch,
    query: async () => { reads++; return [{ run: 'r', attempt: 0, fs: 0, ls: 9, pts: points, rs: null, fork: '', fork_step: 0, fork_version: 0, declared: 0 }]; },
  } as unknown as StoreAdapter;
  const line = { read: (_p: string, f: (limit: object) => Promise<unknown>) => f({}) } as unknown as EngineScheduler;
  return { facts: new LineageFacts(adapter, 'db', line), reads: () => reads, setPoints: (n: number) => { points = n; } };
}

describe('LineageFacts', () => {
  it('reads again once a write was done, and only then', async () => {
    let epoch = 0;
    const s = stub(() => epoch);
    expect((await s.facts.read('p', ['r'])).get('r')?.attempts[0]?.points).toBe(10);
    await s.facts.read('p', ['r']);
    expect(s.reads()).toBe(1);
    s.setPoints(12);
    expect((await s.facts.read('p', ['r'])).get('r')?.attempts[0]?.points).toBe(10);
    epoch++;
    expect((await s.facts.read('p', ['r'])).get('r')?.attempts[0]?.points).toBe(12);
    expect(s.reads()).toBe(2);
  });

  it('a write done while the facts are read makes them stale', async () => {
    let epoch = 0;
    const s = stub(() => epoch);
    const reading = s.facts.read('p', ['r']);
    epoch++;
    await reading;
    await s.facts.read('p', ['r']);
    expect(s.reads()).toBe(2);
  });

  it('two reads of the same facts at once read them once; after a write, a read under way is not shared', async () => {
    let epoch = 0;
    const s = stub(() => epoch);
    const [a, b] = await Promise.all([s.facts.read('p', ['r']), s.facts.read('p', ['r'])]);
    expect(a).toEqual(b);
    expect(s.reads()).toBe(1);
    epoch++;
    const before = s.facts.read('p', ['r']);
    epoch++;
    await Promise.all([before, s.facts.read('p', ['r'])]);
    expect(s.reads()).toBe(3);
  });

  it('keeps nothing where other processes write, nor a whole project\'s facts', async () => {
    const server = stub(() => undefined);
    await server.facts.read('p', ['r']);
    await server.facts.read('p', ['r']);
    expect(server.reads()).toBe(2);
    const embedded = stub(() => 0);
    await embedded.facts.read('p', null);
    await embedded.facts.read('p', null);
    expect(embedded.reads()).toBe(2);
  });
});
