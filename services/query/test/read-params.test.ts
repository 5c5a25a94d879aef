// Every parameter of every read route: what is refused (a 400 in the service's
// error shape, naming the parameter) and what an open range answers. The store
// is stubbed: one run, one metric at rank -1 with points at steps 100..199.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '@stepstream/runtime';
import { bucketColumns, type BucketRow, type RunFacts, type RunRow, type SegmentFilter, type SeriesColumns, type SeriesRead, type Store } from '@stepstream/storage';
import { ranksRoutes } from '../src/ranks-routes.js';
import { runsRoutes } from '../src/runs-routes.js';
import { seriesRoute } from '../src/series-route.js';

const RUN: RunRow = {
  id: 'r', name: 'run', status: 1, tags: [], config_json: '{"lr":1}', meta: {}, started_ms: 0, finished_ms: 0, last_step: 199, metric_count: 1,
  bytes: { name: 3, config: 8, tags: 0, meta: 0 },
};
const SUMMARY = { first_step: 100, last_step: 199, count: 100, nonfinite: 0, last: 1, min: 1, max: 1 };

function stubStore(): Store {
  const has = (project: string, run: string) => project === 'p' && run === 'r';
  const reads = {
    async projectExists(project: string) { return project === 'p'; },
    async runs(project: string, opts: { run?: string }) { return has(project, opts.run ?? 'r') ? [RUN] : []; },
  };
  const lineage = {
    async facts(project: string, runs: readonly string[]): Promise<Map<string, RunFacts>> {
      const attempts = [{ attempt: 0, firstStep: 100, lastStep: 199, points: 100, resumeStep: null }];
      return new Map(runs.filter((run) => has(project, run)).map((run) => [run, { run, forkOf: null, attempts }]));
    },
    async summaries(project: string, segs: readonly unknown[], filter: SegmentFilter = {}) {
      const hit = project === 'p' && segs.length > 0 && (filter.metric ?? 'm') === 'm' && (filter.rank ?? -1) === -1;
      return hit ? [{ metric: 'm', rank: -1, ...SUMMARY }] : [];
    },
    async metricSummaries(project: string) { return project === 'p' ? [{ name: 'm', ranks: 1, ...SUMMARY }] : []; },
    async seriesColumns(q: Omit<SeriesRead, 'run'>): Promise<SeriesColumns> {
      const out: BucketRow[] = [];
      for (let x = Math.floor(100 / q.bucket) * q.bucket; x < 200; x += q.bucket) {
        const lo = Math.max(x, 100), hi = Math.min(x + q.bucket, 200);
        if ((q.lo !== undefined && x < q.lo) || (q.hi !== undefined && x >= q.hi)) continue;
        out.push({ x, firstStep: lo, lastStep: hi - 1, min: 1, max: 1, sum: hi - lo, count: hi - lo, nonfinite: 0, first: 1, last: 1 });
      }
      return bucketColumns(out);
    },
  };
  const runList = {
    async page(q: { project: string }) { return { runs: q.project === 'p' ? [{ id: 'r', hasKey: true, key: 'r' }] : [], asOf: 0 }; },
    async unplainCandidates() { return []; },
    async metricFigures() { return new Map(); },
  };
  return { reads, lineage, runList } as unknown as Store;
}

