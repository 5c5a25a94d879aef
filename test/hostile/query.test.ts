// Attacks on the read side, reproduced: stored values that made reads fail
// for good, and the edges of the step range (issue 9, items 7 and 8).
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAdapter, Store } from '@stepstream/storage';
import { encodeRequest } from '../support/requests.js';
import { getJson, postBatch, startInProcess, type Started } from '../support/stepstream.js';
import { waitFor } from '../support/wait.js';

const TOP = 2 ** 53 - 1; // the highest step ingest accepts

describe('hostile reads', () => {
  let ss: Started;
  let store: Store;
  let adapter: EmbeddedAdapter;
  beforeAll(async () => {
    ss = await startInProcess();
    // A second connection to the same data directory: rows written here
    // bypass the gateway and its rules, as rows of older releases would.
    adapter = await EmbeddedAdapter.open({ path: ss.dataDir });
    store = new Store(adapter, 'stepstream', pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await adapter?.close();
    await ss?.stop();
  });

  const url = (path: string) => `${ss.url}/v1/projects${path}`;
  const runInfo = (run: string, fields: Record<string, unknown>) => ({
    project: 'hostile', run, version: 1, received_ms: 1, name: '', config_json: '', tags: [], status: 0, started_ms: 0, finished_ms: 0, meta: {}, ...fields,
  });

  it('answers every run whatever its stored config, tags and meta hold', async () => {
    const nest = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const deep = nest(100_000); // issue 9: 200 KB, 100,000 levels
    const mb = (n: number) => JSON.stringify({ blob: 'x'.repeat(n * 1024 * 1024) });
    const oddMeta = { '__proto__': 'p', constructor: 'c', '': 'empty', 'k\u0001"\\': 'v\u0000\n', 'é😀': '\ud83d\ude00' };
    const manyTags = Array.from({ length: 20_000 }, (_, i) => `tag-${i}`);
    await adapter.insertJson(`${store.db}.run_info`, [
      runInfo('deep', { config_json: deep }),
      runInfo('deep-small', { config_json: nest(20_000) }),
      runInfo('huge-1', { config_json: mb(6) }),
      runInfo('huge-2', { config_json: mb(6) }),
      runInfo('huge-3', { config_json: mb(6) }),
      runInfo('one-mb', { config_json: mb(1) }),
      runInfo('not-json', { config_json: '{"lr": 0.1' }),
      runInfo('array', { config_json: '[1,2,3]' }),
      runInfo('odd', { name: '\u0000', tags: ['', '\u0007', '😀'], meta: oddMeta, config_json: '{"__proto__":{"x":1}}' }),
      runInfo('many-tags', { tags: manyTags }),
    ]);

    const t0 = performance.now();
    const list = await getJson<{ runs: Record<string, any>[] }>(url('/hostile/runs'));
    const listMs = performance.now() - t0;
    expect(list.status).toBe(200);
    const byId = new Map(list.body.runs.map((r) => [r['id'] as string, r]));
    expect([...byId.keys()]).toEqual(['array', 'deep', 'deep-small', 'huge-1', 'huge-2', 'huge-3', 'many-tags', 'not-json', 'odd', 'one-mb']);
    expect(byId.get('deep-small')).toMatchObject({ config: null, config_error: { reason: 'too_deep', limit: 256 } });
    for (const id of ['deep', 'huge-1', 'huge-2', 'huge-3', 'one-mb']) expect(byId.get(id)).toMatchObject({ config: null, config_error: { reason: 'too_large', limit: 65_536 } });
    expect(byId.get('not-json')).toMatchObject({ config: null, config_error: { reason: 'not_json' } });
    expect(byId.get('array')).toMatchObject({ config: null, config_error: { reason: 'not_object' } });
    expect(byId.get('many-tags')).toMatchObject({ tags: null, tags_error: { reason: 'too_large' } });
    const odd = byId.get('odd')!;
    expect(Object.entries(odd['meta'] as object)).toEqual(expect.arrayContaining(Object.entries(oddMeta)));
    expect(odd).toMatchObject({ name: '\u0000', tags: ['', '\u0007', '😀'] });
    expect(Object.getOwnPropertyDescriptor(odd['config'], '__proto__')?.value).toEqual({ x: 1 });
    // The list never reads the 18 MB of configs it does not answer.
    expect(listMs).toBeLessThan(5_000);

    // The detail answers what is sane whole, the rest as the list does.
    const one = await getJson(url('/hostile/runs/one-mb'));
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ config: { blob: 'x'.repeat(1024 * 1024) } });
    expect(one.body).not.toHaveProperty('config_error');
    expect((await getJson(url('/hostile/runs/many-tags'))).body).toMatchObject({ tags: manyTags });
    expect((await getJson(url('/hostile/runs/deep'))).body).toMatchObject({ config: null, config_error: { reason: 'too_deep' } });
    expect((await getJson(url('/hostile/runs/huge-1'))).body).toMatchObject({ config: null, config_error: { reason: 'too_large', limit: 4 * 1024 * 1024 } });
  });

  it('reads a series ending at step 2^53 - 1, with and without a range, and to=2^53', async () => {
    const steps = [0, 2 ** 52, TOP - 300, TOP - 10, TOP];
    const res = await postBatch(ss.url, encodeRequest({ project: 'edge', runId: 'r', series: [{ metric: 'm', steps, values: steps.map((_, i) => i) }] }));
    expect(res.status).toBe(202);
    const series = (qs: string) => getJson(url(`/edge/runs/r/series?metric=m${qs}`));
    await waitFor('the points', async () => ((await getJson(url('/edge/runs/r'))).body.last_step === TOP ? true : undefined));

    // The first read of the series (nothing remembered of its extent), then a repeat.
    for (const qs of ['', '']) {
      const first = await series(qs);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ from: 0, to: 2 ** 53 });
      expect(first.body.count.reduce((a: number, b: number) => a + b, 0)).toBe(5);
    }
    const tail = await series(`&from=${TOP - 10}`);
    expect(tail.body).toMatchObject({ from: TOP - 10, to: 2 ** 53, bucket: 1, x: [TOP - 10, TOP], last: [3, 4] });
    const upTo = await series(`&from=${TOP - 300}&to=${2 ** 53}`);
    expect(upTo.body).toMatchObject({ from: TOP - 300, to: 2 ** 53, bucket: 1, x: [TOP - 300, TOP - 10, TOP] });
    const all = await series(`&from=0&to=${2 ** 53}`);
    expect(all.status).toBe(200);
    expect(all.body.count.reduce((a: number, b: number) => a + b, 0)).toBe(5);
    // One bucket of width 2^53 over the whole step range, from raw points and from the tiers.
    for (const tier of ['raw', 'auto']) {
      const one = await series(`&from=0&to=${2 ** 53}&points=1&tier=${tier}`);
      expect(one.body).toMatchObject({ bucket: 2 ** 53, x: [0], count: [5], first: [0], last: [4] });
    }
    expect((await series(`&to=${2 ** 53}`)).body).toMatchObject({ from: 0, to: 2 ** 53 });
  });
});
