// The all-in-one target with a store that refuses one block for real: a CHECK
// constraint on the raw points table refuses one metric (the writer's tier,
// written beside the points, and the views over it take it), the rest flows, the refused batch is listed,
// and once the constraint is dropped a replay stores it exactly once.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openStore } from '@stepstream/storage';
import { listenStepstream, serveSchema } from '@stepstream/cli';
import { parseConfig } from '@stepstream/runtime';
import { encodeRequest } from './support/requests.js';
import { postBatch } from './support/stepstream.js';
import { CLI } from './support/process.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'ss-dead-letters-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const log = pino({ level: 'silent' });
async function sql<T>(statement: string): Promise<T[]> {
  const store = await openStore({ kind: 'embedded', dataDir, url: '', database: 'stepstream' }, log);
  try {
    return await store.adapter.query<T>(statement);
  } finally {
    await store.close();
  }
}
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args, '--data', dataDir]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}
const batch = (clientId: string, metric: string) => encodeRequest({
  project: 'dl', runId: 'r', clientId, sequence: 1, series: [{ metric, rank: 0, steps: [1, 2, 3], values: [1, 2, 3] }],
});
const counts = (metric: string) => sql<{ points: number; tier: number; summary: number }>(
  `SELECT (SELECT count() FROM stepstream.points WHERE metric = '${metric}') AS points,
     (SELECT sum(count) FROM stepstream.rollup_256 WHERE metric = '${metric}') AS tier,
     (SELECT sum(count) FROM stepstream.summaries WHERE metric = '${metric}') AS summary`,
).then((r) => r[0]!);

describe('dead letters of the all-in-one target', () => {
  it('stores the rest past a refused block, lists it, and replays it once its cause is fixed', async () => {
    await sql('SELECT 1'); // migrations
    const store = await openStore({ kind: 'embedded', dataDir, url: '', database: 'stepstream' }, log);
    await store.adapter.command("ALTER TABLE stepstream.points ADD CONSTRAINT no_poison CHECK metric != 'poison'");
    await store.close();

    const app = await listenStepstream(parseConfig(serveSchema, new Map([['port', '0'], ['data', dataDir], ['flush-ms', '300']]), {}), log);
    try {
      for (const [client, metric] of [['a', 'loss'], ['b', 'poison'], ['c', 'acc']] as const) {
        expect((await postBatch(app.url, batch(client, metric))).status).toBe(202);
      }
      await waitFor('the refused batch in the dead letters', async () => ((await fetch(`${app.url}/metrics`).then((r) => r.text())).match(/^stepstream_dead_letters 1$/m) ? true : undefined));
      // The writer went on: a batch sent after the refusal is stored too.
      expect((await postBatch(app.url, batch('d', 'later'))).status).toBe(202);
      await waitFor('the later batch stored', async () => {
        const res = await fetch(`${app.url}/v1/projects/dl/runs/r/series?metric=later&rank=0`);
        return res.status === 200 && ((await res.json()) as { x: number[] }).x.length === 3 ? true : undefined;
      });
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    } finally {
      await app.close();
    }

    const list = await cli('dead-letters', 'list');
    expect(list.code).toBe(0);
    expect(list.out.trim().split('\n')).toEqual([expect.stringMatching(/^1\t\S+Z\tpending\t\d+ bytes\tdl\/r\twal:\d+\trefused by the store: .*Constraint `no_poison`.*VIOLATED_CONSTRAINT/)]);
    for (const m of ['loss', 'acc', 'later']) expect(await counts(m)).toEqual({ points: 3, tier: 3, summary: 3 });
    expect((await counts('poison')).points).toBe(0);

    // The cause still there: refused again, kept.
    const refused = await cli('dead-letters', 'replay');
    expect(refused).toMatchObject({ code: 1, out: expect.stringMatching(/^not replayed 1: /m) });

    const fix = await openStore({ kind: 'embedded', dataDir, url: '', database: 'stepstream' }, log);
    await fix.adapter.command('ALTER TABLE stepstream.points DROP CONSTRAINT no_poison');
    await fix.close();
    expect(await cli('dead-letters', 'replay', '--id', '1')).toMatchObject({ code: 0, out: 'replayed 1: 3 points stored\n' });
    expect(await cli('dead-letters', 'replay')).toMatchObject({ code: 0, out: 'no pending dead letters\n' });
    expect((await cli('dead-letters', 'list')).out).toMatch(/^1\t\S+\treplayed \S+Z\t/);
    // Stored once: in the raw points, and not again in the tiers that took it with its delivery.
    expect(await counts('poison')).toEqual({ points: 3, tier: 3, summary: 3 });
    for (const m of ['loss', 'acc', 'later']) expect(await counts(m)).toEqual({ points: 3, tier: 3, summary: 3 });
  }, 120_000);
});
