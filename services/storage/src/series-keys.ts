// How a statement over the raw points names the series it reads, and tells a
// row's series apart: by the key's columns one at a time.
//
// NOTE: a test per column, not a tuple. `(run, metric, rank) IN (...)` builds
// and hashes a tuple per row: a 100,000-point view took 15 ms to count its
// rows that way, 6 ms with `run = … AND metric = … AND rank = …`. And a
// row's place by transform() of the one column that differs between the
// series (the metric, for a dashboard's charts of one run) took 36 ms over
// 640,000 points where transform() of the concatenated key took 125; of
// 80 series of 20 runs and 4 metrics over 8M points, a number made of each
// column's place took 250 ms, the concatenated key 358.
import { stringLiteral } from './adapter.js';

/** A series' key, with its attempt when the attempt tells places apart too. */
export interface SeriesKey { run: string; metric: string; rank: number; attempt?: number }
export type KeyColumn = 'run' | 'metric' | 'rank' | 'attempt';

export const SERIES_KEY: readonly KeyColumn[] = ['run', 'metric', 'rank'];

const TYPE: Record<KeyColumn, string> = { run: 'String', metric: 'String', rank: 'Int32', attempt: 'UInt32' };

const valueOf = (c: KeyColumn, k: SeriesKey): string => (c === 'run' || c === 'metric' ? k[c] : String(k[c] ?? 0));
const literal = (c: KeyColumn, k: SeriesKey): string => (TYPE[c] === 'String' ? stringLiteral(valueOf(c, k)) : valueOf(c, k));
const distinct = (c: KeyColumn, keys: readonly SeriesKey[]) => [...new Set(keys.map((k) => literal(c, k)))];

/**
 * A test that picks the rows of exactly these series: a test per column, and
 * the tuple only when the columns' values combine into series not listed.
 */
export function keyTest(keys: readonly SeriesKey[], cols: readonly KeyColumn[] = SERIES_KEY): string {
  let combinations = 1;
  const tests = cols.map((c) => {
    const values = distinct(c, keys);
    combinations *= values.length;
    return values.length === 1 ? `${c} = ${values[0]}` : `${c} IN (${values.join(', ')})`;
  });
  const tuples = [...new Set(keys.map((k) => `(${cols.map((c) => (TYPE[c] === 'String' ? literal(c, k) : `to${TYPE[c]}(${literal(c, k)})`)).join(', ')})`))];
  if (combinations > tuples.length) tests.push(`(${cols.join(', ')}) IN (${tuples.join(', ')})`);
  return tests.join(' AND ');
}

/**
 * The expression of a row's place: `places[i]` for the rows of `keys[i]`
 * (each key once), of the rows keyTest(keys) picks: it reads only the
 * columns that differ between the keys.
 */
export function keyPlace(keys: readonly SeriesKey[], places: readonly number[], cols: readonly KeyColumn[] = SERIES_KEY): string {
  const varying = cols.filter((c) => distinct(c, keys).length > 1);
  if (varying.length === 0) return String(places[0] ?? 4294967295);
  const to = `[${places.join(', ')}]`;
  if (varying.length === 1) {
    const c = varying[0]!;
    // NOTE: transform() of a LowCardinality column answers LowCardinality(UInt32): cast to a plain number.
    return `CAST(transform(${c}, CAST([${keys.map((k) => literal(c, k)).join(', ')}] AS Array(${TYPE[c]})), ${to}, 4294967295) AS UInt32)`;
  }
  // Several columns differ: a number per row from each column's place among
  // its values (integer arithmetic, no string built per row), then the place of that number.
  let stride = 1;
  const parts: string[] = [], codes = keys.map(() => 0);
  for (const c of varying) {
    const values = distinct(c, keys);
    parts.push(`${stride} * CAST(transform(${c}, CAST([${values.join(', ')}] AS Array(${TYPE[c]})), [${values.map((_, i) => i).join(', ')}], ${values.length}) AS UInt64)`);
    keys.forEach((k, i) => { codes[i]! += stride * values.indexOf(literal(c, k)); });
    stride *= values.length + 1;
  }
  return `transform(${parts.join(' + ')}, CAST([${codes.join(', ')}] AS Array(UInt64)), ${to}, 4294967295)`;
}
