// How raw reads name their series (series-keys.ts) and how tier reads name
// their ids (series-ids.ts), run by the engine over rows of many keys: a
// test picks exactly the keys listed (also where their columns' values
// combine into keys not listed), a picked row's place is its key's own, and an id literal equals the engine's sipHash128().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAdapter } from '../src/index.js';
import { keyPlace, keyTest, SERIES_KEY, type SeriesKey } from '../src/series-keys.js';
import { SeriesIds, sidExpr } from '../src/series-ids.js';

const RUNS = ['a', "it's", 'c\\d'], METRICS = ['loss', 'train/acc'], RANKS = [-1, 0, 7], ATTEMPTS = [0, 3];
const ALL: Required<SeriesKey>[] = RUNS.flatMap((run) => METRICS.flatMap((metric) => RANKS.flatMap((rank) => ATTEMPTS.map((attempt) => ({ run, metric, rank, attempt })))));
const text = (k: SeriesKey, cols: readonly string[]) => cols.map((c) => String(k[c as keyof SeriesKey])).join('|');

describe('series keys and ids in the engine', () => {
  let dir: string, adapter: EmbeddedAdapter;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-keys-'));
    adapter = await EmbeddedAdapter.open({ path: dir });
    await adapter.command(`CREATE TABLE default.k (run LowCardinality(String), metric LowCardinality(String), rank Int32, attempt UInt32) ENGINE = MergeTree ORDER BY (run, metric, rank)`);
    await adapter.insertJson('default.k', ALL);
  });
  afterAll(async () => { await adapter.close(); rmSync(dir, { recursive: true, force: true }); });

  const picks: [string, SeriesKey[]][] = [
    ['one key', [ALL[5]!]],
    ['ranks of one metric', ALL.filter((k) => k.run === 'a' && k.metric === 'loss' && k.attempt === 0)],
    ['metrics of runs, one rank', ALL.filter((k) => k.rank === -1 && k.attempt === 0)],
    ['a diagonal: values that combine into keys not listed', [ALL[0]!, ALL.find((k) => k.run === "it's" && k.metric === 'train/acc' && k.rank === 7 && k.attempt === 0)!, ALL.find((k) => k.run === 'c\\d' && k.metric === 'loss' && k.rank === 0 && k.attempt === 0)!]],
  ];

  for (const [name, keys] of picks) {
    for (const cols of [SERIES_KEY, [...SERIES_KEY, 'attempt'] as const]) {
      it(`${name}, by ${cols.join(', ')}`, async () => {
        // Each key once: by the columns given.
        const listed = [...new Map(keys.map((k) => [text(k, cols), k])).values()];
        const places = listed.map((_, i) => 10 + 3 * i);
        const picked = await adapter.query<Required<SeriesKey> & { p: number }>(
          `SELECT run, metric, rank, attempt, toUInt32(${keyPlace(listed, places, cols)}) AS p FROM default.k WHERE ${keyTest(listed, cols)}`);
        const want = new Map(listed.map((k, i) => [text(k, cols), places[i]!]));
        // Exactly the rows of the keys listed, each with its key's place.
        expect(picked.map((r) => text(r, cols)).sort()).toEqual(ALL.filter((r) => want.has(text(r, cols))).map((r) => text(r, cols)).sort());
        for (const r of picked) expect(r.p, text(r, cols)).toBe(want.get(text(r, cols)));
      });
    }
  }

  it('an id literal is the engine\'s sipHash128 of the key', async () => {
    const ids = new SeriesIds(4);
    let statements = 0;
    const select = (sql: string) => { statements++; return adapter.query<Record<string, unknown>>(sql); };
    const keys = ALL.filter((k) => k.attempt === 0).slice(0, 6);
    await ids.load("p'x", keys, select);
    await ids.load("p'x", keys.slice(4), select);
    expect(statements).toBe(1);
    for (const k of keys) {
      const [row] = await adapter.query<{ same: number }>(`SELECT ${ids.sid("p'x", k)} = ${sidExpr("p'x", k)} AS same`);
      expect(row!.same, JSON.stringify(k)).toBe(1);
    }
  });
});
