// A store made by an earlier release, upgraded in place: every answer the same
// as before, and the tiers keep filling afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAdapter, MIGRATIONS, Store, TIER_WIDTHS, attemptSegment, migrate, type BucketRow } from '../src/index.js';

const DB = 'stepstream';
const KEY = { project: 'p', run: 'r', metric: 'loss', rank: 0, attempt: 0 };

/** Points from..from+n-1 of KEY in SQL: NaN at every step 7 mod 5000, +inf at step 20000. */
const pointsSql = (from: number, n: number) => `
  SELECT 'p' AS project, 'r' AS run, 'loss' AS metric, toInt32(0) AS rank, toInt64(${from} + number) AS step,
    multiIf((${from} + number) % 5000 = 7, nan, (${from} + number) = 20000, inf, sin((${from} + number) / 300) * 5 + (${from} + number) / 1e4) AS value,
    toInt64(0) AS time_ms
  FROM numbers(${n})`;

describe('upgrade of a release-1 store (writer tiers as plain rows, no 16-step tier)', () => {
  let dir: string;
  let store: Store;
  /** Equal, but for sums: those within 1e-12 relative (float additions reassociated). */
  const same = (got: BucketRow[], want: BucketRow[], what: string) => {
    const sums = (rows: BucketRow[]) => rows.map((r) => ({ ...r, sum: 0 }));
    expect(sums(got), what).toEqual(sums(want));
    got.forEach((r, i) => expect(Math.abs(r.sum - want[i]!.sum), `${what} x=${r.x}`).toBeLessThanOrEqual(1e-12 * Math.abs(want[i]!.sum)));
  };
  const tiers = (from: number) => Promise.all(TIER_WIDTHS.map(async (w) => {
    const [tier, raw] = await Promise.all([store.lineage.series({ ...KEY, bucket: w, source: w }), store.lineage.series({ ...KEY, bucket: w, source: 0 })]);
    same(tier, raw, `tier ${w}`);
    expect(raw[0]?.firstStep, `tier ${w}`).toBe(from);
  }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-migrate-'));
    store = new Store(await EmbeddedAdapter.open({ path: dir }), DB, pino({ level: 'silent' }));
    const a = store.adapter;
    // The store as release 1 left it: its schema, its rows (tier states made the way its writer made them).
    await a.command(`CREATE DATABASE ${DB}`);
    await a.command(`CREATE TABLE ${DB}.schema_migrations (version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`);
    for (const stmt of MIGRATIONS[0]!.statements(DB)) await a.command(stmt);
    await a.command(`INSERT INTO ${DB}.schema_migrations (version, name) VALUES (1, 'release 1')`);
    for (const [from, n] of [[0, 30_000], [30_000, 40_000]] as const) {
      await a.command(`INSERT INTO ${DB}.points ${pointsSql(from, n)}`);
      for (const w of [256, 16]) {
        await a.command(`INSERT INTO ${DB}.rollup_${w} SELECT project, run, metric, rank, intDiv(step, ${w}) * ${w} AS bucket, min(step), max(step),
            min(if(isFinite(value), value, inf)), max(if(isFinite(value), value, -inf)), sum(if(isFinite(value), value, 0)),
            count(), countIf(NOT isFinite(value)), argMinState(value, step), argMaxState(value, step)
          FROM (${pointsSql(from, n)}) GROUP BY project, run, metric, rank, bucket`);
      }
    }
    expect(await store.migrate()).toBe(MIGRATIONS.length - 1);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every tier from the converted rows as the raw points do, and drops the 16-step tier', async () => {
    await tiers(0);
    const left = await store.adapter.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${DB}' AND name LIKE 'rollup%' AND engine != 'MaterializedView' ORDER BY name`);
    expect(left.map((t) => t.name)).toEqual(TIER_WIDTHS.map((w) => `rollup_${w}`).sort());
    expect((await store.lineage.series({ ...KEY, bucket: 65536, source: 4096 }))[0]).toMatchObject({ firstStep: 0, lastStep: 65535, count: 65536, nonfinite: 14 + 1 });
  });

  it('makes every point stored before attempts attempt 0 of its run, with its extent', async () => {
    const facts = await store.lineage.facts('p', ['r']);
    expect(facts.get('r')).toEqual({ run: 'r', forkOf: null, attempts: [{ attempt: 0, firstStep: 0, lastStep: 69_999, points: 70_000, resumeStep: null }] });
  });

  it('keeps filling every tier through the writer after the upgrade', async () => {
    const steps = Float64Array.from({ length: 5000 }, (_, i) => 70_000 + i);
    const values = Float64Array.from(steps, (s) => s / 1000);
    await store.write({ token: 'after', series: [{ ...KEY, steps, values, timeMs: new Float64Array(0), receivedMs: 0 }], batches: [], runs: [] });
    await tiers(0);
    expect((await store.lineage.summaries('p', [attemptSegment('r')], { metric: 'loss', rank: 0 }))[0]).toMatchObject({ first_step: 0, last_step: 74_999, count: 75_000 });
  });
});

