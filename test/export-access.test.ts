// GET /runs/:run/export with API keys on: read as every other read (a read or
// write key of the project), refused without one or with another project's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '@stepstream/runtime';
import { readCsv } from './support/export-rows.js';
import { encodeRequest } from './support/requests.js';
import { startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

describe('export with API keys', () => {
  let ss: Started;
  const write = newKey('alpha', 'write'), read = newKey('alpha', 'read'), other = newKey('beta', 'read');
  const auth = (key?: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
  const exportAs = (key?: string) => fetch(`${ss.url}/v1/projects/alpha/runs/r/export?format=csv`, { headers: auth(key) });

  beforeAll(async () => {
    ss = await startInProcess({ 'api-keys': [write, read, other].map(({ entry: e }) => `${e.project}:${e.role}:${e.sha256}`).join(',') });
    const res = await fetch(`${ss.url}/v1/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/x-protobuf', ...auth(write.key) },
      body: encodeRequest({ project: 'alpha', runId: 'r', series: [{ metric: 'm', steps: [1, 2, 3], values: [0.5, NaN, -Infinity], timeMs: [10, 20, 30] }] }),
    });
    expect(res.status).toBe(202);
    await waitFor('alpha/r stored', async () => ((await exportAs(read.key).then((r) => r.text())).split('\n').length === 5 ? true : undefined));
  }, 60_000);
  afterAll(async () => { await ss?.stop(); });

  it('a read or write key of the project exports; none, or another project\'s, is refused', async () => {
    for (const key of [read.key, write.key]) {
      const res = await exportAs(key);
      expect(res.status).toBe(200);
      expect(readCsv(await res.text()).rows).toEqual([
        { metric: 'm', rank: -1, step: 1, value: 0.5, time_ms: 10 }, { metric: 'm', rank: -1, step: 2, value: NaN, time_ms: 20 },
        { metric: 'm', rank: -1, step: 3, value: -Infinity, time_ms: 30 },
      ]);
    }
    expect((await exportAs()).status).toBe(401);
    expect(await exportAs(other.key).then(async (r) => [r.status, ((await r.json()) as { code: string }).code])).toEqual([403, 'SS_ERR_FORBIDDEN']);
  });
});
