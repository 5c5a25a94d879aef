// The whole all-in-one path, ingest → write-ahead log → writer → store → series
// read, through the built app's inject(): no port is opened.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildStepstream, serveSchema, type Stepstream } from '@stepstream/cli';
import { ConfigError, parseConfig } from '@stepstream/runtime';
import { encodeRequest } from './support/requests.js';
import { waitFor } from './support/wait.js';

const cfgOf = (flags: Record<string, string>) => parseConfig(serveSchema, new Map(Object.entries(flags)), {});

describe('the built app, without listening', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-inject-'));
  let ss: Stepstream | undefined;
  afterAll(async () => { await ss?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('ingests and answers a series through inject()', async () => {
    ss = await buildStepstream(cfgOf({ data: dir, 'flush-ms': '20' }), pino({ level: 'silent' }));
    await ss.start();
    expect(ss.app.server.listening).toBe(false);
    const steps = Array.from({ length: 100 }, (_, i) => i);
    const res = await ss.app.inject({ method: 'POST', url: '/v1/ingest', headers: { 'content-type': 'application/x-protobuf' }, payload: encodeRequest({ project: 'inj', runId: 'r', series: [{ metric: 'loss', steps, values: steps.map((s) => s / 2) }] }) });
    expect(res.statusCode).toBe(202);
    const series = await waitFor('the points readable', async () => {
      const r = await ss!.app.inject({ method: 'GET', url: '/v1/projects/inj/runs/r/series?metric=loss&points=10' });
      return r.statusCode === 200 ? r.json<{ count: number[]; max: number[] }>() : undefined;
    });
    expect(series.count.reduce((a, b) => a + b, 0)).toBe(100);
    expect(Math.max(...series.max)).toBe(49.5);
  });

  it('fails a configuration that cannot work like a bad flag, before opening anything', async () => {
    await expect(buildStepstream(cfgOf({ data: dir, target: 'gateway' }), pino({ level: 'silent' }))).rejects.toThrow(ConfigError);
    await expect(buildStepstream(cfgOf({ data: dir, target: 'gateway' }), pino({ level: 'silent' }))).rejects.toThrow(/--kafka: target gateway runs gateway and writer apart/);
    await expect(buildStepstream(cfgOf({ data: dir, 'api-keys': 'nonsense' }), pino({ level: 'silent' }))).rejects.toThrow(/STEPSTREAM_API_KEYS/);
  });
});
