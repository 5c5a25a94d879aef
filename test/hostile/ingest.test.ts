// Hostile traffic on the ingest path (issue 9), reproduced against the
// all-in-one target on the embedded store: each attack is refused with a 4xx
// naming the limit, the process survives it, and what ingest accepts at its
// limits reads back exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_ABS_VALUE, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_ID_BYTES, MAX_META_ENTRIES, MAX_POINTS_PER_REQUEST, MAX_SERIES_PER_REQUEST, MAX_TAGS,
} from '@stepstream/proto';
import { newKey } from '@stepstream/runtime';
import { encodeRequest, type TestRequest } from '../support/requests.js';
import { startInProcess, type Started } from '../support/stepstream.js';
import { waitFor } from '../support/wait.js';
import {
  bomIds, deepConfig, emptySeriesBomb, hugeConfig, hugeDeclaredLength, longId, overflowingValues, packedZeroStepsBomb, protoMetaKey, type AttackBody,
} from './attacks.js';

const MiB = 1024 * 1024;
const LONG_PROJECT = longId(MAX_ID_BYTES);
const BOM = bomIds();
const write = newKey('p', 'write');
const read = newKey('p', 'read');
const longWrite = newKey(LONG_PROJECT, 'write');
const bomWrite = newKey(BOM.project, 'write');

// NOTE: one server for the file: the embedded engine opens one data directory per process.
let ss: Started;
beforeAll(async () => {
  ss = await startInProcess({ 'api-keys': [write, read, longWrite, bomWrite].map(({ entry: e }) => `${e.project}:${e.role}:${e.sha256}`).join(',') });
});
afterAll(async () => { await ss?.stop(); });

interface Answer { status: number; body: { code?: string; message?: string; details?: Record<string, unknown> } & Record<string, unknown> }

async function post(a: AttackBody | TestRequest, key: string | null = write.key): Promise<Answer> {
  const { body, gzip } = 'body' in a ? a : { body: encodeRequest(a), gzip: false };
  const res = await fetch(`${ss.url}/v1/ingest`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/x-protobuf', ...(gzip ? { 'content-encoding': 'gzip' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const get = (path: string) => fetch(`${ss.url}${path}`, { headers: { authorization: `Bearer ${read.key}` } });
const healthy = async () => expect((await fetch(`${ss.url}/healthz`)).status).toBe(200);
const heapMiB = () => process.memoryUsage().heapUsed / MiB;
const path = (project: string, run: string) => `/v1/projects/${encodeURIComponent(project)}/runs/${encodeURIComponent(run)}`;

describe('memory: a small body must not hold gigabytes', () => {
  it('refuses 12M empty series with 413 naming the limit, 4 at once and again, and the heap stays bounded', async () => {
    const bomb = emptySeriesBomb();
    expect(bomb.body.length).toBeLessThan(100 * 1024);
    const before = heapMiB();
    let peak = before;
    // NOTE: each costs ~0.3 s of inflation (60 MB, under --max-inflated-bytes): 5 in all.
    for (const concurrent of [4, 1]) {
      const answers = await Promise.all(Array.from({ length: concurrent }, () => post(bomb)));
      peak = Math.max(peak, heapMiB());
      for (const a of answers) {
        expect(a.status).toBe(413);
        expect(a.body).toMatchObject({ code: 'SS_ERR_BATCH_TOO_LARGE', details: { field: 'series', limit: MAX_SERIES_PER_REQUEST } });
      }
    }
    await healthy();
    // Unbounded, each request held ~1 GB of heap (12M series objects).
    expect(peak - before).toBeLessThan(400);
  });

  it('accepts exactly the series limit', async () => {
    const series = Array.from({ length: MAX_SERIES_PER_REQUEST }, (_, i) => ({ metric: `m${i}`, steps: [0], values: [i] }));
    const a = await post({ project: 'p', runId: 'wide', series });
    expect(a.status).toBe(202);
    expect(a.body).toEqual({ accepted_points: MAX_SERIES_PER_REQUEST });
    const over = await post({ project: 'p', runId: 'wide', series: [...series, { metric: 'one-more', steps: [0], values: [0] }] });
    expect(over.status).toBe(413);
  });
});

describe('CPU: nothing is inflated or decoded before the key is checked', () => {
  it('answers 401 to a gzip bomb without a key at once, 12 at a time', async () => {
    const bomb = packedZeroStepsBomb();
    const cpu = process.cpuUsage();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(bomb, i % 2 ? null : 'ss_not-a-key')));
    const used = process.cpuUsage(cpu);
    for (const a of answers) expect(a).toMatchObject({ status: 401, body: { code: 'SS_ERR_UNAUTHORIZED' } });
    // Inflated and decoded, each cost ~1.2 s of CPU and 600 MB.
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
    const ro = await post(bomb, read.key);
    expect(ro).toMatchObject({ status: 403, body: { code: 'SS_ERR_FORBIDDEN' } });
    await healthy();
  });

  it('with a write key, refuses the bomb with 413 naming the points limit before allocating for it', async () => {
    const bomb = packedZeroStepsBomb();
    const before = heapMiB();
    const answers = await Promise.all([0, 1].map(() => post(bomb)));
    for (const a of answers) expect(a).toMatchObject({ status: 413, body: { code: 'SS_ERR_BATCH_TOO_LARGE', details: { field: 'points', limit: MAX_POINTS_PER_REQUEST } } });
    expect(heapMiB() - before).toBeLessThan(200);
    await healthy();
  });
});

