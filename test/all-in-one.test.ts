// The whole path in one process: protobuf in, every tier's answer out, equal
// to the same aggregation over the raw points.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, pb, type TestSeries } from './support/requests.js';
import { referenceBuckets, sameValue, type RefPoint } from './support/reference.js';
import { getJson, postBatch, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';
import { newKey } from '@stepstream/runtime';

const RUN = 'e2e-run';
const RANKS = [-1, 0, 1, 2, 3, 4, 5, 6, 7];
const BIG = 2 ** 32 + 1000; // steps past 2^32 for rank 7

/** The dataset: gaps, NaN/Inf, ranks -1..7, one rank far past 2^32. */
function dataset(): Map<string, RefPoint[]> {
  const out = new Map<string, RefPoint[]>();
  for (const rank of RANKS) {
    for (const metric of ['loss', 'grad/norm']) {
      const pts: RefPoint[] = [];
      const base = rank === 7 ? BIG : 0;
      for (let i = 0; i < 30_000; i++) {
        if ((i + rank * 13) % 1000 < 50) continue; // a gap every 1000 steps
        if (i > 20_000 && i < 24_000) continue; // a long gap
        let v = Math.sin(i / 300 + rank) * 5 + (metric === 'loss' ? 10 - i / 5000 : 1);
        if (i === 777 + rank) v = NaN;
        if (i === 15_000) v = rank % 2 ? Infinity : -Infinity;
        pts.push({ step: base + i * (metric === 'loss' ? 1 : 7), value: v });
      }
      out.set(`${metric}|${rank}`, pts);
    }
  }
  return out;
}

describe('all-in-one target', () => {
  let ss: Started;
  const data = dataset();
  beforeAll(async () => { ss = await startInProcess(); });
  afterAll(async () => { await ss?.stop(); });

  it('ingests out-of-order and retried batches, then answers every tier exactly', async () => {
    // Batches of 500 steps per (metric, rank), sent in shuffled order, some twice.
    const batches: Buffer[] = [];
    let seq = 0;
    for (const [key, pts] of data) {
      const [metric, rankText] = key.split('|');
      for (let i = 0; i < pts.length; i += 500) {
        const chunk = pts.slice(i, i + 500);
        const series: TestSeries = { metric: metric!, rank: Number(rankText), steps: chunk.map((p) => p.step), values: chunk.map((p) => p.value) };
        batches.push(encodeRequest({ project: 'e2e', runId: RUN, clientId: `client-${rankText}`, sequence: ++seq, series: [series] }));
      }
    }
    batches.push(encodeRequest({ project: 'e2e', runId: RUN, clientId: 'meta', sequence: 1, run: { name: 'end to end', configJson: '{"lr":0.001,"layers":[1,2]}', tags: ['ci'], status: pb.v1.RunStatus.FINISHED, startedMs: 1000, finishedMs: 2000 } }));
    let s = 7;
    const order = batches.map((_, i) => i).sort(() => { s = (s * 16807) % 2147483647; return s % 3 - 1; });
    const retries = order.filter((_, i) => i % 9 === 0);
    for (const i of [...order, ...retries]) {
      const res = await postBatch(ss.url, batches[i]!);
      expect(res.status).toBe(202);
    }
    // and the retries again, after their originals were surely stored
    const total = [...data.values()].reduce((a, p) => a + p.length, 0);
    await waitFor('all points stored', async () => {
      const { body } = await getJson(`${ss.url}/v1/projects/e2e/runs/${RUN}`);
      const count = (body.metrics ?? []).reduce((a: number, m: { count: number }) => a + m.count, 0);
      return count === total ? count : undefined;
    });
    for (const i of retries) expect((await postBatch(ss.url, batches[i]!)).status).toBe(202);
    // Each retried batch came twice more: every repeat skipped, none stored.
    const duplicates = async () => Number(/^stepstream_writer_duplicate_batches_total (\d+)/m.exec(await (await fetch(`${ss.url}/metrics`)).text())?.[1] ?? 0);
    await waitFor('the retries to be skipped', async () => ((await duplicates()) >= 2 * retries.length ? true : undefined));
    expect(await duplicates()).toBe(2 * retries.length);

    const detail = (await getJson(`${ss.url}/v1/projects/e2e/runs/${RUN}`)).body;
    expect(detail).toMatchObject({ id: RUN, name: 'end to end', status: 'finished', tags: ['ci'], config: { lr: 0.001, layers: [1, 2] }, started_ms: 1000, finished_ms: 2000, metric_count: 2 });
    expect(detail.metrics.reduce((a: number, m: { count: number }) => a + m.count, 0)).toBe(total);
    const loss = detail.metrics.find((m: { name: string }) => m.name === 'loss');
    expect(loss).toMatchObject({ ranks: 9, first_step: 0, last_step: BIG + 29_999 });

    const ranks = (await getJson(`${ss.url}/v1/projects/e2e/runs/${RUN}/ranks?metric=loss`)).body;
    expect(ranks.ranks.map((r: { rank: number }) => r.rank)).toEqual(RANKS);

    const runs = (await getJson(`${ss.url}/v1/projects/e2e/runs`)).body;
    expect(runs.runs).toHaveLength(1);
    const lastStep = Math.max(...[...data.values()].map((p) => p.at(-1)!.step));
    expect(runs.runs[0]).toMatchObject({ id: RUN, last_step: lastStep, metric_count: 2 });

    // Every tier, many ranges and budgets, against the reference.
    const num = (v: number | string | null) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number | null));
    const seen = new Set<number>();
    for (const [key, pts] of data) {
      const [metric, rank] = key.split('|');
      const first = pts[0]!.step, last = pts.at(-1)!.step;
      const ranges: [number | undefined, number | undefined][] = [[undefined, undefined], [first + 5_000, undefined], [undefined, first + 24_010], [first + 100, first + 350], [first + 5_000, first + 95_000], [first + 19_990, first + 24_010], [first, first + 200_000]];
      for (const [from, to] of ranges) {
        for (const points of [10, 137, 1000, 5000]) {
          const qs = new URLSearchParams({ metric: metric!, rank: rank!, points: String(points) });
          if (from !== undefined) qs.set('from', String(from));
          if (to !== undefined) qs.set('to', String(to));
          const res = await getJson(`${ss.url}/v1/projects/e2e/runs/${RUN}/series?${qs}`);
          expect(res.status).toBe(200);
          const b = res.body;
          const f = from ?? first, t = to ?? last + 1;
          seen.add(b.tier);
          expect(b.bucket).toBeLessThanOrEqual(Math.max(1, 2 * Math.ceil((t - f) / points)));
          if (t - f <= points) expect(b.bucket).toBe(1);
          expect(b.x.length).toBeLessThanOrEqual(points + 1);
          const want = referenceBuckets(pts, b.bucket, f, t);
          expect(b.x).toEqual(want.map((w) => w.x));
          want.forEach((w, i) => {
            const ctx = `${key} [${f},${t}) points=${points} bucket=${b.bucket} x=${w.x}`;
            expect([b.count[i], b.nonfinite[i]], ctx).toEqual([w.count, w.nonfinite]);
            expect(sameValue(b.min[i], w.min) && sameValue(b.max[i], w.max), ctx).toBe(true);
            expect(sameValue(num(b.first[i]), w.first) && sameValue(num(b.last[i]), w.last), ctx).toBe(true);
            expect(sameValue(b.mean[i], w.mean, 1e-12), `${ctx} mean`).toBe(true);
          });
        }
      }
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 256, 4096]);

    // tier=raw: the same answer computed over the raw points
    const qs = `metric=loss&rank=3&points=100`;
    const [tiered, raw] = await Promise.all([getJson(`${ss.url}/v1/projects/e2e/runs/${RUN}/series?${qs}`), getJson(`${ss.url}/v1/projects/e2e/runs/${RUN}/series?${qs}&tier=raw`)]);
    expect(tiered.body.tier).toBeGreaterThan(0);
    expect(raw.body.tier).toBe(0);
    expect({ ...raw.body, tier: 0, mean: null }).toEqual({ ...tiered.body, tier: 0, mean: null });
  }, 120_000);

  it('answers 404 with a JSON body for unknown project, run and metric, and 400 for bad parameters', async () => {
    const base = `${ss.url}/v1/projects`;
    expect((await getJson(`${base}/nope/runs`)).body.code).toBe('SS_ERR_PROJECT_NOT_FOUND');
    expect((await getJson(`${base}/e2e/runs/nope`)).body.code).toBe('SS_ERR_RUN_NOT_FOUND');
    expect((await getJson(`${base}/nope/runs/nope/series?metric=loss`)).body.code).toBe('SS_ERR_PROJECT_NOT_FOUND');
    expect((await getJson(`${base}/e2e/runs/${RUN}/series?metric=nope`)).status).toBe(404);
    expect((await getJson(`${base}/e2e/runs/${RUN}/series?metric=loss&rank=99`)).body.code).toBe('SS_ERR_METRIC_NOT_FOUND');
    expect((await getJson(`${base}/e2e/runs/${RUN}/ranks?metric=nope`)).status).toBe(404);
    const bad = await getJson(`${base}/e2e/runs/${RUN}/series?metric=loss&from=10&to=5`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'SS_ERR_QUERY_PARAM', details: { param: 'to' } });
    expect((await getJson(`${base}/e2e/runs/${RUN}/series?metric=loss&points=0`)).body.details).toEqual({ param: 'points', limit: 1 });
    expect((await getJson(`${base}/e2e/runs/${RUN}/series`)).body.details).toEqual({ param: 'metric' });
  });

  it('serves health, readiness, metrics and the dashboard', async () => {
    expect((await fetch(`${ss.url}/healthz`)).status).toBe(200);
    expect((await getJson(`${ss.url}/readyz`)).body).toMatchObject({ ready: true });
    const metrics = await (await fetch(`${ss.url}/metrics`)).text();
    for (const name of ['stepstream_points_accepted_total', 'stepstream_points_rejected_total', 'stepstream_queue_depth_points', 'stepstream_queue_depth_bytes', 'stepstream_writer_flush_points', 'stepstream_writer_flush_seconds', 'stepstream_store_errors_total', 'stepstream_http_requests_total']) {
      expect(metrics).toContain(name);
    }
    const html = await (await fetch(`${ss.url}/`)).text();
    expect(html).toContain('<title>Stepstream</title>');
  });
});

