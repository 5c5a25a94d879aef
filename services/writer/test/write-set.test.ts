import { describe, expect, it } from 'vitest';
import type { Delivery, SourceMessage } from '@stepstream/queue';
import { batchKey } from '@stepstream/storage';
import { assembleWriteSet, decodeDelivery, type StoredBatches } from '../src/index.js';
import { encodeRequest, type TestRequest } from '../../../test/support/requests.js';

const message = (r: TestRequest, receivedMs = 1000): SourceMessage => ({ value: encodeRequest(r), receivedMs, origin: 'test' });
const delivery = (messages: SourceMessage[], token = 'tok'): Delivery => ({ messages, token, commit: async () => {} });
const buildWriteSet = (d: Delivery, stored: StoredBatches) => assembleWriteSet(decodeDelivery(d), stored);
const req = (clientId: string, sequence: number, steps = [1, 2]): TestRequest => ({ project: 'p', runId: 'r', clientId, sequence, series: [{ metric: 'm', rank: 0, steps, values: steps.map(Number) }] });

describe('buildWriteSet', () => {
  it('skips client retries already stored by another write set, and repeats within the delivery', async () => {
    const asked: { keys: readonly string[]; token: string }[] = [];
    const stored = async (keys: readonly string[], token: string) => { asked.push({ keys, token }); return new Set([batchKey('p', 'r', 0, 'a', '1')]); };
    const built = await buildWriteSet(delivery([message(req('a', 1)), message(req('a', 2)), message(req('a', 2)), message(req('', 0)), message(req('', 0))]), stored);
    expect(asked).toEqual([{ keys: [batchKey('p', 'r', 0, 'a', '1'), batchKey('p', 'r', 0, 'a', '2'), batchKey('p', 'r', 0, 'a', '2')], token: 'tok' }]);
    expect(built.duplicates).toBe(2);
    // 'a'/2 once, and both un-keyed requests (no client id: never deduplicated)
    expect(built.set.series).toHaveLength(3);
    expect(built.set.batches.map((b) => `${b.clientId}/${b.sequence}`)).toEqual(['a/2', '/0', '/0']);
  });

  it('dead-letters what it cannot decode or what breaks the protocol rules, and keeps the rest', async () => {
    const bad = { value: new Uint8Array([0x0a, 0x09]), receivedMs: 1, origin: 'topic/0@7' };
    const invalid = message({ project: 'p', runId: 'r', series: [{ metric: 'bad name', steps: [1], values: [1] }] });
    const built = await buildWriteSet(delivery([bad, invalid, message(req('b', 1))]), async () => new Set());
    expect(built.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/^undecodable/), expect.stringMatching(/^invalid: .*metric/)]);
    expect(built.set.series).toHaveLength(1);
  });

  it('stamps points sent without times with the time of receipt, and orders run metadata by receipt', async () => {
    const withRun = { ...req('c', 1), run: { name: 'n', status: 1 } };
    const built = await buildWriteSet(delivery([message(withRun, 5000), message({ ...withRun, clientId: 'c', sequence: 2, run: { status: 2 } }, 5000)]), async () => new Set());
    expect(built.set.series[0]!.receivedMs).toBe(5000);
    const [a, b] = built.set.runs;
    expect(b!.version).toBeGreaterThan(a!.version);
  });
});
