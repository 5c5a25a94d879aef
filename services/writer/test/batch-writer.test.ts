// The writer's side of the store boundary: a stub store that refuses one
// block for good (as ClickHouse refuses a value breaking a CHECK constraint)
// and drops a repeated token whatever the block holds (as ClickHouse does).
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { DeadLetterPlace, Delivery, DeliveryLimits, IngestSource, SourceMessage } from '@stepstream/queue';
import { DeadLettersFullError } from '@stepstream/queue';
import { createRegistry } from '@stepstream/runtime';
import { StoreError, type Store, type WritePart, type WriteSet } from '@stepstream/storage';
import { BatchWriter, decodeDelivery, replayDeadLetter, storeDelivery, type DeadLetters } from '../src/index.js';
import { encodeRequest, type TestRequest } from '../../../test/support/requests.js';
import { waitFor } from '../../../test/support/wait.js';

const VIOLATED_CONSTRAINT = 469, TOO_MANY_PARTS = 252;

/** Rows per part, by token; refuses points of the metric `poison` while `refusing`. */
class StubStore {
  readonly parts = new Map<WritePart, Map<string, string[]>>((['runs', 'points', 'tiers', 'keys'] as const).map((p) => [p, new Map()]));
  refusing = true;
  transientFailures = 0;

  rows(part: WritePart): string[] { return [...this.parts.get(part)!.values()].flat(); }

  storedBatches(keys: readonly string[], exceptToken: string): Promise<Set<string>> {
    const stored = new Set<string>();
    for (const [token, rows] of this.parts.get('keys')!) if (token !== exceptToken) for (const k of rows) if (keys.includes(k)) stored.add(k);
    return Promise.resolve(stored);
  }

  write(set: WriteSet, landed: Set<WritePart> = new Set()): Promise<{ rows: number; ms: Record<string, number> }> {
    if (this.transientFailures > 0) { this.transientFailures--; return Promise.reject(new StoreError('too many parts', { engineCode: TOO_MANY_PARTS })); }
    const points = set.series.flatMap((s) => [...s.steps].map((step) => `${s.run}/${s.metric}/${step}`));
    const put = (part: WritePart, rows: string[]) => {
      if (landed.has(part)) return;
      const table = this.parts.get(part)!;
      if (!table.has(set.token)) table.set(set.token, rows); // else: a repeat, dropped whatever it holds
      landed.add(part);
    };
    put('runs', set.runs.map((r) => r.run));
    let refused: StoreError | null = null;
    if (this.refusing && points.some((p) => p.includes('/poison/'))) refused = new StoreError('CHECK constraint violated', { engineCode: VIOLATED_CONSTRAINT });
    else put('points', points);
    put('tiers', points); // written beside the points, stored even when they are refused
    if (refused) return Promise.reject(refused);
    put('keys', set.batches.filter((b) => b.clientId).map((b) => `${b.project}\u001f${b.run}\u001f${b.clientId}\u001f${b.sequence}`));
    return Promise.resolve({ rows: points.length, ms: {} });
  }
}

class ListSource implements IngestSource {
  readonly committed: string[] = [];
  constructor(private readonly deliveries: Delivery[]) {}
  start() { return Promise.resolve(); }
  async next(_l: DeliveryLimits, signal: AbortSignal): Promise<Delivery | null> {
    const d = this.deliveries.shift();
    if (d) return { ...d, commit: async () => { await d.commit(); this.committed.push(d.token); } };
    await new Promise((r) => { const t = setTimeout(r, 10); signal.addEventListener('abort', () => { clearTimeout(t); r(null); }, { once: true }); });
    return null;
  }
  depth() { return { messages: this.deliveries.length, points: 0, bytes: 0 }; }
  close() { return Promise.resolve(); }
}

class ListDeadLetters implements DeadLetters {
  readonly letters: { message: SourceMessage; reason: string; place: DeadLetterPlace }[] = [];
  fullFor = 0;
  send(message: SourceMessage, reason: string, place: DeadLetterPlace): Promise<void> {
    if (this.fullFor > 0) { this.fullFor--; return Promise.reject(new DeadLettersFullError(1024, 1024)); }
    if (!this.letters.some((l) => l.place.token === place.token)) this.letters.push({ message, reason, place });
    return Promise.resolve();
  }
}

const msg = (r: TestRequest): SourceMessage => ({ value: encodeRequest(r), receivedMs: 1000, origin: `test:${r.clientId}` });
const req = (clientId: string, metric = 'loss', steps = [1, 2, 3]): TestRequest => ({
  project: 'p', runId: 'r', clientId, sequence: 1, run: { name: clientId }, series: [{ metric, rank: 0, steps, values: steps.map(Number) }],
});
const delivery = (token: string, messages: SourceMessage[]): Delivery => ({ token, messages, commit: () => Promise.resolve() });
const expectedPoints = (clients: string[], metric = 'loss') => clients.flatMap(() => [1, 2, 3].map((s) => `r/${metric}/${s}`));

