// The buckets of many series in one engine statement: each series' levels
// (segments.ts: raw points, then each tier up to its source) aggregated apart,
// tagged with the series' place in the request and the level, and the levels
// of a bucket merged here, finest first.
//
// NOTE: why the levels are merged here and not by the engine. A bucket's
// finite sum is added up in the order its rows arrive; in one statement over
// many series the engine's order of the levels is its own, so a mean could
// differ in its last bits from the same series read alone. Each level's rows
// of one series are read as they would be alone, and the levels are added in
// one fixed order: a series' answer is the same bits in a batch as alone.
import type { Params } from './adapter.js';
import { MERGE_PARTS, MERGE_TIMES, OPEN_STEP, levelRanges, levelValues, levelsUpTo, type ReadSegment } from './segments.js';
import { tierTable } from './tiers.js';
import { keyPlace, keyTest, type SeriesKey } from './series-keys.js';
import type { SeriesColumns } from './series-columns.js';

/** One series' buckets to read: its key, its segments, the bucket width, the source tier (0: raw points), the aligned range. */
export interface ColumnsRead {
  metric: string;
  rank: number;
  segs: readonly ReadSegment[];
  bucket: number;
  source: number;
  lo?: number;
  hi?: number;
  /** Read the source tier only: the raw points beside the cuts are read apart (series-edges.ts). */
  topOnly?: boolean;
}

/** Series one statement reads at most (its text grows by ~500 bytes a series; the engine's parser takes 256 KB). */
export const MANY_SERIES = 200;

/**
 * Series from which on a read is split in two statements of equal halves,
 * run side by side where the engine has a slot to spare (engine-scheduler.ts).
 * NOTE: the engine runs one statement on one thread here (its share of the
 * cores): 80 series' 62,560 tier rows (x=time) took 48–55 ms as one
 * statement, 41 ms as its two halves side by side (in process, the series-
 * batch bench's data). Each half pays the statement's fixed cost (~12 ms of
 * it here), so below this a second statement saves nothing.
 */
export const SPLIT_SERIES = 16;

/** One series' rows of one stored level and one segment: its series key and attempt, the key ranges [lo, hi) counted. */
interface Unit { series: number; attempt: number; ranges: [number, number][] }

/**
 * The statements that read the series. NOTE: per level and bucket width, one
 * SELECT over all the series that read it, not one per series: each SELECT
 * of a UNION ALL costs the engine about what a statement does (measured: 80
 * series' levels in one UNION ALL took as long as 80 statements). A row's
 * series comes from its key by transform(); series whose rows are picked by
 * the same attempt and ranges share one test, so the WHERE stays as short as
 * the distinct segments of the batch, and its key ranges still bound the
 * index. A series key may appear once per SELECT: a second read of it (a
 * fork's parent read in the same batch, or another attempt) goes to another.
 */
export function manySeriesStatements(db: string, project: string, reads: readonly ColumnsRead[], times: boolean, sid: (k: SeriesKey) => string): { sql: string; params: Params }[] {
  const out: { sql: string; params: Params }[] = [];
  const count = Math.max(Math.ceil(reads.length / MANY_SERIES), reads.length >= SPLIT_SERIES ? 2 : 1);
  const size = Math.ceil(reads.length / count);
  for (let from = 0; from < reads.length; from += size) {
    const sql = statement(db, reads, from, Math.min(reads.length, from + size), times, sid);
    if (sql) out.push({ sql, params: { project } });
  }
  return out;
}

function statement(db: string, reads: readonly ColumnsRead[], from: number, to: number, times: boolean, sid: (k: SeriesKey) => string): string | null {
  /** Series keys (run, metric, rank), each once: a key's number is its place here. */
  const keyNumber = new Map<string, number>();
  const keys: SeriesKey[] = [];
  const keyOf = (run: string, metric: string, rank: number) => {
    const k = JSON.stringify([run, metric, rank]);
    let i = keyNumber.get(k);
    if (i === undefined) { keyNumber.set(k, (i = keys.length)); keys.push({ run, metric, rank }); }
    return i;
  };
  /** SELECT groups by level width, bucket width and round (a series key once per round): each read's units. */
  const groups = new Map<string, { width: number; lv: number; bucket: number; units: Map<number, Unit[]> }>();
  const rounds: Set<number>[] = [];
  for (let i = from; i < to; i++) {
    const r = reads[i]!;
    if (r.segs.length === 0) continue;
    const mine = [...new Set(r.segs.map((s) => keyOf(s.run, r.metric, r.rank)))];
    let round = rounds.findIndex((taken) => mine.every((k) => !taken.has(k)));
    if (round < 0) { round = rounds.length; rounds.push(new Set()); }
    for (const k of mine) rounds[round]!.add(k);
    const chain = r.topOnly ? [r.source] : levelsUpTo(r.source, true);
    const range = { ...(r.lo === undefined ? {} : { lo: r.lo }), ...(r.hi === undefined ? {} : { hi: r.hi }) };
    chain.forEach((width, lv) => {
      const above = lv + 1 < chain.length ? chain[lv + 1]! : 0;
      const units = r.segs.map((seg) => ({ series: keyOf(seg.run, r.metric, r.rank), attempt: seg.attempt, ranges: levelRanges(seg, width, above, range) }))
        .filter((u) => u.ranges.length > 0);
      if (units.length === 0) return;
      const g = `${width}/${r.bucket}/${round}`;
      if (!groups.has(g)) groups.set(g, { width, lv, bucket: r.bucket, units: new Map() });
      groups.get(g)!.units.set(i, units);
    });
  }
  if (groups.size === 0) return null;
  const parts = [...groups.values()].map((g) => levelSelect(db, g, keys, times, sid));
  return `SELECT * FROM (${parts.join('\nUNION ALL\n')}) ORDER BY q, x, lv`;
}

