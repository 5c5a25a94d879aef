// POST /v1/projects/:project/series against an all-in-one Stepstream: every
// answer is what GET .../runs/:run/series answers for its query (a restarted
// run, a fork, a plain run; ranks, attempts, open and given ranges, budgets
// that read each tier), a query that cannot be read answers GET's error body
// in its place, x=time adds each bucket's first and last point's time, and
// the body is refused, naming the field, past 200 queries or when malformed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPLIT_SERIES } from '@stepstream/storage';
import { waitStored } from './support/lineage-check.js';
import { attemptBatches, LineageLog } from './support/lineage-log.js';
import type { LineageReference } from './support/lineage-reference.js';
import { getSeries, postSeries, referenceTimes, withTimes, type BatchQuery, type BatchRange } from './support/series-batch.js';
import { encodeRequest } from './support/requests.js';
import { postBatch, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'batch';

const QUERIES: BatchQuery[] = [
  { run: 'job', metric: 'loss', rank: 0 },
  { run: 'job', metric: 'loss', rank: 1 },
  { run: 'job', metric: 'lr' },
  { run: 'job', metric: 'loss' }, // no rank -1: the 404 that names the ranks
  { run: 'job', metric: 'loss', rank: 0, attempt: 0 },
  { run: 'job', metric: 'loss', rank: 1, attempt: 1 },
  { run: 'job', metric: 'loss', rank: 0, attempt: 9 }, // no such attempt
  { run: 'job', metric: 'eval/acc' },
  { run: 'fork', metric: 'loss', rank: 0 },
  { run: 'fork', metric: 'eval/acc' }, // inherited from the parent below the fork step
  { run: 'plain', metric: 'loss', rank: 0 },
  { run: 'plain', metric: 'loss', rank: 7 }, // no such rank
  { run: 'nope', metric: 'loss', rank: 0 }, // no such run
  { run: 'job', metric: 'nope' }, // no such metric
  { run: 'job', metric: 'loss', rank: 0 }, // asked twice: answered twice
  // At least SPLIT_SERIES series that are read (checked below): the batch is read in two statements side by side.
  { run: 'fork', metric: 'eval/acc' }, { run: 'job', metric: 'lr' }, { run: 'plain', metric: 'loss', rank: 0 }, { run: 'job', metric: 'loss', rank: 1 },
  { run: 'fork', metric: 'loss', rank: 0 }, { run: 'job', metric: 'eval/acc' },
];

/** Open and given ranges, one past every point, and budgets that read raw points and each tier. */
const RANGES: BatchRange[] = [
  {}, { points: 3 }, { points: 100 }, { from: 100_000, to: 260_000, points: 1000 }, { from: 400_000, points: 5 },
  { to: 150_000, points: 700 }, { from: 600_000, to: 700_000 }, { from: 119_990, to: 120_090, points: 1000 },
];

describe('POST /v1/projects/:project/series', () => {
  let ss: Started;
  let ref: LineageReference;

  beforeAll(async () => {
    ss = await startInProcess();
    const log = new LineageLog(PROJECT);
    await log.post(ss.url, withTimes([
      ...attemptBatches({ run: 'job', attempt: 0, from: 0, to: 300_000, stride: 131, ranks: [0, 1], extra: [{ metric: 'eval/acc', from: 0, to: 300_000, stride: 997 }] }),
      ...attemptBatches({ run: 'job', attempt: 1, from: 120_037, to: 520_000, stride: 131, ranks: [0, 1], resumeStep: 120_037 }),
      ...attemptBatches({ run: 'fork', attempt: 0, from: 200_000, to: 330_000, stride: 173, ranks: [0], fork: { run: 'job', step: 200_000 } }),
      ...attemptBatches({ run: 'plain', attempt: 0, from: 0, to: 60_000, stride: 50, ranks: [0] }),
    ]));
    ref = log.reference();
    await waitStored(ss.url, PROJECT, ref);
  }, 120_000);
  afterAll(async () => { await ss?.stop(); });

  it('answers each query as GET .../series does, in order, the ones that fail with GET\'s error body in their place', async () => {
    const tiers = new Set<number>();
    for (const range of RANGES) {
      const res = await postSeries(ss.url, PROJECT, { queries: QUERIES, ...range });
      expect(res.status, JSON.stringify(range)).toBe(200);
      expect(res.body.series).toHaveLength(QUERIES.length);
      if (range === RANGES[0]) expect(res.body.series.filter((s: { x?: unknown[] }) => (s.x?.length ?? 0) > 0).length).toBeGreaterThanOrEqual(SPLIT_SERIES);
      const statuses: number[] = [];
      for (const [i, q] of QUERIES.entries()) {
        const one = await getSeries(ss.url, PROJECT, q, range);
        statuses.push(one.status);
        if (one.status === 200) tiers.add(one.body.tier);
        expect(res.body.series[i], `${JSON.stringify(range)} queries[${i}] ${JSON.stringify(q)}`).toEqual(one.body);
      }
      expect(statuses.filter((s) => s === 404), JSON.stringify(range)).toHaveLength(5);
      expect(statuses.filter((s) => s !== 404 && s !== 200), JSON.stringify(range)).toEqual([]);
    }
    expect([...tiers].sort((a, b) => a - b)).toEqual([0, 256, 4096, 65536]);
    // A fork alone: its parent's lineage facts are read for it.
    const forkOnly = QUERIES.filter((q) => q.run === 'fork');
    const alone = await postSeries(ss.url, PROJECT, { queries: forkOnly, points: 100 });
    for (const [i, q] of forkOnly.entries()) expect(alone.body.series[i]).toEqual((await getSeries(ss.url, PROJECT, q, { points: 100 })).body);
    expect((await postSeries(ss.url, PROJECT, { queries: [] })).body).toEqual({ series: [] });
    const codes = (await postSeries(ss.url, 'no-such-project', { queries: QUERIES.slice(0, 2) })).body.series.map((e: { code: string }) => e.code);
    expect(codes).toEqual(['SS_ERR_PROJECT_NOT_FOUND', 'SS_ERR_PROJECT_NOT_FOUND']);
  }, 120_000);

  it('x=time: the same answers plus time_first[] and time_last[], the time of each bucket\'s first point (the earliest at its step) and last (the latest)', async () => {
    for (const range of RANGES) {
      const res = await postSeries(ss.url, PROJECT, { queries: QUERIES, ...range, x: 'time' });
      expect(res.status).toBe(200);
      for (const [i, q] of QUERIES.entries()) {
        const ctx = `${JSON.stringify(range)} queries[${i}] ${JSON.stringify(q)}`;
        const one = await getSeries(ss.url, PROJECT, q, range);
        const { time_first: first, time_last: last, ...rest } = res.body.series[i];
        expect(rest, ctx).toEqual(one.body);
        if (one.status !== 200) { expect(first, ctx).toBeUndefined(); continue; }
        const points = ref.select(q.run, q.attempt === undefined ? { kind: 'effective' } : { kind: 'attempt', attempt: q.attempt })
          .filter((p) => p.metric === q.metric && p.rank === (q.rank ?? -1));
        const want = referenceTimes(points, one.body.bucket, one.body.x);
        expect({ first, last }, `${ctx} bucket=${one.body.bucket} tier=${one.body.tier}`).toEqual(want);
      }
    }
  }, 120_000);

  it('x=time for points sent without times: each is its request\'s receipt time', async () => {
    const before = Date.now();
    const steps = Array.from({ length: 3000 }, (_, i) => i * 3);
    const res = await postBatch(ss.url, encodeRequest({ project: PROJECT, runId: 'untimed', series: [{ metric: 'm', steps, values: steps.map((s) => s / 7) }] }));
    expect(res.status).toBe(202);
    const after = Date.now();
    const series = await waitFor('untimed stored', async () => {
      const got = await postSeries(ss.url, PROJECT, { queries: [{ run: 'untimed', metric: 'm' }], points: 10, x: 'time' });
      return got.body.series[0]?.count?.reduce((a: number, b: number) => a + b, 0) === steps.length ? got.body.series[0] : undefined;
    });
    expect(series.time_first.length).toBe(series.x.length);
    for (const t of [...series.time_first, ...series.time_last]) expect(t >= before && t <= after, `${t} in [${before}, ${after}]`).toBe(true);
  });

  it('takes 200 queries; 201 is a 400 naming queries, with the limit', async () => {
    const many = Array.from({ length: 200 }, (_, i) => QUERIES[i % QUERIES.length]!);
    const ok = await postSeries(ss.url, PROJECT, { queries: many, points: 10 });
    expect(ok.status).toBe(200);
    expect(ok.body.series).toHaveLength(200);
    expect(ok.body.series[199]).toEqual(ok.body.series[199 % QUERIES.length]);
    const over = await postSeries(ss.url, PROJECT, { queries: [...many, QUERIES[0]], points: 10 });
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ code: 'SS_ERR_QUERY_PARAM', details: { param: 'queries', limit: 200 } });
  });

  it('refuses a malformed body with 400 SS_ERR_QUERY_PARAM naming the field', async () => {
    const q = { run: 'job', metric: 'loss', rank: 0 };
    const cases: [unknown, string][] = [
      [{}, 'queries'],
      [{ queries: q }, 'queries'],
      [{ queries: [q], tier: 'raw' }, 'tier'],
      [{ queries: [q, { run: 'job' }] }, 'queries[1].metric'],
      [{ queries: [q, { ...q, rank: '1' }] }, 'queries[1].rank'],
      [{ queries: [q, { ...q, rank: -2 }] }, 'queries[1].rank'],
      [{ queries: [{ ...q, lineage: 'own' }] }, 'queries[0].lineage'],
      [{ queries: [{ ...q, metric: 'bad metric' }] }, 'queries[0].metric'],
      [{ queries: [{ ...q, run: '' }] }, 'queries[0].run'],
      [{ queries: [q], points: 0 }, 'points'],
      [{ queries: [q], points: 1.5 }, 'points'],
      [{ queries: [q], from: 10, to: 10 }, 'to'],
      [{ queries: [q], x: 'wall' }, 'x'],
      [{ queries: Array.from({ length: 11 }, () => q), points: 100_000 }, 'points'],
      [[q], 'body'],
      ['{"queries": [', 'body'],
      ['', 'body'],
    ];
    for (const [body, param] of cases) {
      const res = await postSeries(ss.url, PROJECT, body);
      expect({ body, status: res.status, code: res.body.code, param: res.body.details?.param }).toEqual({ body, status: 400, code: 'SS_ERR_QUERY_PARAM', param });
      expect(res.body.message.startsWith(`${param}: `), res.body.message).toBe(true);
    }
    const text = await postSeries(ss.url, PROJECT, JSON.stringify({ queries: [q] }), 'text/plain');
    expect([text.status, text.body.code]).toEqual([415, 'SS_ERR_CONTENT_TYPE']);
    const query = await fetch(`${ss.url}/v1/projects/${PROJECT}/series?points=5`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ queries: [q] }) });
    expect([query.status, ((await query.json()) as { details: { param: string } }).details.param]).toEqual([400, 'points']);
  });
});
