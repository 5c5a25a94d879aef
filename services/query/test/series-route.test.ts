// The series route's open ranges: planned from the extent the series had at
// its last request, checked against what the read returns. The store is
// stubbed by an in-memory series (this test is about the route's side of the
// Reads boundary); every answer is compared with a fresh two-step plan.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { bucketColumns, type BucketRow, type RunFacts, type SeriesColumns, type SeriesRead, type SeriesSummaryRow, type Store } from '@stepstream/storage';
import { seriesRoute } from '../src/series-route.js';

/** One series in memory and the reads the route makes of it, counted. */
function memoryStore(points: Map<number, number>) {
  const calls = { series: 0, seriesRange: 0 };
  const extent = () => {
    const steps = [...points.keys()];
    return { first: Math.min(...steps), last: Math.max(...steps) };
  };
  const lineage = {
    /** One attempt holding every point: its one segment is the whole series. */
    async facts(): Promise<Map<string, RunFacts>> {
      if (!points.size) return new Map();
      const { first, last } = extent();
      return new Map([['r', { run: 'r', forkOf: null, attempts: [{ attempt: 0, firstStep: first, lastStep: last, points: points.size, resumeStep: null }] }]]);
    },
    async summaries(): Promise<SeriesSummaryRow[]> {
      calls.seriesRange++;
      if (!points.size) return [];
      const { first, last } = extent();
      return [{ metric: 'm', rank: -1, first_step: first, last_step: last, count: points.size, nonfinite: 0, last: points.get(last)!, min: null, max: null, sum: null }];
    },
    async seriesColumns(q: Omit<SeriesRead, 'run'>): Promise<SeriesColumns> {
      calls.series++;
      const buckets = new Map<number, BucketRow>();
      for (const step of [...points.keys()].sort((a, b) => a - b)) {
        if ((q.lo !== undefined && step < q.lo) || (q.hi !== undefined && step >= q.hi)) continue;
        const value = points.get(step)!;
        const x = Math.floor(step / q.bucket) * q.bucket;
        const b = buckets.get(x) ?? { x, firstStep: step, lastStep: step, min: value, max: value, sum: 0, count: 0, nonfinite: 0, first: value, last: value };
        b.lastStep = step; b.last = value; b.min = Math.min(b.min!, value); b.max = Math.max(b.max!, value);
        b.sum += value; b.count++;
        buckets.set(x, b);
      }
      return bucketColumns([...buckets.values()]);
    },
  };
  const reads = { async runs() { return []; }, async projectExists() { return true; } };
  return { store: { reads, lineage } as unknown as Store, calls };
}

async function app(points: Map<number, number>) {
  const { store, calls } = memoryStore(points);
  const server = Fastify();
  await server.register(async (scope) => seriesRoute(scope, { store, defaultPoints: 100 }));
  const get = async (qs: string) => {
    const res = await server.inject({ method: 'GET', url: `/v1/projects/p/runs/r/series?metric=m&${qs}` });
    expect(res.statusCode).toBe(200);
    return res.json<{ from: number; to: number; bucket: number; tier: number; x: number[]; count: number[]; first: number[]; last: number[] }>();
  };
  return { server, calls, get };
}

const fill = (points: Map<number, number>, from: number, to: number) => { for (let s = from; s < to; s++) points.set(s, Math.sin(s)); };

describe('series route, open ranges', () => {
  it('answers a repeated open-range request with one read, equal to the request with its range given', async () => {
    const points = new Map<number, number>();
    fill(points, 0, 50_000);
    const { server, calls, get } = await app(points);
    const cold = await get('points=1000');
    expect(calls).toEqual({ series: 1, seriesRange: 1 });
    const warm = await get('points=1000');
    expect(calls).toEqual({ series: 2, seriesRange: 1 });
    expect(warm).toEqual(cold);
    expect(warm).toEqual(await get(`points=1000&from=0&to=50000`));
    await server.close();
  });

  it('reads again with the right plan when the series grew past the remembered extent', async () => {
    const points = new Map<number, number>();
    fill(points, 0, 3_000);
    const { server, calls, get } = await app(points);
    await get('points=100'); // remembers [0, 2999]: bucket 32
    fill(points, 3_000, 7_000); // now bucket 128: the guess is wrong
    const before = { ...calls };
    const grown = await get('points=100');
    expect(grown).toMatchObject({ from: 0, to: 7_000, bucket: 128 });
    expect(calls.series - before.series).toBe(2);
    expect(calls.seriesRange).toBe(before.seriesRange);
    expect(grown).toEqual(await get('points=100&from=0&to=7000'));
    // grown a little, same plan: one read, the new points in it
    fill(points, 7_000, 7_050);
    const mark = calls.series;
    const more = await get('points=100');
    expect(calls.series - mark).toBe(1);
    expect(more.to).toBe(7_050);
    expect(more.count.reduce((a, b) => a + b, 0)).toBe(7_050);
    await server.close();
  });

  it('finds points that arrived before the remembered first step, and keeps the given end of a half-open range', async () => {
    const points = new Map<number, number>();
    fill(points, 1_000, 9_000);
    const { server, calls, get } = await app(points);
    await get('points=100');
    fill(points, 900, 1_000);
    const early = await get('points=100');
    expect(early.from).toBe(900);
    expect(early).toEqual(await get('points=100&from=900&to=9000'));
    expect(await get('points=100&from=4000')).toEqual(await get('points=100&from=4000&to=9000'));
    expect(await get('points=100&to=5000')).toEqual(await get('points=100&from=900&to=5000'));
    // the half-open reads did not spoil the remembered extent: the full range is one read again
    const mark = calls.series;
    expect(await get('points=100')).toEqual(early);
    expect(calls.series - mark).toBe(1);
    await server.close();
  });
});