describe('migrations from several processes at once', () => {
  it('applies each migration once while the others wait for it, and fails clearly on a stale lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-migrate-'));
    const adapter = await EmbeddedAdapter.open({ path: dir });
    const log = pino({ level: 'silent' });
    try {
      // Processes sharing a server, as with deploy/compose.yaml: here, three migrators on one engine.
      const counts = await Promise.all(['a', 'b', 'c'].map(() => migrate(adapter, 'shared', log, { pollMs: 20 })));
      expect(counts.reduce((x, y) => x + y, 0)).toBe(MIGRATIONS.length);
      const rows = await adapter.query<{ version: number }>('SELECT version FROM shared.schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const store = new Store(adapter, 'shared', log);
      const steps = Float64Array.from({ length: 1000 }, (_, i) => i);
      await store.write({ token: 't', series: [{ project: 'p', run: 'r', metric: 'm', rank: 0, attempt: 0, steps, values: steps, timeMs: new Float64Array(0), receivedMs: 0 }], batches: [], runs: [] });
      expect((await store.lineage.series({ project: 'p', run: 'r', metric: 'm', rank: 0, bucket: 4096, source: 4096 }))[0]).toMatchObject({ count: 1000, first: 0, last: 999 });

      // A process that died holding a lock: the next one waits, then says which table to drop.
      await adapter.command('CREATE DATABASE stale');
      await adapter.command(`CREATE TABLE stale.schema_migration_lock_1 (taken_at DateTime64(3)) ENGINE = Memory`);
      await expect(migrate(adapter, 'stale', log, { waitMs: 300, pollMs: 20 })).rejects.toThrow(/stale\.schema_migration_lock_1 exists; if no process is applying it, drop that table/);
      await adapter.command('DROP TABLE stale.schema_migration_lock_1');
      expect(await migrate(adapter, 'stale', log)).toBe(MIGRATIONS.length);
    } finally {
      await adapter.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('upgrade of a release-5 store (no times in the tiers, no receipt table)', () => {
  let dir: string;
  let store: Store;
  /** Release 5's points of p/r/loss@0: steps from..from+n-1, time_ms 1000 + step. */
  const v5Points = (from: number, n: number) => `
    SELECT 'p' AS project, 'r' AS run, 'loss' AS metric, toInt32(0) AS rank, toUInt32(0) AS attempt, toInt64(${from} + number) AS step,
      sin((${from} + number) / 300) AS value, toInt64(1000 + ${from} + number) AS time_ms
    FROM numbers(${n})`;
  const timeOf = (step: number) => (step < 70_000 ? 1000 + step : 2000 + step);
  /** Every bucket's first and last point's time, at each bucket width from each source, as the points say. */
  const checkTimes = async (last: number) => {
    for (const [bucket, source] of [[1, 0], [64, 0], [256, 256], [1024, 256], [4096, 4096], [8192, 4096], [65536, 65536], [131072, 65536]] as const) {
      const c = await store.lineage.seriesColumns({ ...KEY, bucket, source, times: true }, [attemptSegment('r')]);
      const want = Array.from(c.x, (x) => [timeOf(x), timeOf(Math.min(x + bucket - 1, last))]);
      expect(Array.from(c.x, (_, i) => [c.timeFirst![i], c.timeLast![i]]), `bucket ${bucket} from ${source}`).toEqual(want);
      expect(c.lastStep.at(-1), `bucket ${bucket}`).toBe(last);
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-migrate-'));
    store = new Store(await EmbeddedAdapter.open({ path: dir }), DB, pino({ level: 'silent' }));
    const a = store.adapter;
    await a.command(`CREATE DATABASE ${DB}`);
    await a.command(`CREATE TABLE ${DB}.schema_migrations (version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`);
    for (const m of MIGRATIONS.filter((x) => x.version <= 5)) {
      for (const stmt of m.statements(DB)) await a.command(stmt);
      await a.command(`INSERT INTO ${DB}.schema_migrations (version, name) VALUES (${m.version}, 'release 5')`);
    }
    // Two write sets of p/r as release 5's writer stored them: points, and the 256-step tier beside them.
    for (const [from, n] of [[0, 30_000], [30_000, 40_000]] as const) {
      await a.command(`INSERT INTO ${DB}.points ${v5Points(from, n)}`);
      await a.command(`INSERT INTO ${DB}.rollup_256 (project, run, metric, rank, attempt, bucket, first_step, last_step, min, max, sum, count, nonfinite, first, last)
        SELECT project, run, metric, rank, attempt, intDiv(step, 256) * 256 AS bucket, min(step), max(step), min(value), max(value), sum(value),
          count(), 0, argMin(value, step), argMax(value, step)
        FROM (${v5Points(from, n)}) GROUP BY project, run, metric, rank, attempt, bucket`);
    }
    // Project q: run k with points and a keyed batch received at 7000, run i with only a RunInfo received at 9000.
    await a.command(`INSERT INTO ${DB}.points SELECT 'q', 'k', 'm', -1, 0, number, 1, 5 FROM numbers(10)`);
    await a.command(`INSERT INTO ${DB}.rollup_256 (project, run, metric, rank, attempt, bucket, first_step, last_step, min, max, sum, count, nonfinite, first, last)
      VALUES ('q', 'k', 'm', -1, 0, 0, 0, 9, 1, 1, 10, 10, 0, 1, 1)`);
    await a.command(`INSERT INTO ${DB}.batches (key, project, run, attempt, client_id, sequence, token, points, received_ms) VALUES ('x', 'q', 'k', 0, 'c', 1, 't', 10, 7000)`);
    await a.command(`INSERT INTO ${DB}.run_info (project, run, version, received_ms, name) VALUES ('q', 'i', 1, 9000, 'only info')`);
    expect(await store.migrate()).toBe(MIGRATIONS.filter((x) => x.version > 5).length);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the times of buckets stored before from the raw points, and each project\'s last receipt from what the store kept', async () => {
    await checkTimes(69_999);
    // p/r sent no receipt the store kept: its points' latest time. q: the latest of its batch and its RunInfo.
    expect(await store.reads.projects()).toEqual([{ project: 'p', runs: 1, lastIngestMs: 1000 + 69_999 }, { project: 'q', runs: 2, lastIngestMs: 9000 }]);
    expect(await store.reads.projects(['q', 'nope'])).toEqual([{ project: 'q', runs: 2, lastIngestMs: 9000 }]);
  });

  it('fills the rollup across ranks from the points stored before; the writer\'s rows after add to it', async () => {
    const band = async () => {
      const q = { project: 'p', metric: 'loss', bucket: 4096, source: 4096, lo: 0, hi: 2 ** 20 };
      const [rollup, points] = [await store.ranks.band(q, [attemptSegment('r')]), await store.ranks.bandFromPoints(q, [attemptSegment('r')])];
      expect(rollup.x.length).toBeGreaterThan(0);
      expect({ ...rollup, sum: [] }).toEqual({ ...points, sum: [] });
      rollup.sum.forEach((v, i) => expect(v).toBeCloseTo(points.sum[i]!, 6));
      return rollup.count.reduce((a, b) => a + b, 0);
    };
    const before = await band();
    expect(before).toBeGreaterThanOrEqual(70_000);
    const steps = Float64Array.from({ length: 100 }, (_, i) => 90_000 + i);
    await store.write({ token: 'ranks-after', series: [{ ...KEY, rank: 3, steps, values: Float64Array.from(steps, (x) => -x), timeMs: new Float64Array(0), receivedMs: 1 }], batches: [], runs: [] });
    expect(await band()).toBe(before + 100);
  });

  it('keeps the times and receipts of what the writer stores after, in buckets shared with rows stored before', async () => {
    const steps = Float64Array.from({ length: 5000 }, (_, i) => 70_000 + i);
    const timeMs = Float64Array.from(steps, timeOf);
    await store.write({ token: 'after', series: [{ ...KEY, steps, values: Float64Array.from(steps, (s) => s / 1000), timeMs, receivedMs: 100_000 }], batches: [], runs: [] });
    await checkTimes(74_999);
    expect((await store.reads.projects(['p']))[0]).toEqual({ project: 'p', runs: 1, lastIngestMs: 100_000 });
  });
});