/** Step (or bucket) ranges of a tier level from which on a series' rows are picked by looking their range up. */
const LOOKUP_FROM = 3;
/** Where a test names its looked-up range's place; made unique per test of a SELECT. */
const ALIAS = '{range}';

/**
 * The test that picks one series' rows of a level: each unit's attempt in
 * its key ranges. NOTE: of a tier level with LOOKUP_FROM or more disjoint
 * ranges (a restarted run's segments), not as an OR of them: a row's range is
 * looked up (the first whose end lies above its key), and its attempt must
 * be that range's. The engine's analysis of 9 ORed ranges took ~4 ms of a
 * 13 ms view (measured over rollup_4096, bench/src/lineage-profile.ts); the
 * look-up keeps one bounding range for the index, which costs a tier level
 * little (its rows are 1/256 of the points and more). The raw level keeps
 * the OR: its ranges are the few steps beside cuts, and each bounds the index.
 * `alias`: the name of the looked-up range's place.
 */
function rowsTest(key: string, units: readonly Unit[], lookUp: boolean, alias: string): string {
  const ranges = units.flatMap((u) => u.ranges.map(([lo, hi]) => ({ lo, hi, attempt: u.attempt }))).sort((a, b) => a.lo - b.lo);
  const bounds = (lo: number, hi: number) => [...(lo > -OPEN_STEP ? [`${key} >= ${lo}`] : []), ...(hi < OPEN_STEP ? [`${key} < ${hi}`] : [])];
  if (lookUp && ranges.length >= LOOKUP_FROM && ranges.every((r, i) => i === 0 || ranges[i - 1]!.hi <= r.lo)) {
    // Inside the bounding range some range's end lies above every key; where
    // the ranges leave gaps, the key must also lie at or above its start.
    const list = (f: (r: (typeof ranges)[number]) => number) => `[${ranges.map(f).join(', ')}]`;
    const place = `(arrayFirstIndex(h -> ${key} < h, ${list((r) => r.hi)}) AS ${alias})`;
    const gaps = ranges.some((r, i) => i > 0 && ranges[i - 1]!.hi < r.lo);
    return [
      ...bounds(ranges[0]!.lo, ranges[ranges.length - 1]!.hi),
      ...(gaps ? [`${key} >= arrayElement(${list((r) => r.lo)}, ${place})`] : []),
      `attempt = arrayElement(${list((r) => r.attempt)}, ${gaps ? alias : place})`,
    ].join(' AND ');
  }
  return units.map((u) => {
    const each = u.ranges.map(([lo, hi]) => { const t = bounds(lo, hi); return t.length ? `(${t.join(' AND ')})` : 'true'; });
    return `(attempt = ${u.attempt} AND (${each.join(' OR ')}))`;
  }).join(' OR ');
}

