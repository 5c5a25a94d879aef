// A tier level's rows of a series read over many segments (series-many.ts
// rowsTest): picked by looking each row's range up, where there are 3 or more
// disjoint ranges, and by an OR of them below that. Either way a tier read
// over segments answers what the raw points over the same segments answer:
// for contiguous segments, segments with gaps (ranges owned by nobody), with
// and without the attempts' point counts (which read the cuts' raw points
// apart), and for one or many series at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAdapter, OPEN_STEP, Store, TIER_WIDTHS, WRITER_TIER, tierTable, type ReadSegment, type SeriesColumns } from '../src/index.js';

const PROJECT = 'p', RUN = 'r', METRICS = ['a', 'b'];
/**
 * Attempt a's steps [from, to): each crashes past the next one's start, and
 * the last declared a resume step (88,000) above its first point, so it has
 * superseded rows in every earlier attempt's range.
 */
const ATTEMPTS = [[0, 0, 21_000], [1, 19_500, 40_100], [2, 37_000, 61_000], [3, 55_555, 90_000], [4, 25_000, 131_072]] as const;
/** Where each attempt's segment begins (the next one's start ends it). */
const STARTS = [0, 19_500, 37_000, 55_555, 88_000];

function rowsOf(metric: string, attempt: number, from: number, to: number): string {
  return `SELECT '${PROJECT}' AS project, '${RUN}' AS run, '${metric}' AS metric, toInt32(-1) AS rank, toUInt32(${attempt}) AS attempt,
      toInt64(${from} + number) AS step, if(step % 7919 = 0, nan, sin(step / 300) * 10 + ${attempt}) AS value, toInt64(1000 + step) AS time_ms
    FROM numbers(${to - from})`;
}

function segments(o: { points: boolean; skip?: number[] }): ReadSegment[] {
  return ATTEMPTS.flatMap(([attempt, first, last], i) => {
    if (o.skip?.includes(i)) return [];
    const from = STARTS[i]!, to = i + 1 < STARTS.length ? STARTS[i + 1]! : OPEN_STEP;
    return [{
      run: RUN, attempt, from, to, wideFrom: first >= from ? -OPEN_STEP : from, wideTo: last - 1 < to ? OPEN_STEP : to,
      steps: [first, last - 1] as [number, number], ...(o.points ? { points: last - first } : {}),
    }];
  });
}

describe('a tier level over many segments', () => {
  let dir: string, store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-segment-lookup-'));
    store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
    await store.migrate();
    for (const metric of METRICS) {
      for (const [attempt, from, to] of ATTEMPTS) {
        const rows = rowsOf(metric, attempt, from, to);
        await store.adapter.command(`INSERT INTO stepstream.points (project, run, metric, rank, attempt, step, value, time_ms) ${rows}`);
        await store.adapter.command(`INSERT INTO stepstream.${tierTable(WRITER_TIER)} (project, run, metric, rank, attempt, bucket, first_step, last_step, min, max, sum, count, nonfinite, first, last, first_time, last_time, received_ms)
          SELECT project, run, metric, rank, attempt, intDiv(step, ${WRITER_TIER}) * ${WRITER_TIER} AS bucket, min(step), max(step),
            min(if(isFinite(value), value, inf)), max(if(isFinite(value), value, -inf)), sum(if(isFinite(value), value, 0)),
            count(), countIf(NOT isFinite(value)), argMin(value, step), argMax(value, step), argMin(time_ms, step), argMax(time_ms, step), 0
          FROM (${rows}) GROUP BY project, run, metric, rank, attempt, bucket`);
      }
    }
  }, 60_000);
  afterAll(async () => { await store?.close(); rmSync(dir, { recursive: true, force: true }); });

  const cases: [string, ReadSegment[]][] = [
    ['contiguous segments, point counts known', segments({ points: true })],
    ['contiguous segments, no point counts', segments({ points: false })],
    ['segments with gaps, point counts known', segments({ points: true, skip: [1, 3] })],
    ['segments with gaps, no point counts', segments({ points: false, skip: [2] })],
  ];
  /** Buckets and their tiers: each tier, and a bucket merging several rows of one. */
  const plans = [[4096, 4096], [16_384, 4096], [256, 256], [1024, 256], [65_536, 65_536]] as const;

  const same = (got: SeriesColumns, want: SeriesColumns, what: string) => {
    for (const k of ['x', 'count', 'nonfinite', 'min', 'max', 'first', 'last', 'firstStep', 'lastStep'] as const) {
      expect([...got[k]], `${what}: ${k}`).toEqual([...want[k]]);
    }
    got.sum.forEach((s, i) => expect(Math.abs(s - want.sum[i]!), `${what}: sum[${i}]`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(s))));
  };

  for (const [name, segs] of cases) {
    it(`${name}: every tier answers what the raw points answer`, async () => {
      expect(TIER_WIDTHS).toEqual([256, 4096, 65_536]);
      for (const [bucket, source] of plans) {
        for (const [lo, hi] of [[0, 131_072], [Math.floor(20_000 / bucket) * bucket, Math.ceil(100_000 / bucket) * bucket]] as const) {
          const q = { project: PROJECT, metric: 'a', rank: -1, bucket, lo, hi };
          const raw = await store.lineage.seriesColumns({ ...q, source: 0 }, segs);
          expect(raw.x.length).toBeGreaterThan(0);
          same(await store.lineage.seriesColumns({ ...q, source }, segs), raw, `bucket ${bucket} from ${source}, [${lo}, ${hi})`);
          // Both metrics in one statement: each series' rows picked by its own test.
          const both = await store.lineage.seriesColumnsMany(PROJECT, METRICS.map((metric) => ({ ...q, metric, source, segs })), false);
          same(both[0]!, raw, `both metrics, bucket ${bucket} from ${source}, [${lo}, ${hi})`);
        }
      }
    }, 60_000);
  }
});
