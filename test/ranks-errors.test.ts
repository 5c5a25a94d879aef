// Cross-rank reads (issue 12) that answer no figures: a metric only rank -1
// has (404 from every cross-rank read, listed by /ranks), /series without a
// rank for a per-rank metric (a 404 that names the ranks and /ranks/series),
// unknown runs and metrics, and the bad parameters' 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitStored } from './support/lineage-check.js';
import { LineageLog } from './support/lineage-log.js';
import type { LineageReference } from './support/lineage-reference.js';
import { MetricCheck } from './support/ranks-check.js';
import { sparseBatches } from './support/ranks-job.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';

const PROJECT = 'ranks-errors';
const CROSS_RANK = ['ranks/series', 'ranks/heatmap', 'ranks/stragglers'];

describe('cross-rank reads: refusals', () => {
  let ss: Started;
  let ref: LineageReference;
  /** Run "sparse": `mem` at ranks 0, 3 and 5 only; `lr` at rank -1 only. */
  const check = (metric: string, run = 'sparse') => MetricCheck.of(ss.url, PROJECT, ref, run, metric);

  beforeAll(async () => {
    ss = await startInProcess();
    const log = new LineageLog(PROJECT);
    await log.post(ss.url, sparseBatches());
    ref = log.reference();
    await waitStored(ss.url, PROJECT, ref);
  });
  afterAll(async () => { await ss?.stop(); });

  it('a metric only rank -1 has: 404 from every cross-rank read; /ranks lists rank -1; /series answers it', async () => {
    const lr = check('lr');
    expect(lr.band.exists()).toBe(false);
    for (const route of CROSS_RANK) await expectStatus(lr.url(route), 404, route);
    await lr.checkList({});
    await lr.checkList({ sort: 'last', order: 'asc', limit: 1 });
    await expectStatus(lr.url('series'), 200, 'series of lr at rank -1');
  });

  it('/series without rank for a metric with no rank -1: the 404 names the ranks and points to /ranks/series', async () => {
    const mem = check('mem');
    const res = await getJson(mem.url('series'));
    expect(res.status).toBe(404);
    expect(typeof res.body.code).toBe('string');
    const message = String(res.body.message);
    expect(message).toContain('/ranks/series');
    for (const rank of [0, 3, 5]) expect(message, `names rank ${rank}: ${message}`).toMatch(new RegExp(`(^|\\D)${rank}(\\D|$)`));
    await expectStatus(mem.url('series', { rank: 3 }), 200, 'series of mem at rank 3');
  });

  it('unknown run or metric: 404 from every cross-rank read and /ranks', async () => {
    for (const route of [...CROSS_RANK, 'ranks']) {
      await expectStatus(check('nope').url(route), 404, `${route} of an unknown metric`);
      await expectStatus(check('mem', 'no-such-run').url(route), 404, `${route} of an unknown run`);
    }
  });

  it('bad parameters: 400 SS_ERR_QUERY_PARAM naming the parameter; the bounds themselves are taken', async () => {
    const mem = check('mem');
    const bad: [string, Record<string, string>, string][] = [
      ['ranks/heatmap', { rows: '0' }, 'rows'], ['ranks/heatmap', { rows: '4097' }, 'rows'], ['ranks/heatmap', { rows: '-2' }, 'rows'],
      ['ranks/heatmap', { stat: 'median' }, 'stat'], ['ranks/heatmap', { stat: 'MEAN' }, 'stat'],
      ['ranks', { sort: 'p50' }, 'sort'], ['ranks', { sort: 'rank' }, 'sort'], ['ranks', { sort: 'mean', order: 'up' }, 'order'],
      ['ranks', { sort: 'mean', limit: '0' }, 'limit'], ['ranks', { sort: 'count', limit: '-1' }, 'limit'],
      ['ranks/stragglers', { k: '0' }, 'k'], ['ranks/stragglers', { k: '-1' }, 'k'], ['ranks/stragglers', { k: 'abc' }, 'k'],
      ['ranks/stragglers', { k: 'NaN' }, 'k'],
    ];
    for (const [route, q, param] of bad) {
      const res = await getJson(mem.url(route, q));
      const ctx = `${route} ${JSON.stringify(q)}: ${JSON.stringify(res.body)}`;
      expect(res.status, ctx).toBe(400);
      expect(res.body.code, ctx).toBe('SS_ERR_QUERY_PARAM');
      expect(res.body.details?.param, ctx).toBe(param);
    }
    await mem.checkHeatmap({ rows: 1 });
    await mem.checkHeatmap({ rows: 4096, stat: 'max' });
    await mem.checkList({ sort: 'min', order: 'asc', limit: 1 });
    await mem.checkStragglers({ k: 0.25 });
  });
});

async function expectStatus(url: string, status: number, what: string): Promise<void> {
  const res = await getJson(url);
  expect(res.status, `${what}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(status);
  if (status < 400) return;
  expect(typeof res.body.code, `${what}: a JSON error body`).toBe('string');
  // A route that is not there is a 404 too, but not the one meant.
  expect(res.body.code, what).not.toBe('SS_ERR_ROUTE_NOT_FOUND');
}
