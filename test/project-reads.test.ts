// GET /v1/projects and GET /v1/projects/:project/metrics against an
// all-in-one Stepstream: the runs and last receipt of each project (runs sent
// without client_id or RunInfo included), each metric with the runs that
// have effective points of it (a restart superseding a metric, a fork
// inheriting one, a run with only its RunInfo), and with API keys on, only
// the projects a key may read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '@stepstream/runtime';
import { waitStored } from './support/lineage-check.js';
import { attemptBatches, LineageLog } from './support/lineage-log.js';
import type { LineageReference } from './support/lineage-reference.js';
import { encodeRequest } from './support/requests.js';
import { getJson, postBatch, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

/** Each metric with the runs whose effective history has points of it, by name. */
function referenceMetrics(ref: LineageReference): { name: string; runs: number }[] {
  const runs = new Map<string, number>();
  for (const run of ref.runIds()) for (const m of new Set(ref.effective(run).map((p) => p.metric))) runs.set(m, (runs.get(m) ?? 0) + 1);
  return [...runs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, n]) => ({ name, runs: n }));
}

const within = (t: unknown, lo: number, hi: number) => typeof t === 'number' && t >= lo && t <= hi;

describe('project list and metrics', () => {
  let ss: Started;
  let ref: LineageReference;
  const posted: Record<string, [number, number]> = {};

  beforeAll(async () => {
    ss = await startInProcess();
    const log = new LineageLog('alpha');
    await log.post(ss.url, [
      ...attemptBatches({ run: 'a1', attempt: 0, from: 0, to: 50_000, stride: 100, ranks: [0], extra: [{ metric: 'eval/acc', from: 0, to: 50_000, stride: 5000 }] }),
      // grad below 100,000 stays effective (and the fork inherits it); eval/acc above 300,000 is all superseded by attempt 1.
      ...attemptBatches({ run: 'a2', attempt: 0, from: 0, to: 400_000, stride: 211, ranks: [0, 1], extra: [
        { metric: 'grad', from: 0, to: 100_000, stride: 1000 }, { metric: 'eval/acc', from: 300_000, to: 400_000, stride: 10_000 }] }),
      ...attemptBatches({ run: 'a2', attempt: 1, from: 250_000, to: 600_000, stride: 211, ranks: [0], resumeStep: 250_000 }),
      ...attemptBatches({ run: 'a3', attempt: 0, from: 350_000, to: 450_000, stride: 97, ranks: [0], fork: { run: 'a2', step: 350_000 } }),
    ]);
    const before = Date.now();
    await log.post(ss.url, [{ run: 'info-only', attempt: 0, clientId: 'c', sequence: 1, series: [], info: { name: 'no points yet' } }]);
    posted['alpha'] = [before, Date.now()];
    ref = log.reference();
    await waitStored(ss.url, 'alpha', ref);
    // No client_id and no RunInfo: nothing but the points says when they came.
    const b0 = Date.now();
    const res = await postBatch(ss.url, encodeRequest({ project: 'beta', runId: 'b1', series: [{ metric: 'loss', steps: [1, 2, 3], values: [3, 2, 1] }] }));
    expect(res.status).toBe(202);
    posted['beta'] = [b0, Date.now()];
    await waitFor('beta stored', async () => ((await getJson(`${ss.url}/v1/projects/beta/runs`)).status === 200 ? true : undefined));
  }, 120_000);
  afterAll(async () => { await ss?.stop(); });

  it('lists every project by name with its runs and the latest receipt of anything stored for it', async () => {
    const { status, body } = await waitFor('both projects listed', async () => {
      const got = await getJson(`${ss.url}/v1/projects`);
      return got.body.projects?.length === 2 ? got : undefined;
    });
    expect(status).toBe(200);
    expect(body.projects.map((p: { name: string; runs: number }) => [p.name, p.runs])).toEqual([['alpha', ref.runIds().length], ['beta', 1]]);
    for (const p of body.projects) expect(within(p.last_ingest_ms, ...posted[p.name]!), `${p.name}: ${p.last_ingest_ms} in ${posted[p.name]}`).toBe(true);
    const bad = await getJson(`${ss.url}/v1/projects?limit=1`);
    expect([bad.status, bad.body.details?.param]).toEqual([400, 'limit']);
  });

  it('lists each metric with the runs that have effective points of it', async () => {
    const want = referenceMetrics(ref);
    expect(want).toEqual([{ name: 'eval/acc', runs: 1 }, { name: 'grad', runs: 2 }, { name: 'loss', runs: 3 }, { name: 'lr', runs: 3 }]);
    const { status, body } = await getJson(`${ss.url}/v1/projects/alpha/metrics`);
    expect(status).toBe(200);
    expect(body).toEqual({ metrics: want });
    expect((await getJson(`${ss.url}/v1/projects/beta/metrics`)).body).toEqual({ metrics: [{ name: 'loss', runs: 1 }] });
    const none = await getJson(`${ss.url}/v1/projects/no-such-project/metrics`);
    expect([none.status, none.body.code]).toEqual([404, 'SS_ERR_PROJECT_NOT_FOUND']);
  });
});

