// The SQL of a filtered, sorted run list: which runs of a project match, and
// in what order. Every value is a bound parameter; only column expressions of
// our own are spliced. The page reads (run-list.ts) build on this.
import type { Params } from './adapter.js';

/** What a run list is sorted by: the run id, a RunInfo field, the run's last step, or a metric's last value. */
export type RunSortBy = { by: 'id' | 'name' | 'started_ms' | 'last_step' } | { by: 'summary'; metric: string };

/** A config value compared by equality: `path` is the dotted key split at its dots. */
export interface ConfigMatch { path: string[]; value: number | boolean | null | string }

export interface RunFilter {
  /** Case-insensitive substring of the run's name or id. */
  q?: string;
  /** Runs having every one of these tags. */
  tags: readonly string[];
  /** Stored status codes (run_info.status) to keep. */
  statuses?: readonly number[];
  config: readonly ConfigMatch[];
}

/**
 * The stored key replaced, for runs whose stored summaries are not their
 * effective ones (restarted or forked): `value` null, the run has no key.
 */
export interface KeyOverride { run: string; value: number | null }

export interface RunOrderQuery {
  project: string;
  filter: RunFilter;
  sort: RunSortBy;
  desc: boolean;
  overrides?: readonly KeyOverride[];
  /** Run metadata as of this receipt time (ms): RunInfo received later is left out. */
  asOf?: number;
}

/** Where the previous page ended: its last run's key (has_key 0: it had none) and id. */
export interface RunAfter { hasKey: boolean; key: string | number; id: string }

/** Sorts whose key is a number, compared as Float64 (steps and times are below 2^53). */
export const numericSort = (s: RunSortBy): boolean => s.by === 'started_ms' || s.by === 'last_step' || s.by === 'summary';

/** Runs' keys read from the points' summaries move while the runs log: paging over them needs a snapshot. */
export const keyMovesWithPoints = (s: RunSortBy): boolean => s.by === 'last_step' || s.by === 'summary';

/** A non-finite override travels as text ('nan', 'inf', '-inf'): bound numbers must be finite. */
const overrideText = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));

/** The key's subquery `k (run, present, value)` for the sorts read from points, overrides applied. */
function keyRows(db: string, sort: RunSortBy, params: Params, overrides: readonly KeyOverride[]): string {
  params['ovr'] = overrides.map((o) => o.run);
  params['ovv'] = overrides.map((o) => (o.value === null ? '' : overrideText(o.value)));
  const stored = sort.by === 'last_step'
    ? `SELECT run, toUInt8(1) AS present, toFloat64(max(last_step)) AS value FROM ${db}.run_attempts
       WHERE project = {project:String} AND run NOT IN {ovr:Array(String)} GROUP BY run`
    // The metric's last value: at its highest step, from the lowest rank there (rank -1 first).
    : `SELECT run, toUInt8(1) AS present, argMax(l, (ls, -rank)) AS value FROM (
         SELECT run, rank, max(last_step) AS ls, argMaxMerge(last) AS l FROM ${db}.summaries
         WHERE project = {project:String} AND metric = {sm:String} AND run NOT IN {ovr:Array(String)} GROUP BY run, rank, attempt
       ) GROUP BY run`;
  if (sort.by === 'summary') params['sm'] = sort.metric;
  return `${stored}
    UNION ALL
    SELECT tupleElement(o, 1) AS run, toUInt8(1) AS present, toFloat64(tupleElement(o, 2)) AS value
    FROM (SELECT arrayJoin(arrayZip({ovr:Array(String)}, {ovv:Array(String)})) AS o) WHERE tupleElement(o, 2) != ''`;
}

