// init() options and their environment fallbacks (the same as the Python client's).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { init, StepstreamError, type InitOptions } from '../src/index.js';
import { resolveOptions } from '../src/options.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const base: InitOptions = { project: 'p', mode: 'offline', exitHooks: false, warn: () => {}, spoolDir: '/nonexistent-never-written' };

describe('init options', () => {
  it('takes rank and run id from the launcher environment', () => {
    const o = resolveOptions({ ...base, env: { RANK: '3', STEPSTREAM_RUN_ID: 'job-7' } });
    expect(o).toMatchObject({ rank: 3, runId: 'job-7', name: 'job-7' });
    expect(o.clientId).toMatch(/^[0-9a-f]{16}-r3$/);
    expect(resolveOptions({ ...base, env: { TORCHELASTIC_RUN_ID: 'te-1' } }).runId).toBe('te-1');
    expect(resolveOptions({ ...base, env: { TORCHELASTIC_RUN_ID: 'none' } }).runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{8}$/);
    // Arguments win over the environment.
    expect(resolveOptions({ ...base, rank: 0, runId: 'mine', env: { RANK: '5', STEPSTREAM_RUN_ID: 'x' } })).toMatchObject({ rank: 0, runId: 'mine' });
  });

  it('defaults: rank -1, the local server, ./stepstream-spool, sorted meta', () => {
    const o = resolveOptions({ project: 'p', env: {} });
    expect(o).toMatchObject({ rank: -1, url: 'http://127.0.0.1:4300', mode: 'online' });
    expect(o.spoolRoot).toMatch(/\/stepstream-spool$/);
    expect(Object.keys(o.meta)).toEqual([...Object.keys(o.meta)].sort());
    expect(o.meta).toMatchObject({ sdk: `stepstream-ts/${version}`, pid: String(process.pid) });
    expect(resolveOptions({ env: { STEPSTREAM_PROJECT: 'q', STEPSTREAM_URL: 'http://h:1', STEPSTREAM_MODE: 'offline', STEPSTREAM_API_KEY: 'k' } }))
      .toMatchObject({ project: 'q', url: 'http://h:1', mode: 'offline', apiKey: 'k' });
  });

  it('warns when ranks have no shared run id', () => {
    const warnings: string[] = [];
    resolveOptions({ ...base, warn: (m) => warnings.push(m), env: { RANK: '2' } });
    expect(warnings.join()).toMatch(/no run id in a multi-process job.*STEPSTREAM_RUN_ID/);
  });

  it('refuses what cannot work, with a message naming it', () => {
    const bad = (o: Partial<InitOptions>): unknown => { try { resolveOptions({ ...base, ...o }); } catch (e) { return e; } return undefined; };
    expect(bad({ project: '', env: {} })).toMatchObject({ code: 'SS_ERR_CLIENT_CONFIG', message: expect.stringMatching(/project is required/) });
    expect(bad({ env: { RANK: 'two' } })).toMatchObject({ message: expect.stringMatching(/RANK must be an integer ≥ 0, got "two"/) });
    expect(bad({ rank: 1.5 })).toBeInstanceOf(StepstreamError);
    expect(bad({ runId: 'a\nb' })).toMatchObject({ message: expect.stringMatching(/runId must be 1 to 256 bytes without control characters/) });
    expect(bad({ url: 'not a url', mode: 'online' })).toMatchObject({ message: expect.stringMatching(/url is not a URL/) });
    expect(bad({ mode: 'sometimes' as never })).toMatchObject({ message: expect.stringMatching(/mode must be/) });
    expect(bad({ config: [1, 2] as never })).toMatchObject({ message: expect.stringMatching(/config must be an object/) });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(bad({ config: cyclic })).toMatchObject({ message: expect.stringMatching(/config cannot be written as JSON/) });
    // The server's bounds (else the run's first batch would be refused).
    expect(bad({ config: { blob: 'x'.repeat(256 * 1024) } })).toMatchObject({ message: expect.stringMatching(/over the server's limit of 262144/) });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 32; i++) deep = { a: deep };
    expect(bad({ config: deep })).toMatchObject({ message: expect.stringMatching(/nested more than 32 levels/) });
    expect(bad({ config: { note: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' } })).toBeUndefined();
  });

  it("mode 'disabled' records nothing and touches no disk", async () => {
    const run = init({ ...base, mode: 'disabled', env: {} });
    run.log({ a: 1 });
    expect(await run.finish()).toMatchObject({ ok: true, pendingBatches: 0, message: expect.stringMatching(/disabled/) });
  });
});