describe('API keys', () => {
  let ss: Started;
  const write = newKey('secure', 'write');
  const read = newKey('secure', 'read');
  const other = newKey('elsewhere', 'write');
  beforeAll(async () => {
    ss = await startInProcess({ 'api-keys': [write, read, other].map(({ entry: e }) => `${e.project}:${e.role}:${e.sha256}`).join(',') });
  });
  afterAll(async () => { await ss?.stop(); });

  const ingest = (key?: string) => fetch(`${ss.url}/v1/ingest`, {
    method: 'POST',
    body: encodeRequest({ project: 'secure', runId: 'r', series: [{ metric: 'm', steps: [1], values: [1] }] }),
    headers: { 'content-type': 'application/x-protobuf', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  const runs = (key?: string) => fetch(`${ss.url}/v1/projects/secure/runs`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('lets a write key of the project ingest and read, a read key only read', async () => {
    expect((await ingest(write.key)).status).toBe(202);
    await waitFor('stored', async () => ((await runs(read.key)).status === 200 ? true : undefined));
    expect((await runs(write.key)).status).toBe(200);
    const res = await ingest(read.key);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('SS_ERR_FORBIDDEN');
  });

  it('refuses no key, an unknown key and another project\'s key', async () => {
    const none = await ingest();
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('SS_ERR_UNAUTHORIZED');
    expect((await ingest('ss_not-a-key')).status).toBe(401);
    expect((await ingest(other.key)).status).toBe(403);
    expect((await runs()).status).toBe(401);
    expect((await runs(other.key)).status).toBe(403);
    expect((await fetch(`${ss.url}/healthz`)).status).toBe(200);
  });
});