/** The filter's conditions over `i` (the runs' latest RunInfo fields) and `m.run`. */
function conditions(f: RunFilter, params: Params): string[] {
  const out: string[] = [];
  if (f.q !== undefined) {
    params['q'] = f.q;
    out.push('(positionCaseInsensitiveUTF8(i.name, {q:String}) > 0 OR positionCaseInsensitiveUTF8(m.run, {q:String}) > 0)');
  }
  if (f.tags.length) { params['tags'] = [...f.tags]; out.push('hasAll(i.tags, {tags:Array(String)})'); }
  if (f.statuses) { params['st'] = [...f.statuses]; out.push('i.status IN {st:Array(UInt8)}'); }
  f.config.forEach((c, n) => {
    const keys = c.path.map((k, j) => { params[`c${n}_${j}`] = k; return `{c${n}_${j}:String}`; }).join(', ');
    const at = `i.config_json, ${keys}`;
    const v = c.value;
    let test: string;
    if (v === null) test = `JSONType(${at}) = 'Null'`;
    else if (typeof v === 'boolean') test = `JSONType(${at}) = 'Bool' AND JSONExtractBool(${at}) = ${v ? 1 : 0}`;
    else if (typeof v === 'number') { params[`cv${n}`] = v; test = `JSONType(${at}) IN ('Int64', 'UInt64', 'Double') AND JSONExtractFloat(${at}) = {cv${n}:Float64}`; }
    else { params[`cv${n}`] = v; test = `JSONType(${at}) = 'String' AND JSONExtractString(${at}) = {cv${n}:String}`; }
    out.push(`(JSONHas(${at}) AND ${test})`);
  });
  return out;
}

/** The keyset condition: rows after the previous page's last, in the list's order (runs with a key first, ties by id). */
function afterCondition(after: RunAfter, sort: RunSortBy, desc: boolean, params: Params): string {
  params['aid'] = after.id;
  if (!after.hasKey) return 'has_key = 0 AND id > {aid:String}';
  params['ak'] = after.key;
  const k = numericSort(sort) ? '{ak:Float64}' : '{ak:String}';
  const beyond = sort.by === 'id' ? `id ${desc ? '<' : '>'} {aid:String}` : `(sort_key ${desc ? '<' : '>'} ${k} OR (sort_key = ${k} AND id > {aid:String}))`;
  return `((has_key = 1 AND ${beyond}) OR has_key = 0)`;
}

/**
 * The matching runs in order, as `id`, `has_key`, `sort_key` (neutral where
 * has_key is 0, so those sort by id alone) and `as_of` (the latest RunInfo
 * receipt of the project). Membership is every run with anything stored
 * (run_receipts: a row per run).
 */
export function orderedRunsSql(db: string, q: RunOrderQuery, params: Params, after?: RunAfter): string {
  params['project'] = q.project;
  const bound = q.asOf === undefined ? '' : 'AND received_ms <= {asof:Int64}';
  if (q.asOf !== undefined) params['asof'] = q.asOf;
  const withConfig = q.filter.config.length > 0;
  const fromPoints = keyMovesWithPoints(q.sort);
  const [hasKey, key] = q.sort.by === 'id' ? ['toUInt8(1)', 'm.run']
    : q.sort.by === 'name' ? ["i.name != ''", "if(i.name != '', i.name, '')"]
    : q.sort.by === 'started_ms' ? ['i.started_ms != 0', 'toFloat64(i.started_ms)']
    : q.sort.by === 'last_step' ? ['k.present = 1', 'if(k.present = 1, k.value, 0)']
    : ['k.present = 1 AND NOT isNaN(k.value)', 'if(k.present = 1 AND NOT isNaN(k.value), k.value, 0)'];
  const where = [...conditions(q.filter, params), ...(after ? [afterCondition(after, q.sort, q.desc, params)] : [])];
  return `WITH i AS (
      SELECT run, argMaxIf(name, version, name != '') AS name, argMaxIf(tags, version, notEmpty(tags)) AS tags,
        argMaxIf(status, version, status != 0) AS status, argMaxIf(started_ms, version, started_ms != 0) AS started_ms
        ${withConfig ? ", argMaxIf(config_json, version, config_json != '') AS config_json" : ''}
      FROM ${db}.run_info WHERE project = {project:String} ${bound} GROUP BY run
    )${fromPoints ? `, k AS (${keyRows(db, q.sort, params, q.overrides ?? [])})` : ''}
    SELECT m.run AS id, toUInt8(${hasKey}) AS has_key, ${key} AS sort_key,
      (SELECT max(received_ms) FROM ${db}.run_info WHERE project = {project:String}) AS as_of
    FROM (SELECT run FROM ${db}.run_receipts WHERE project = {project:String} GROUP BY run) AS m
    LEFT JOIN i ON i.run = m.run
    ${fromPoints ? 'LEFT JOIN k ON k.run = m.run' : ''}
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY has_key DESC, sort_key ${q.desc ? 'DESC' : 'ASC'}, id ASC`;
}
