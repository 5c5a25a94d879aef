// GET /runs/:run/export (issue 14): every format's rows equal the raw points
// sent, over the effective history the lineage reference computes (a
// restarted run, a fork), one attempt's points, filters and windows; values
// exact (NaN, ±Infinity, -0, the extremes of a double, CSV included); errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitStored } from './support/lineage-check.js';
import { attemptBatches, LineageLog, type LineageBatch } from './support/lineage-log.js';
import type { LineageReference, PointSelection } from './support/lineage-reference.js';
import { byKey, COLUMNS, readExport, rowKeys, wantedRows, type ExportWant, type Format } from './support/export-rows.js';
import { startInProcess, type Started } from './support/stepstream.js';

const FORMATS: Format[] = ['parquet', 'arrow', 'csv'];
const timeOf = (p: { step: number; attempt: number }) => 1_700_000_000_000 + p.step * 3 + p.attempt;
/** Each batch's points get a time of their own (a function of step and attempt), so the export's time_ms is checked too. */
const timed = (batches: LineageBatch[]): LineageBatch[] =>
  batches.map((b) => ({ ...b, series: b.series.map((s) => ({ ...s, timeMs: s.steps.map((step) => timeOf({ step, attempt: b.attempt })) })) }));

/** Doubles a decimal text must carry exactly: the extremes ingest takes (±1e292), subnormals, -0, values with 17 significant digits. */
const EDGE_VALUES = [0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e292, -1e292, 1e292 * (1 - 2 ** -52), 0.1 + 0.2, 1 / 3,
  Math.PI, 2 ** 53 + 2, 2 ** 70 + 2 ** 18, NaN, Infinity, -Infinity, 1e-300, 5e-324 * 3];

