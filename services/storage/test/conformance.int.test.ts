// The store's contract, run against the embedded engine always and against a
// ClickHouse server when CLICKHOUSE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_KEY_DAYS, EmbeddedAdapter, HttpAdapter, Store, TIER_WIDTHS, attemptSegment, batchKey, type SeriesRows, type Settings, type StoreAdapter } from '../src/index.js';
import { referenceBuckets, sameValue, type RefPoint } from '../../../test/support/reference.js';

const log = pino({ level: 'silent' });
const serverUrl = process.env['CLICKHOUSE_URL'];

const targets: { name: string; make: () => Promise<{ adapter: StoreAdapter; cleanup: () => void }> }[] = [
  {
    name: 'embedded',
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ss-store-'));
      return { adapter: await EmbeddedAdapter.open({ path: dir }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];
if (serverUrl) targets.push({ name: 'http', make: async () => ({ adapter: new HttpAdapter({ url: serverUrl }), cleanup: () => {} }) });
else console.info('storage conformance: http adapter skipped (set CLICKHOUSE_URL to run it against a ClickHouse server)');

function series(run: string, metric: string, rank: number, points: RefPoint[], timeMs: number[] = []): SeriesRows {
  return {
    project: 'p', run, metric, rank, attempt: 0, receivedMs: 1_700_000_000_000,
    steps: Float64Array.from(points.map((p) => p.step)), values: Float64Array.from(points.map((p) => p.value)), timeMs: Float64Array.from(timeMs),
  };
}

describe.each(targets)('store conformance ($name)', ({ make }) => {
  let store: Store;
  let cleanup: () => void;
  const db = `ss_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  // A series with gaps, non-finite values and steps past 2^32.
  const base = 2 ** 32 - 5000;
  const points: RefPoint[] = [];
  for (let i = 0; i < 20_000; i++) {
    if (i % 997 < 40) continue; // gaps
    const v = i === 1234 ? NaN : i === 4321 ? Infinity : i === 9000 ? -Infinity : Math.sin(i / 50) * 10 + i / 1000;
    points.push({ step: base + i * 3, value: v });
  }

  beforeAll(async () => {
    const t = await make();
    cleanup = t.cleanup;
    store = new Store(t.adapter, db, log);
    expect(await store.migrate()).toBeGreaterThan(0);
    expect(await store.migrate()).toBe(0);
    // Written out of order, in two write sets, with a rank holding only NaN.
    const half = Math.floor(points.length / 2);
    await store.write({ token: 't2', series: [series('r1', 'loss', 0, points.slice(half))], batches: [], runs: [] });
    await store.write({ token: 't1', series: [series('r1', 'loss', 0, points.slice(0, half)), series('r1', 'loss', 3, [{ step: 5, value: NaN }])], batches: [], runs: [] });
  }, 120_000);
  afterAll(async () => {
    await store?.adapter.command(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
    await store?.close();
    cleanup?.();
  });

  it('answers every tier exactly as the raw points would', async () => {
    const ranges: [number, number][] = [[base, base + 60_000], [base + 1000, base + 1000 + 777], [base + 33_333, base + 51_234], [base - 100, base + 5]];
    for (const [from, to] of ranges) {
      for (const bucket of [1, 4, 16, 32, 256, 1024, 4096, 65536]) {
        const sources = [0, ...TIER_WIDTHS.filter((w) => w <= bucket)];
        for (const source of sources) {
          const lo = Math.floor(from / bucket) * bucket, hi = Math.ceil(to / bucket) * bucket;
          const got = await store.lineage.series({ project: 'p', run: 'r1', metric: 'loss', rank: 0, bucket, source, lo, hi });
          const want = referenceBuckets(points, bucket, from, to);
          expect(got.map((b) => b.x), `x for bucket ${bucket} source ${source}`).toEqual(want.map((b) => b.x));
          got.forEach((b, i) => {
            const w = want[i]!;
            const ctx = `bucket ${bucket} source ${source} x ${b.x}`;
            expect([b.count, b.nonfinite], ctx).toEqual([w.count, w.nonfinite]);
            expect(sameValue(b.min, w.min) && sameValue(b.max, w.max), `${ctx} min/max`).toBe(true);
            expect(sameValue(b.first, w.first) && sameValue(b.last, w.last), `${ctx} first/last`).toBe(true);
            const mean = b.count - b.nonfinite > 0 ? b.sum / (b.count - b.nonfinite) : null;
            expect(sameValue(mean, w.mean, 1e-12), `${ctx} mean ${mean} vs ${w.mean}`).toBe(true);
          });
        }
      }
    }
  });

  it('stores each point\'s time: the client\'s when sent, else its batch\'s receipt time', async () => {
    const pts = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ step: from + i, value: i }));
    // its own project, so the run lists of the other tests do not see it
    const at = (s: SeriesRows, receivedMs = s.receivedMs) => ({ ...s, project: 'times', receivedMs });
    await store.write({ token: 'times', batches: [], runs: [], series: [
      at(series('r3', 'm', 0, pts(0, 3), [10, 20, 30])),
      at(series('r3', 'm', 1, pts(0, 2)), 1_000),
      at(series('r3', 'm', 2, pts(0, 5)), 1_000), // same receipt, longer: the shared fill grows
      at(series('r3', 'm', 3, pts(0, 1)), 2_000),
    ] });
    const rows = await store.adapter.query<{ rank: number; step: number; time_ms: number }>(
      `SELECT rank, step, time_ms FROM ${db}.points WHERE project = 'times' ORDER BY rank, step`);
    expect(rows.map((r) => [r.rank, r.step, r.time_ms])).toEqual([
      [0, 0, 10], [0, 1, 20], [0, 2, 30],
      [1, 0, 1_000], [1, 1, 1_000],
      [2, 0, 1_000], [2, 1, 1_000], [2, 2, 1_000], [2, 3, 1_000], [2, 4, 1_000],
      [3, 0, 2_000],
    ]);
  });

  it('summarises per rank and per metric', async () => {
    const ranks = await store.lineage.summaries('p', [attemptSegment('r1')], { metric: 'loss' });
    expect(ranks.map((r) => r.rank)).toEqual([0, 3]);
    const finite = points.filter((p) => Number.isFinite(p.value)).map((p) => p.value);
    expect(ranks[0]).toMatchObject({ first_step: points[0]!.step, last_step: points.at(-1)!.step, count: points.length, nonfinite: points.length - finite.length });
    expect(ranks[0]!.min).toBe(Math.min(...finite));
    expect(ranks[0]!.max).toBe(Math.max(...finite));
    expect(ranks[0]!.last).toBe(points.at(-1)!.value);
    expect(ranks[1]).toMatchObject({ count: 1, nonfinite: 1, min: null, max: null });
    expect(Number.isNaN(ranks[1]!.last)).toBe(true);
    const all = await store.lineage.summaries('p', [attemptSegment('r1')]);
    expect(all.map((r) => [r.metric, r.rank, r.count])).toEqual([['loss', 0, points.length], ['loss', 3, 1]]);
  });

  it('drops a write set repeated with the same token, in raw points, tiers and summaries', async () => {
    const s = [series('r2', 'acc', -1, [{ step: 1, value: 0.5 }, { step: 2, value: 0.75 }])];
    const batches = [{ project: 'p', run: 'r2', attempt: 0, clientId: 'c1', sequence: '9', points: 2, receivedMs: Date.now() }];
    await store.write({ token: 'dup', series: s, batches, runs: [] });
    await store.write({ token: 'dup', series: s, batches, runs: [] });
    const raw = await store.lineage.series({ project: 'p', run: 'r2', metric: 'acc', rank: -1, bucket: 1, source: 0, lo: 0, hi: 10 });
    expect(raw.map((b) => b.count)).toEqual([1, 1]);
    for (const w of TIER_WIDTHS) {
      const tier = await store.lineage.series({ project: 'p', run: 'r2', metric: 'acc', rank: -1, bucket: w, source: w, lo: 0, hi: w });
      expect(tier.map((b) => b.count), `tier ${w}`).toEqual([2]);
    }
    expect((await store.lineage.summaries('p', [attemptSegment('r2')], { metric: 'acc' }))[0]?.count).toBe(2);
    const key = batchKey('p', 'r2', 0, 'c1', '9');
    expect(await store.storedBatches([key, batchKey('p', 'r2', 0, 'c1', '10')], 'other')).toEqual(new Set([key]));
    expect(await store.storedBatches([key], 'dup')).toEqual(new Set());
  });

  it('forgets client batch keys after BATCH_KEY_DAYS', async () => {
    const old = Date.now() - (BATCH_KEY_DAYS + 1) * 86_400_000;
    await store.write({ token: 'old-key', series: [], batches: [{ project: 'p', run: 'r3', attempt: 0, clientId: 'c', sequence: '1', points: 0, receivedMs: old }], runs: [] });
    await store.adapter.command(`OPTIMIZE TABLE ${db}.batches FINAL`);
    expect(await store.storedBatches([batchKey('p', 'r3', 0, 'c', '1')], 'other')).toEqual(new Set());
  });

  it('merges run metadata field by field, latest non-empty wins', async () => {
    const info = { project: 'p', run: 'r1', attempt: 0, resumeStep: null, forkOf: '', forkStep: 0, receivedMs: 1, name: '', configJson: '', tags: [] as string[], status: 0, startedMs: 0, finishedMs: 0, meta: {} };
    await store.write({ token: 'run-a', series: [], batches: [], runs: [{ ...info, version: 1, name: 'first', configJson: '{"lr":0.1}', tags: ['a'], status: 1, startedMs: 10 }] });
    await store.write({ token: 'run-b', series: [], batches: [], runs: [{ ...info, version: 2, status: 2, finishedMs: 20, meta: { host: 'h' } }] });
    const runs = await store.reads.runs('p', { maxFieldBytes: 1024 });
    expect(runs.map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(runs[0]).toMatchObject({ id: 'r1', name: 'first', config_json: '{"lr":0.1}', tags: ['a'], status: 2, started_ms: 10, finished_ms: 20, meta: { host: 'h' }, metric_count: 1 });
    expect(runs[0]!.last_step).toBe(points.at(-1)!.step);
    expect(runs[1]).toMatchObject({ id: 'r2', name: '', status: 0, last_step: 2, metric_count: 1 });
    expect(await store.reads.projectExists('p')).toBe(true);
    expect(await store.reads.projectExists('nope')).toBe(false);
  });

  it('stores a run\'s end (finished) after the set\'s points and its name before them; a replay stores neither again', async () => {
    const info = { project: 'p', run: 'r-end', attempt: 0, resumeStep: null, forkOf: '', forkStep: 0, receivedMs: 1, configJson: '', tags: [] as string[], startedMs: 5, meta: {} };
    const set = { token: 'end-1', series: [series('r-end', 'loss', -1, [{ step: 0, value: 1 }, { step: 1, value: 2 }])], batches: [],
      runs: [{ ...info, version: 1, name: 'short', status: 2, finishedMs: 30 }] };
    const events: string[] = [];
    const a = store.adapter as StoreAdapter & Record<string, unknown>;
    const real = { json: a.insertJson.bind(a), native: a.insertNative.bind(a) };
    a.insertJson = async (table: string, rows: readonly Record<string, unknown>[], settings?: Settings) => {
      const what = `${table.split('.')[1]} ${rows.map((r) => `${String(r['name'])}:${String(r['status'])}:${String(r['finished_ms'])}`).join()}`;
      events.push(`start ${what}`);
      await real.json(table, rows, settings);
      events.push(`end ${what}`);
    };
    a.insertNative = async (o: { table: string }) => {
      events.push(`start ${o.table.split('.')[1]}`);
      await real.native(o as never);
      events.push(`end ${o.table.split('.')[1]}`);
    };
    try {
      await store.write(set);
      await store.write(set); // a replay: every block dropped as a repeat
    } finally {
      Reflect.deleteProperty(a, 'insertJson'); Reflect.deleteProperty(a, 'insertNative'); // the adapter's own methods again
    }
    const first = events.slice(0, events.length / 2);
    // The name first, without the end; the end once the points and tiers are in.
    expect(first[0]).toBe('start run_info short:0:0');
    const endStarts = first.indexOf('start run_info short:2:30');
    expect(endStarts).toBeGreaterThan(first.indexOf('end points'));
    expect(endStarts).toBeGreaterThan(first.indexOf(`end rollup_${TIER_WIDTHS[0]}`));
    const [run] = await store.reads.runs('p', { run: 'r-end', maxFieldBytes: 1024 });
    expect(run).toMatchObject({ name: 'short', status: 2, started_ms: 5, finished_ms: 30, last_step: 1 });
    const [rows] = await store.adapter.query<{ n: number }>(`SELECT toUInt32(count()) AS n FROM ${db}.run_info WHERE run = 'r-end'`);
    expect(rows!.n).toBe(2);
  });

  it('answers each free-form run field only up to maxFieldBytes, with its stored size', async () => {
    const info = { project: 'p', run: 'big', attempt: 0, resumeStep: null, forkOf: '', forkStep: 0, receivedMs: 1, status: 0, startedMs: 0, finishedMs: 0 };
    const config = JSON.stringify({ blob: 'x'.repeat(5000) });
    await store.write({ token: 'big-a', series: [], batches: [], runs: [{ ...info, version: 1, name: 'n'.repeat(3000), configJson: config, tags: ['t'.repeat(999), 'u'.repeat(100)], meta: { k: 'v'.repeat(2000) } }] });
    const [small] = await store.reads.runs('p', { run: 'big', maxFieldBytes: 1024 });
    expect(small).toMatchObject({ name: '', config_json: '', tags: [], meta: {}, bytes: { name: 3000, config: config.length, tags: 1101, meta: 2002 } });
    const [whole] = await store.reads.runs('p', { run: 'big', maxFieldBytes: 10_000 });
    expect(whole).toMatchObject({ name: 'n'.repeat(3000), config_json: config, tags: ['t'.repeat(999), 'u'.repeat(100)], meta: { k: 'v'.repeat(2000) } });
  });
});