describe('run info bounds', () => {
  it('refuses a config nested past the limit, and run lists keep answering', async () => {
    const deep = await post(deepConfig());
    expect(deep).toMatchObject({ status: 400, body: { code: 'SS_ERR_VALIDATION', details: { field: 'run.config_json', limit: MAX_CONFIG_DEPTH } } });
    const atLimit = await post(deepConfig(MAX_CONFIG_DEPTH, 'p', 'deep'));
    expect(atLimit.status).toBe(202);
    const over = await post(deepConfig(MAX_CONFIG_DEPTH + 1, 'p', 'deeper'));
    expect(over.status).toBe(400);
    // A bracket inside a string is not nesting.
    expect((await post({ project: 'p', runId: 'deep-text', run: { configJson: JSON.stringify({ s: '['.repeat(100) + '\\"{{{' }) } })).status).toBe(202);
    const runs = await waitFor('the run at the depth limit', async () => {
      const r = await get('/v1/projects/p/runs');
      const body = (await r.json()) as { runs: { id: string }[] };
      return r.status === 200 && body.runs.some((x) => x.id === 'deep') ? body : undefined;
    });
    expect(runs.runs.some((x) => x.id === 'deeper')).toBe(false);
  });

  it('refuses a config past the size limit, gzipped or not', async () => {
    const big = await post(hugeConfig(MAX_CONFIG_BYTES + 1));
    expect(big).toMatchObject({ status: 400, body: { details: { field: 'run.config_json', limit: MAX_CONFIG_BYTES } } });
    expect((await post(hugeConfig(MAX_CONFIG_BYTES, 'p', 'big-config'))).status).toBe(202);
  });

  it('refuses too many or too long tags and meta entries, naming the limit', async () => {
    const run = (r: object): TestRequest => ({ project: 'p', runId: 'tags', run: r });
    const tags = await post(run({ tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) }));
    expect(tags).toMatchObject({ status: 400, body: { details: { field: 'run.tags', limit: MAX_TAGS } } });
    const longTag = await post(run({ tags: ['x'.repeat(257)] }));
    expect(longTag).toMatchObject({ status: 400, body: { details: { field: 'run.tags', limit: 256, index: 0 } } });
    const meta = await post(run({ meta: Object.fromEntries(Array.from({ length: MAX_META_ENTRIES + 1 }, (_, i) => [`k${i}`, 'v'])) }));
    expect(meta).toMatchObject({ status: 400, body: { details: { field: 'run.meta', limit: MAX_META_ENTRIES } } });
    const longValue = await post(run({ meta: { k: 'v'.repeat(16 * 1024 + 1) } }));
    expect(longValue).toMatchObject({ status: 400, body: { details: { field: 'run.meta', key: 'k', limit: 16 * 1024 } } });
    await healthy();
  });
});