function startWriter(deliveries: Delivery[], store: StubStore, deadLetters: ListDeadLetters) {
  const source = new ListSource(deliveries);
  const registry = createRegistry();
  const writer = new BatchWriter({ source, store: store as unknown as Store, log: pino({ level: 'silent' }), registry, limits: { maxPoints: 1e6, maxBytes: 1e8, maxWaitMs: 0 }, deadLetters });
  void writer.start();
  return { source, writer, registry };
}

describe('the writer and a store that refuses a block for good', () => {
  it('stores the rest exactly once, dead-letters the refused message, goes on, and a replay stores it once', async () => {
    const store = new StubStore(), dl = new ListDeadLetters();
    const poison = msg(req('c', 'poison'));
    const { source, writer, registry } = startWriter([
      delivery('t1', [msg(req('a'))]),
      delivery('t2', [msg(req('b')), poison, msg(req('d')), msg(req('e'))]),
      delivery('t3', [msg(req('f'))]),
    ], store, dl);
    try {
      // Before: the writer retried t2 forever and t3 was never stored.
      await waitFor('every delivery committed', async () => (source.committed.length === 3 ? true : undefined), 5_000);
    } finally {
      await writer.abortNow();
    }
    expect(source.committed).toEqual(['t1', 't2', 't3']);
    expect(store.rows('points').sort()).toEqual(expectedPoints(['a', 'b', 'd', 'e', 'f']).sort());
    // The tiers took the refused message with the rest of t2: the halves skipped them, so none is there twice.
    expect(store.rows('tiers').sort()).toEqual([...expectedPoints(['a', 'b', 'd', 'e', 'f']), ...expectedPoints(['c'], 'poison')].sort());
    expect(dl.letters).toHaveLength(1);
    expect(dl.letters[0]!.message).toBe(poison);
    expect(dl.letters[0]!.reason).toMatch(/refused by the store: CHECK constraint/);
    expect(dl.letters[0]!.place).toEqual({ token: 't2/0/1', landed: ['runs', 'tiers'] });
    expect(writer.notReadyReason()).toBeNull();
    expect(await registry.getSingleMetricAsString('stepstream_store_refusals_total')).toMatch(/ 2$/m);

    // The cause fixed, the letter is stored once: replaying it twice changes nothing more.
    store.refusing = false;
    const letter = { ...dl.letters[0]!.message, ...dl.letters[0]!.place };
    expect((await replayDeadLetter(store as unknown as Store, letter)).rows).toBe(3);
    await replayDeadLetter(store as unknown as Store, letter);
    expect(store.rows('points').sort()).toEqual([...expectedPoints(['a', 'b', 'd', 'e', 'f']), ...expectedPoints(['c'], 'poison')].sort());
    expect(store.rows('tiers').filter((p) => p.includes('poison'))).toHaveLength(3);
  });

  it('splits the same way when the delivery is handed out again after a crash: nothing is stored twice', async () => {
    const store = new StubStore();
    const d = delivery('t', [msg(req('a')), msg(req('b')), msg(req('c', 'poison'))]);
    const retrying = <T>(call: () => Promise<T>) => call();
    const first = await storeDelivery(decodeDelivery(d), store as unknown as Store, retrying);
    const again = await storeDelivery(decodeDelivery(d), store as unknown as Store, retrying);
    expect(again.refused.map((r) => r.place)).toEqual(first.refused.map((r) => r.place));
    expect(store.rows('points').sort()).toEqual(expectedPoints(['a', 'b']).sort());
    expect(store.rows('tiers')).toHaveLength(9);
  });

  it('retries a transient failure with the same write set, and dead-letters nothing', async () => {
    const store = new StubStore(), dl = new ListDeadLetters();
    store.transientFailures = 2;
    const { source, writer, registry } = startWriter([delivery('t1', [msg(req('a'))])], store, dl);
    try {
      await waitFor('the delivery committed', async () => (source.committed.length === 1 ? true : undefined), 5_000);
    } finally {
      await writer.abortNow();
    }
    expect(store.rows('points')).toEqual(expectedPoints(['a']));
    expect(dl.letters).toEqual([]);
    expect(await registry.getSingleMetricAsString('stepstream_store_errors_total')).toMatch(/ 2$/m);
  });

  it('stops, without committing, while the dead letters are full', async () => {
    const store = new StubStore(), dl = new ListDeadLetters();
    dl.fullFor = 2;
    const { source, writer } = startWriter([delivery('t1', [msg(req('a')), msg(req('c', 'poison'))])], store, dl);
    try {
      await waitFor('the writer reports the dead letters full', async () => (writer.notReadyReason()?.includes('dead letters hold') ? true : undefined), 5_000);
      expect(source.committed).toEqual([]);
      await waitFor('the delivery committed once there is room', async () => (source.committed.length === 1 ? true : undefined), 5_000);
    } finally {
      await writer.abortNow();
    }
    expect(dl.letters).toHaveLength(1);
    expect(writer.notReadyReason()).toBeNull();
  });
});