describe('export', () => {
  let ss: Started;
  let ref: LineageReference;
  const log = new LineageLog('export');
  const base = () => `${ss.url}/v1/projects/export/runs`;
  const get = (run: string, query: string) => fetch(`${base()}/${encodeURIComponent(run)}/export?${query}`);

  beforeAll(async () => {
    ss = await startInProcess();
    // Random doubles by their bits (a fixed seed), besides the edges.
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const f = new Float64Array(1), u = new Uint32Array(f.buffer);
    const odd = [...EDGE_VALUES];
    while (odd.length < 400) { u[0] = rand(); u[1] = rand(); if (Math.abs(f[0]!) <= 1e292) odd.push(f[0]!); }
    await log.post(ss.url, timed([
      ...attemptBatches({ run: 'job', attempt: 0, from: 0, to: 30_000, stride: 7, ranks: [0, 1], batchSteps: 10_000 }),
      // Restarted from 20,000; then rolled back past that restart to 12,000, declared above its first point.
      ...attemptBatches({ run: 'job', attempt: 1, from: 20_000, to: 40_000, stride: 7, ranks: [0, 1], resumeStep: 20_000, batchSteps: 10_000 }),
      ...attemptBatches({ run: 'job', attempt: 2, from: 11_000, to: 45_000, stride: 5, ranks: [0], resumeStep: 12_000, batchSteps: 10_000 }),
      ...attemptBatches({ run: 'fork', attempt: 0, from: 15_000, to: 50_000, stride: 3, ranks: [0], fork: { run: 'job', step: 30_001 }, batchSteps: 10_000 }),
      { run: 'odd', attempt: 0, clientId: 'odd', sequence: 1, series: [{ metric: 'x/y.z-w_1', rank: 3, steps: odd.map((_, i) => i), values: odd }] },
    ]));
    ref = log.reference();
    await waitStored(ss.url, log.project, ref);
  }, 120_000);
  afterAll(async () => { await ss?.stop(); });

  async function expectExport(run: string, format: Format, selection: PointSelection, want: ExportWant = {}, extra = ''): Promise<number> {
    const q = new URLSearchParams({ format });
    if (want.metrics) q.set('metrics', want.metrics.join(','));
    if (want.ranks) q.set('ranks', want.ranks.join(','));
    if (want.from !== undefined) q.set('from', String(want.from));
    if (want.to !== undefined) q.set('to', String(want.to));
    if (selection.kind === 'attempt') q.set('attempt', String(selection.attempt));
    const res = await get(run, q.toString() + extra);
    expect(res.status, await res.clone().text().then((t) => t.slice(0, 300))).toBe(200);
    const got = await readExport(format, new Uint8Array(await res.arrayBuffer()));
    expect(got.columns).toEqual(COLUMNS);
    const wanted = wantedRows(ref, run, selection, want, timeOf);
    // The export's own order: by metric, rank, step.
    const order = got.rows.map((r) => `${r.metric}|${String(r.rank + 1e10).padStart(12)}|${String(r.step).padStart(17)}`);
    expect(order).toEqual([...order].sort());
    expect(rowKeys([...got.rows].sort(byKey))).toEqual(rowKeys(wanted));
    return wanted.length;
  }

  for (const format of FORMATS) {
    it(`${format}: a restarted run's effective history, a fork's inherited part, exact odd doubles`, async () => {
      expect(await expectExport('job', format, { kind: 'effective' })).toBeGreaterThan(10_000);
      expect(await expectExport('fork', format, { kind: 'effective' })).toBeGreaterThan(10_000);
      expect(await expectExport('odd', format, { kind: 'effective' })).toBe(400);
    }, 60_000);

    it(`${format}: attempt=N, metrics=, ranks=, from/to windows`, async () => {
      for (const attempt of [0, 1, 2]) await expectExport('job', format, { kind: 'attempt', attempt });
      await expectExport('job', format, { kind: 'effective' }, { metrics: ['loss'] });
      await expectExport('job', format, { kind: 'effective' }, { metrics: ['lr', 'loss'], ranks: [-1, 1] });
      await expectExport('job', format, { kind: 'effective' }, { from: 11_999, to: 20_001 });
      await expectExport('fork', format, { kind: 'effective' }, { ranks: [0], from: 29_000 });
      await expectExport('job', format, { kind: 'attempt', attempt: 1 }, { metrics: ['loss'], to: 25_000 });
      // A window without points: a valid, empty file.
      expect(await expectExport('job', format, { kind: 'effective' }, { from: 900_000 })).toBe(0);
    }, 60_000);
  }

  it('names the file and the type; headers of a CSV export', async () => {
    const res = await get('job', 'format=csv&metrics=lr&to=10');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="job.csv"; filename*=UTF-8\'\'job.csv');
    expect((await res.text()).split('\n')[0]).toBe('"metric","rank","step","value","time_ms"');
    const pq = await get('job', 'attempt=1&metrics=lr&to=21000');
    expect(pq.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(pq.headers.get('content-disposition')).toContain('filename="job.attempt-1.parquet"');
    expect((await get('job', 'format=arrow&to=1')).headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
  });

  it('answers the 404s /series answers, and 400s naming the parameter and its limit', async () => {
    const err = async (res: Response) => ({ status: res.status, ...((await res.json()) as { code: string; message: string; details?: Record<string, unknown> }) });
    expect(await err(await fetch(`${ss.url}/v1/projects/nope/runs/job/export`))).toMatchObject({ status: 404, code: 'SS_ERR_PROJECT_NOT_FOUND' });
    expect(await err(await get('ghost', ''))).toMatchObject({ status: 404, code: 'SS_ERR_RUN_NOT_FOUND' });
    expect(await err(await get('job', 'metrics=loss,nope'))).toMatchObject({ status: 404, code: 'SS_ERR_METRIC_NOT_FOUND', details: { metric: 'nope' } });
    expect(await err(await get('job', 'metrics=loss&ranks=7'))).toMatchObject({ status: 404, code: 'SS_ERR_METRIC_NOT_FOUND', details: { metric: 'loss', rank: 7 } });
    expect(await err(await get('job', 'ranks=0,9'))).toMatchObject({ status: 404, code: 'SS_ERR_METRIC_NOT_FOUND', details: { rank: 9 } });
    expect(await err(await get('job', 'attempt=5'))).toMatchObject({ status: 404, code: 'SS_ERR_ATTEMPT_NOT_FOUND' });
    expect(await err(await get('job', 'format=xlsx'))).toMatchObject({ status: 400, code: 'SS_ERR_QUERY_PARAM', details: { param: 'format' } });
    expect(await err(await get('job', 'from=10&to=10'))).toMatchObject({ status: 400, details: { param: 'to' } });
    expect(await err(await get('job', 'ranks=0,x'))).toMatchObject({ status: 400, details: { param: 'ranks' } });
    expect(await err(await get('job', 'ranks=-2'))).toMatchObject({ status: 400, details: { param: 'ranks' } });
    expect(await err(await get('job', 'metrics=a,,b'))).toMatchObject({ status: 400, details: { param: 'metrics' } });
    expect(await err(await get('job', 'metric=loss'))).toMatchObject({ status: 400, details: { param: 'metric' } });
    const many = Array.from({ length: 257 }, (_, i) => `m${i}`).join(',');
    expect(await err(await get('job', `metrics=${many}`))).toMatchObject({ status: 400, details: { param: 'metrics', limit: 256 } });
    const ranks = Array.from({ length: 1025 }, (_, i) => i).join(',');
    expect(await err(await get('job', `ranks=${ranks}`))).toMatchObject({ status: 400, details: { param: 'ranks', limit: 1024 } });
  });

  it('a client that goes away mid-export leaves the server serving', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await get('fork', 'format=csv&metrics=loss');
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    // Both export slots are free again, and reads answer.
    for (let i = 0; i < 3; i++) await expectExport('job', 'arrow', { kind: 'effective' }, { metrics: ['lr'] });
  }, 60_000);
});