describe('ids: whatever ingest accepts reads back', () => {
  it('reads a run of the longest ids allowed (multi-byte) through /runs/:run and /series', async () => {
    const project = LONG_PROJECT;
    const runId = longId(MAX_ID_BYTES).replace(/x$/, 'y');
    expect(Buffer.byteLength(project)).toBe(MAX_ID_BYTES);
    expect(Buffer.byteLength(runId)).toBe(MAX_ID_BYTES);
    const a = await post({ project, runId, series: [{ metric: 'loss', steps: [0, 1], values: [2, 3] }] }, longWrite.key);
    expect(a.status).toBe(202);
    const auth = { headers: { authorization: `Bearer ${longWrite.key}` } };
    // Each path parameter is far past Fastify's default maxParamLength (100).
    expect(encodeURIComponent(runId).length).toBeGreaterThan(600);
    const run = await waitFor('the run', async () => {
      const r = await fetch(`${ss.url}${path(project, runId)}`, auth);
      return r.status === 200 ? (await r.json()) as { id: string } : undefined;
    });
    expect(run.id).toBe(runId);
    const series = await fetch(`${ss.url}${path(project, runId)}/series?metric=loss`, auth);
    expect(series.status).toBe(200);
    expect(((await series.json()) as { x: number[] }).x).toEqual([0, 1]);
    const tooLong = await post({ project, runId: `${runId}z`, series: [] }, longWrite.key);
    expect(tooLong).toMatchObject({ status: 400, body: { details: { field: 'run_id', limit: MAX_ID_BYTES } } });
  });
});

describe('stored exactly as sent, or refused', () => {
  it('refuses a declared length of 2^32 + 1 instead of wrapping it to 1', async () => {
    const a = await post(hugeDeclaredLength());
    expect(a).toMatchObject({ status: 400, body: { code: 'SS_ERR_DECODE' } });
  });

  it('keeps a leading BOM in ids: a run of its own, read back with it', async () => {
    expect((await post(BOM, bomWrite.key)).status).toBe(202);
    const auth = { headers: { authorization: `Bearer ${bomWrite.key}` } };
    const run = await waitFor('the run', async () => {
      const r = await fetch(`${ss.url}${path(BOM.project, BOM.runId)}`, auth);
      return r.status === 200 ? (await r.json()) as { id: string } : undefined;
    });
    expect(run.id).toBe('\uFEFFr');
    // Without the BOM it is another project: this key's is not "p".
    expect((await fetch(`${ss.url}/v1/projects/p/runs/r`, auth)).status).toBe(403);
    expect((await post({ ...BOM, project: 'p' }, bomWrite.key)).status).toBe(403);
  });

  it('keeps a __proto__ meta key and answers it in GET /runs/:run', async () => {
    expect((await post(protoMetaKey('p', 'proto-meta'))).status).toBe(202);
    const text = await waitFor('the run', async () => {
      const r = await get(path('p', 'proto-meta'));
      return r.status === 200 ? r.text() : undefined;
    });
    const meta = (JSON.parse(text) as { meta: Record<string, string> }).meta;
    expect(Object.hasOwn(meta, '__proto__')).toBe(true);
    expect(meta['__proto__']).toBe('kept');
    expect(meta['host']).toBe('h');
  });

  it('refuses finite values whose bucket sum could overflow; at the bound the mean is exact; NaN and ±Inf stay legal', async () => {
    const over = await post(overflowingValues('p', 'overflow'));
    expect(over).toMatchObject({ status: 400, body: { code: 'SS_ERR_VALIDATION', details: { series: 0, field: 'values', index: 0, limit: MAX_ABS_VALUE } } });
    const at = [MAX_ABS_VALUE, MAX_ABS_VALUE, MAX_ABS_VALUE, -MAX_ABS_VALUE, NaN, Infinity, -Infinity];
    const ok = await post({ project: 'p', runId: 'at-bound', series: [{ metric: 'm', steps: at.map((_, i) => i), values: at }] });
    expect(ok.status).toBe(202);
    const body = await waitFor('the series', async () => {
      const r = await get(`${path('p', 'at-bound')}/series?metric=m&points=1`);
      return r.status === 200 ? (await r.json()) as { mean: (number | null)[]; count: number[]; nonfinite: number[] } : undefined;
    });
    // One bucket of all 7 points: the mean of the four finite ones, 2e292 / 4.
    expect(body.count).toEqual([7]);
    expect(body.nonfinite).toEqual([3]);
    expect(Math.abs(body.mean[0]! / 5e291 - 1)).toBeLessThan(1e-12);
  });
});
