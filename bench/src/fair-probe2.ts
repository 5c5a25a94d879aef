import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedAdapter, Store } from '@stepstream/storage';
const dir = mkdtempSync(join(tmpdir(), 'ss-probe-'));
const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
await store.migrate();
for (let from = 0; from < 10_000_000; from += 1_000_000) {
  const steps = new Float64Array(1_000_000), values = new Float64Array(1_000_000);
  for (let i = 0; i < 1_000_000; i++) { steps[i] = from + i; values[i] = Math.sin((from + i) / 1000); }
  await store.write({ token: `t${from}`, series: [{ project: 'a', run: 'big', metric: 'loss', rank: -1, steps, values, timeMs: new Float64Array(0), receivedMs: Date.now() }], batches: [], runs: [] });
}
const sql = `SELECT intDiv(step, 128) * 128 AS x, min(step) AS fs, max(step) AS ls,
           min(if(isFinite(value), value, inf)) AS mn, max(if(isFinite(value), value, -inf)) AS mx,
           sum(if(isFinite(value), value, 0)) AS s, count() AS c, countIf(NOT isFinite(value)) AS nf,
           argMin(value, step) AS f, argMax(value, step) AS l
         FROM stepstream.points WHERE project = {project:String} AND run = {run:String} AND metric = 'loss' AND rank = -1
         GROUP BY x ORDER BY x`;
for (const fmt of ['JSONColumns', 'Null', 'RowBinary']) {
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const text = await store.adapter['session'].queryBindAsync(sql + " SETTINGS output_format_json_quote_denormals = 1", { project: 'a', run: 'big' }, { format: fmt }).then((r: { text(): string }) => r.text());
    const t1 = performance.now();
    if (fmt === 'JSONColumns') JSON.parse(text);
    console.log(fmt, 'engine', Math.round(t1 - t), 'parse', Math.round(performance.now() - t1), text.length);
  }
}
const t = performance.now();
const rows = await store.reads.series({ project: 'a', run: 'big', metric: 'loss', rank: -1, bucket: 128, source: 0 });
console.log('reads.series', Math.round(performance.now() - t), rows.length);
const t2 = performance.now();
JSON.stringify({ x: rows.map((r) => r.x), a: rows.map((r) => r.min), b: rows.map((r) => r.max), c: rows.map((r) => r.sum), d: rows.map((r) => r.first), e: rows.map((r) => r.last), f: rows.map((r) => r.count), g: rows.map((r) => r.nonfinite) });
console.log('stringify', Math.round(performance.now() - t2));
await store.close();