describe('project list with API keys', () => {
  let ss: Started;
  const alphaWrite = newKey('alpha', 'write'), alphaRead = newKey('alpha', 'read'), betaWrite = newKey('beta', 'write');
  const deltaWrite = newKey('delta', 'write'), unused = newKey('no-data', 'read');
  // One key for two projects: the same hash configured for each.
  const entries = [alphaWrite.entry, alphaRead.entry, betaWrite.entry, { ...betaWrite.entry, project: 'gamma' }, deltaWrite.entry, unused.entry];
  const auth = (key?: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
  const list = async (key?: string) => {
    const res = await fetch(`${ss.url}/v1/projects`, { headers: auth(key) });
    return { status: res.status, body: (await res.json()) as { code?: string; projects?: { name: string }[] } };
  };

  beforeAll(async () => {
    ss = await startInProcess({ 'api-keys': entries.map((e) => `${e.project}:${e.role}:${e.sha256}`).join(',') });
    for (const [project, key] of [['alpha', alphaWrite.key], ['beta', betaWrite.key], ['gamma', betaWrite.key], ['delta', deltaWrite.key]] as const) {
      const res = await fetch(`${ss.url}/v1/ingest`, {
        method: 'POST', headers: { 'content-type': 'application/x-protobuf', ...auth(key) },
        body: encodeRequest({ project, runId: 'r', series: [{ metric: 'm', steps: [1], values: [1] }] }),
      });
      expect(res.status, project).toBe(202);
    }
    for (const [project, key] of [['alpha', alphaRead.key], ['beta', betaWrite.key], ['gamma', betaWrite.key], ['delta', deltaWrite.key]] as const) {
      await waitFor(`${project} stored`, async () => ((await fetch(`${ss.url}/v1/projects/${project}/metrics`, { headers: auth(key) })).status === 200 ? true : undefined));
    }
  }, 60_000);
  afterAll(async () => { await ss?.stop(); });

  it('lists only the projects the key may read, and refuses no key or an unknown one', async () => {
    const names = async (key: string) => (await list(key)).body.projects!.map((p) => p.name);
    expect(await names(alphaRead.key)).toEqual(['alpha']);
    expect(await names(alphaWrite.key)).toEqual(['alpha']);
    expect(await names(betaWrite.key)).toEqual(['beta', 'gamma']);
    expect(await names(unused.key)).toEqual([]);
    expect([(await list()).status, (await list()).body.code]).toEqual([401, 'SS_ERR_UNAUTHORIZED']);
    expect((await list('ss_not-a-key')).status).toBe(401);
  });

  it('checks the key of the project named by /metrics and POST /series', async () => {
    const metrics = (project: string, key: string) => fetch(`${ss.url}/v1/projects/${project}/metrics`, { headers: auth(key) });
    expect((await metrics('alpha', alphaRead.key)).status).toBe(200);
    expect((await metrics('beta', alphaRead.key)).status).toBe(403);
    const series = (project: string, key?: string) => fetch(`${ss.url}/v1/projects/${project}/series`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...auth(key) }, body: JSON.stringify({ queries: [{ run: 'r', metric: 'm' }] }),
    });
    const ok = await series('gamma', betaWrite.key);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { series: { count: number[] }[] }).series[0]!.count).toEqual([1]);
    expect((await series('gamma', alphaRead.key)).status).toBe(403);
    expect((await series('gamma')).status).toBe(401);
  });
});