/** One level's SELECT for some reads (by place), their rows grouped by read and answer bucket. */
function levelSelect(db: string, g: { width: number; lv: number; bucket: number; units: Map<number, Unit[]> }, keys: readonly SeriesKey[], times: boolean, sid: (k: SeriesKey) => string): string {
  const raw = g.width === 1, key = raw ? 'step' : 'bucket';
  const keysOf = (ks: readonly number[]) => (raw
    ? keyTest(ks.map((k) => keys[k]!))
    : `sid IN (${ks.map((k) => sid(keys[k]!)).join(', ')})`);
  /** The read each series key stands for in this SELECT (a key once per round), and its units. */
  const placeOf = new Map<number, number>(), unitsOf = new Map<number, Unit[]>();
  for (const [place, units] of g.units) {
    for (const u of units) {
      placeOf.set(u.series, place);
      unitsOf.set(u.series, [...(unitsOf.get(u.series) ?? []), u]);
    }
  }
  /** Series keys by the test of attempts and ranges that picks their rows. */
  const byTest = new Map<string, number[]>();
  for (const [k, units] of unitsOf) {
    const test = rowsTest(key, units, !raw, ALIAS);
    byTest.set(test, [...(byTest.get(test) ?? []), k]);
  }
  const series = [...placeOf.keys()];
  // NOTE: a test names its series only where the WHERE does not say it
  // already: not for a SELECT of one series (a single view), nor for series
  // that all share one test (every series of one run read over the same
  // segments). Repeating the key in each of 9 cuts' tests cost a restarted
  // view ~5 ms of the engine's analysis.
  const tests = [...byTest].map(([template, ks], i) => {
    const test = template.replaceAll(ALIAS, `k${i}_`);
    return series.length === 1 || byTest.size === 1 ? `(${test})` : `(${keysOf(ks)} AND (${test}))`;
  });
  // NOTE: a tier row's place from its id, not from its run and metric: one
  // transform() of the ids the WHERE lists already took the engine ~3 ms less
  // to prepare than the nested transforms of the key's columns (40 series).
  const place = raw
    ? keyPlace(series.map((k) => keys[k]!), series.map((k) => placeOf.get(k)!))
    : `transform(sid, [${series.map((k) => sid(keys[k]!)).join(', ')}], [${series.map((k) => placeOf.get(k)!).join(', ')}], 4294967295)`;
  const where = raw ? `project = {project:String} AND ${keysOf(series)}` : keysOf(series);
  return `SELECT toUInt32(q_) AS q, toUInt32(${g.lv}) AS lv, x, ${MERGE_PARTS}${times ? `, ${MERGE_TIMES}` : ''} FROM (
    SELECT ${place} AS q_, intDiv(${key}, ${g.bucket}) * ${g.bucket} AS x, ${levelValues(g.width, times)}
    FROM ${db}.${raw ? 'points' : tierTable(g.width)} WHERE ${where} AND (${tests.join(' OR ')})) GROUP BY q_, x`;
}

const none = new Float64Array(0);

export function emptyColumns(times: boolean): SeriesColumns {
  const empty = { x: none, firstStep: none, lastStep: none, min: none, max: none, sum: none, count: none, nonfinite: none, first: none, last: none };
  return times ? { ...empty, timeFirst: none, timeLast: none } : empty;
}

/**
 * Each series' columns from a statement's rows (ordered by q, x, lv): the
 * rows of a bucket's levels merged as MERGE_PARTS merges rows: the first
 * value and time are the lowest step's, the last the highest's (a step is
 * at one level only), the rest min, max or sums, added finest level first.
 */
export function mergeLevels(c: Record<string, Float64Array>, times: boolean): Map<number, SeriesColumns> {
  const col = (k: string) => c[k] ?? none;
  const q = col('q'), x = col('x'), fs = col('fs'), ls = col('ls'), mn = col('mn'), mx = col('mx'), s = col('s'), n = col('c'), nf = col('nf'), f = col('f'), l = col('l');
  const tf = col('tf'), tl = col('tl');
  const out = new Map<number, SeriesColumns>();
  for (let start = 0; start < q.length; ) {
    let end = start;
    while (end < q.length && q[end] === q[start]) end++;
    let buckets = 0;
    for (let i = start; i < end; i++) if (i === start || x[i] !== x[i - 1]) buckets++;
    const a = () => new Float64Array(buckets);
    const o = { x: a(), firstStep: a(), lastStep: a(), min: a(), max: a(), sum: a(), count: a(), nonfinite: a(), first: a(), last: a(), ...(times ? { timeFirst: a(), timeLast: a() } : {}) };
    let b = -1;
    for (let i = start; i < end; i++) {
      if (i === start || x[i] !== x[i - 1]) {
        b++;
        o.x[b] = x[i]!; o.firstStep[b] = fs[i]!; o.lastStep[b] = ls[i]!; o.min[b] = mn[i]!; o.max[b] = mx[i]!;
        o.sum[b] = s[i]!; o.count[b] = n[i]!; o.nonfinite[b] = nf[i]!; o.first[b] = f[i]!; o.last[b] = l[i]!;
        if (o.timeFirst && o.timeLast) { o.timeFirst[b] = tf[i]!; o.timeLast[b] = tl[i]!; }
        continue;
      }
      if (fs[i]! < o.firstStep[b]!) { o.firstStep[b] = fs[i]!; o.first[b] = f[i]!; if (o.timeFirst) o.timeFirst[b] = tf[i]!; }
      if (ls[i]! > o.lastStep[b]!) { o.lastStep[b] = ls[i]!; o.last[b] = l[i]!; if (o.timeLast) o.timeLast[b] = tl[i]!; }
      if (mn[i]! < o.min[b]!) o.min[b] = mn[i]!;
      if (mx[i]! > o.max[b]!) o.max[b] = mx[i]!;
      o.sum[b]! += s[i]!; o.count[b]! += n[i]!; o.nonfinite[b]! += nf[i]!;
    }
    out.set(q[start]!, o);
    start = end;
  }
  return out;
}