describe('read route parameters', () => {
  const { app } = createHttpServer({ logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }), registry: new Registry(), bodyLimit: 1024, readiness: () => ({}) });
  beforeAll(async () => {
    const store = stubStore();
    await app.register(async (scope) => {
      await runsRoutes(scope, { store });
      await ranksRoutes(scope, { store, defaultPoints: 1000 });
      await seriesRoute(scope, { store, defaultPoints: 1000 });
    });
  });
  afterAll(async () => { await app.close(); });

  const get = (url: string) => app.inject({ method: 'GET', url });
  const SERIES = '/v1/projects/p/runs/r/series?metric=m';

  /** A 400 SS_ERR_QUERY_PARAM naming `param`, in the service's error shape. */
  async function refused(url: string, param: string, message?: RegExp) {
    const res = await get(url);
    const body = res.json<{ statusCode: number; code: string; error: string; message: string; details: { param: string } }>();
    expect({ url, status: res.statusCode, code: body.code, param: body.details?.param }).toEqual({ url, status: 400, code: 'SS_ERR_QUERY_PARAM', param });
    expect(body.statusCode).toBe(400);
    expect(body.error).toBe('Bad Request');
    expect(body.message.startsWith(`${param}: `)).toBe(true);
    if (message) expect(body.message).toMatch(message);
    return body;
  }

  it('answers the valid requests', async () => {
    for (const url of ['/v1/projects/p/runs', '/v1/projects/p/runs/r', '/v1/projects/p/runs/r/ranks?metric=m', SERIES,
      `${SERIES}&rank=-1&from=0&to=9007199254740992&points=100000&tier=raw`, `${SERIES}&from=00100&points=7`]) {
      expect({ url, status: (await get(url)).statusCode }).toEqual({ url, status: 200 });
    }
  });

  it('refuses a parameter a route does not take, naming it', async () => {
    await refused('/v1/projects/p/runs/r?limit=10', 'limit', /not a parameter of this route \(it takes none\)/);
    await refused('/v1/projects/p/runs?limits=10', 'limits', /it takes q, tag, status, sort, limit, cursor, summary, config\.KEY/);
    await refused('/v1/projects/p/runs?limit=1001', 'limit', /must be <= 1000/);
    await refused('/v1/projects/p/runs?sort=name&sort=id', 'sort', /more than once/);
    await refused('/v1/projects/p/runs/r?metric=m', 'metric');
    await refused('/v1/projects/p/runs/r/ranks?metric=m&rank=abc', 'rank', /it takes metric/);
    await refused(`${SERIES}&form=10`, 'form', /it takes metric, rank, from, to, points, tier/);
    await refused(`${SERIES}&__proto__=1`, '__proto__');
  });

  it('refuses a parameter given twice, an empty one, and a missing one', async () => {
    await refused('/v1/projects/p/runs/r/series?metric=m&metric=n', 'metric', /more than once/);
    await refused(`${SERIES}&from=1&from=2`, 'from', /more than once/);
    await refused('/v1/projects/p/runs/r/ranks?metric=m&metric=m', 'metric', /more than once/);
    await refused('/v1/projects/p/runs/r/series', 'metric', /is required/);
    await refused('/v1/projects/p/runs/r/ranks', 'metric', /is required/);
    await refused('/v1/projects/p/runs/r/series?metric=', 'metric');
    await refused(`${SERIES}&rank=`, 'rank', /decimal integer/);
    await refused(`${SERIES}&tier=`, 'tier');
  });

  it('refuses integers that are not plain decimals or out of range, with the limit', async () => {
    for (const v of ['abc', '0x10', '1e3', '%207', '7%20', '1.5', '-', '9007199254740993', '99999999999999999999']) {
      await refused(`${SERIES}&from=${v}`, 'from');
    }
    expect((await refused(`${SERIES}&from=-1`, 'from', />= 0/)).details).toEqual({ param: 'from', limit: 0 });
    expect((await refused(`${SERIES}&to=9007199254740994`, 'to', /<= 9007199254740992/)).details).toEqual({ param: 'to', limit: 2 ** 53 });
    expect((await refused(`${SERIES}&points=0`, 'points')).details).toEqual({ param: 'points', limit: 1 });
    expect((await refused(`${SERIES}&points=100001`, 'points')).details).toEqual({ param: 'points', limit: 100_000 });
    await refused(`${SERIES}&rank=-2`, 'rank');
    await refused(`${SERIES}&rank=2147483648`, 'rank');
    await refused(`${SERIES}&tier=fast`, 'tier', /allowed values/);
    await refused(`${SERIES}&from=10&to=10`, 'to', /greater than from/);
  });

  it('refuses metric names and ids that ingest never accepts', async () => {
    await refused('/v1/projects/p/runs/r/series?metric=a%20b', 'metric', /must match pattern/);
    await refused(`/v1/projects/p/runs/r/series?metric=${'a'.repeat(201)}`, 'metric');
    await refused('/v1/projects/p/runs/r/ranks?metric=a%00b', 'metric');
    await refused('/v1/projects/p%01/runs', 'project');
    await refused(`/v1/projects/p/runs/${'r'.repeat(257)}`, 'run', /256/);
    // Odd but valid ids are looked up as they are, up to ingest's 256 bytes.
    expect((await get(`/v1/projects/p/runs/${'%C3%A9'.repeat(128)}`)).json()).toMatchObject({ code: 'SS_ERR_RUN_NOT_FOUND' });
    expect((await get(`/v1/projects/p/runs/${'r'.repeat(256)}/ranks?metric=m`)).json()).toMatchObject({ code: 'SS_ERR_RUN_NOT_FOUND' });
    expect((await get('/v1/projects/p/runs/a%2Fb%3F%20%C3%A9')).json()).toMatchObject({ code: 'SS_ERR_RUN_NOT_FOUND', details: { run: 'a/b? é' } });
  });

  it('answers a URL the router cannot take in the same error shape', async () => {
    for (const [url, status, code] of [['/v1/projects/p/runs/%E0%A4%A', 400, 'SS_ERR_BAD_URL'], [`/v1/projects/p/runs/${'r'.repeat(1025)}`, 414, 'SS_ERR_URL_TOO_LONG']] as const) {
      const res = await get(url);
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({ statusCode: status, code, error: expect.any(String) as unknown, message: expect.any(String) as unknown });
    }
  });

  it('answers an open end that would cross the given one as an empty range at the given end', async () => {
    // The series holds steps 100..199.
    expect((await get(`${SERIES}&from=500`)).json()).toMatchObject({ from: 500, to: 500, x: [], count: [] });
    expect((await get(`${SERIES}&to=50`)).json()).toMatchObject({ from: 50, to: 50, x: [], count: [] });
    expect((await get(`${SERIES}&from=150`)).json()).toMatchObject({ from: 150, to: 200 });
    expect((await get(`${SERIES}&from=199`)).json()).toMatchObject({ from: 199, to: 200, x: [199] });
    expect((await get(`${SERIES}&from=200`)).json()).toMatchObject({ from: 200, to: 200, x: [] });
  });
});
