// GET /v1/projects/:project/runs filtered, sorted and paged, against a
// reference computed from the runs sent (support/run-list-reference.ts):
// every filter and sort alone and combined, paged at several limits; runs
// added, renamed and logging between pages; the limit and cursor errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refFigures, refLastStep, refList, refQueryString, type RefQuery } from './support/run-list-reference.js';
import { postRuns, runListRuns, type SentRun } from './support/run-list-data.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const P = 'runlist';
const jnum = (v: number) => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');

interface Page { runs: { id: string; name: string; last_step: number | null; summary?: Record<string, unknown> }[]; next_cursor: string | null }

/** Every page of a list, in order, and the pages' sizes. */
async function readAll(url: string, q: RefQuery, limit: number): Promise<{ ids: string[]; pages: Page[] }> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: Page } = await getJson<Page>(`${url}/v1/projects/${P}/runs?${refQueryString(q, { limit: String(limit), ...(cursor ? { cursor } : {}) })}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res.body);
    cursor = res.body.next_cursor;
  } while (cursor !== null && pages.length < 1000);
  return { ids: pages.flatMap((p) => p.runs.map((r) => r.id)), pages };
}

describe('run list: filter, sort, page', () => {
  let ss: Started;
  let runs: SentRun[];

  beforeAll(async () => {
    ss = await startInProcess();
    runs = runListRuns(60);
    await postRuns(ss.url, P, runs);
    await waitFor('every run stored with its last step', async () => {
      const { body } = await getJson<Page>(`${ss.url}/v1/projects/${P}/runs?limit=1000`);
      const got = new Map(body.runs?.map((r) => [r.id, r.last_step]));
      return runs.every((r) => got.has(r.id) && got.get(r.id) === refLastStep(r)) ? true : undefined;
    }, 60_000);
  }, 120_000);
  afterAll(async () => { await ss?.stop(); });

  it('answers today\'s list without the new parameters: every run by id, with its fields, and no next page', async () => {
    const { status, body } = await getJson(`${ss.url}/v1/projects/${P}/runs`);
    expect(status).toBe(200);
    expect(body.next_cursor).toBeNull();
    expect(body.runs.map((r: { id: string }) => r.id)).toEqual(refList(runs, {}));
    for (const r of body.runs) {
      const ref = runs.find((x) => x.id === r.id)!;
      expect([r.name, r.tags, r.config, r.last_step, r.started_ms], r.id).toEqual([
        ref.info?.name || ref.id, ref.info?.tags ?? [], ref.info?.config ?? {}, refLastStep(ref), ref.info?.startedMs || null]);
    }
  });

  const queries: RefQuery[] = [
    { sort: 'name' }, { sort: '-name' }, { sort: 'started_ms' }, { sort: '-started_ms' }, { sort: 'last_step' }, { sort: '-last_step' },
    { sort: 'summary.loss' }, { sort: '-summary.loss' }, { sort: '-id' }, { sort: 'summary.nope' },
    { q: 'ALPHA' }, { q: 'run-01' }, { q: 'a-' }, { tag: ['a'] }, { tag: ['a', 'b'] }, { tag: ['c', 'b'], sort: '-started_ms' },
    { status: 'running' }, { status: 'finished', sort: 'name' }, { status: 'crashed', sort: '-summary.loss' },
    { config: { lr: '0.1' } }, { config: { s: '0.1' } }, { config: { lr: '1' }, sort: 'last_step' }, { config: { flag: 'true' } }, { config: { seed: 'null' } },
    { config: { 'opt.name': 'adam', 'opt.deep.on': 'true' } }, { config: { 'opt.beta': '2' }, tag: ['a'] }, { config: { 'opt.nope': 'x' } },
    { q: 'e', tag: ['b'], status: 'running', sort: 'summary.loss' }, { q: 'zzz' },
  ];

  it('lists exactly the reference\'s runs in its order, paged at several limits', async () => {
    for (const q of queries) {
      const want = refList(runs, q);
      for (const limit of [7, 25, 1000]) {
        const { ids, pages } = await readAll(ss.url, q, limit);
        expect(ids, `${refQueryString(q)} limit ${limit}`).toEqual(want);
        expect(pages.length, `${refQueryString(q)} limit ${limit}`).toBe(Math.max(1, Math.ceil(want.length / limit)));
      }
    }
  });

  it('adds each metric\'s last, min and max over the effective points (null without the metric)', async () => {
    const { ids, pages } = await readAll(ss.url, { summary: ['loss', 'acc', 'none'], sort: '-summary.loss' }, 9);
    expect(ids).toEqual(refList(runs, { sort: '-summary.loss' }));
    for (const r of pages.flatMap((p) => p.runs)) {
      const ref = runs.find((x) => x.id === r.id)!;
      const fig = (m: string) => { const f = refFigures(ref, m); return f && { ...f, last: jnum(f.last) }; };
      expect(r.summary, r.id).toEqual({ loss: fig('loss'), acc: fig('acc'), none: null });
    }
    const restarted = pages.flatMap((p) => p.runs).find((r) => r.id === 'restarted')!;
    expect([restarted.last_step, (restarted.summary!['loss'] as { last: number }).last]).toEqual([149, -50]);
  });

  it('refuses a limit over 1000 or under 1, naming it, and a cursor it did not give', async () => {
    const over = await getJson(`${ss.url}/v1/projects/${P}/runs?limit=1001`);
    expect([over.status, over.body.code, over.body.details?.param, over.body.details?.limit]).toEqual([400, 'SS_ERR_QUERY_PARAM', 'limit', 1000]);
    expect((await getJson(`${ss.url}/v1/projects/${P}/runs?limit=0`)).status).toBe(400);
    for (const cursor of ['garbage', 'eyJmIjoxfQ', Buffer.from('{"f":"x","a":1,"h":1,"k":"a","i":"b"}').toString('base64url')]) {
      const bad = await getJson(`${ss.url}/v1/projects/${P}/runs?cursor=${cursor}`);
      expect([bad.status, bad.body.details?.param], cursor).toEqual([400, 'cursor']);
    }
    const byName = await getJson(`${ss.url}/v1/projects/${P}/runs?sort=name&limit=5`);
    const other = await getJson(`${ss.url}/v1/projects/${P}/runs?sort=-name&limit=5&cursor=${byName.body.next_cursor}`);
    expect([other.status, other.body.details?.param]).toEqual([400, 'cursor']);
    const bySummary = await getJson(`${ss.url}/v1/projects/${P}/runs?sort=summary.loss&limit=5`);
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(bySummary.body.next_cursor, 'base64url').toString()), s: 'no-such' })).toString('base64url');
    const expired = await getJson(`${ss.url}/v1/projects/${P}/runs?sort=summary.loss&limit=5&cursor=${forged}`);
    expect([expired.status, expired.body.details?.param]).toEqual([400, 'cursor']);
    expect((await getJson(`${ss.url}/v1/projects/${P}/runs?tag=a&tag=b&tag=c&status=nope`)).status).toBe(400);
    expect((await getJson(`${ss.url}/v1/projects/${P}/runs?config.=1`)).status).toBe(400);
    expect((await getJson(`${ss.url}/v1/projects/no-such-project/runs`)).status).toBe(404);
    expect((await getJson(`${ss.url}/v1/projects/${P}/runs?q=zzz`)).body).toEqual({ runs: [], next_cursor: null });
  });
});
