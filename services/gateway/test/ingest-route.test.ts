import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueFullError, QueueUnavailableError, type IngestMessage, type IngestSink } from '@stepstream/queue';

/** A sink that keeps what it is given, up to a bound of points: the gateway's side of the seam is under test. */
class HoldingSink implements IngestSink {
  readonly messages: IngestMessage[] = [];
  constructor(private readonly maxPoints: number) {}
  async send(m: IngestMessage): Promise<void> {
    const held = this.messages.reduce((a, x) => a + x.points, 0);
    if (held > 0 && held + m.points > this.maxPoints) throw new QueueFullError('full');
    this.messages.push(m);
  }
  notReadyReason(): string | null { return null; }
  async close(): Promise<void> {}
  depth() { return { messages: this.messages.length, points: this.messages.reduce((a, x) => a + x.points, 0) }; }
}
import { ApiKeys, createHttpServer, createRegistry, newKey } from '@stepstream/runtime';
import { MAX_POINTS_PER_REQUEST, MAX_SERIES_PER_REQUEST } from '@stepstream/proto';
import { ingestRoutes } from '../src/index.js';
import { encodeRequest } from '../../../test/support/requests.js';

const log = pino({ level: 'silent' });
const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => { for (const a of apps.splice(0)) await a.close(); });

/** Whether the gateway under test hands the decoded request on (the all-in-one) or forwards the bytes only (Kafka: plain requests scanned, not decoded). */
let passDecoded = true;

async function gateway(sink: IngestSink, limits = { maxBodyBytes: 1 << 20, maxInflatedBytes: 4 << 20 }, keys?: ApiKeys) {
  const registry = createRegistry();
  const http = createHttpServer({ logger: log, registry, bodyLimit: limits.maxBodyBytes, readiness: () => ({}) });
  await http.app.register(async (scope) => ingestRoutes(scope, { sink, registry, passDecoded, ...limits, ...(keys ? { keys } : {}) }));
  apps.push(http.app);
  const post = (body: Buffer, headers: Record<string, string> = { 'content-type': 'application/x-protobuf' }) =>
    http.app.inject({ method: 'POST', url: '/v1/ingest', payload: body, headers });
  return { app: http.app, post };
}

const good = { project: 'p', runId: 'r', series: [{ metric: 'loss', rank: 0, steps: [1, 2, 3], values: [1, NaN, Infinity] }] };

describe.each([true, false])('POST /v1/ingest (the decoded request handed on: %s)', (decodedOn) => {
  beforeEach(() => { passDecoded = decodedOn; });

  it('answers 202 with the point count once the batch is queued, gzip or not', async () => {
    const queue = new HoldingSink(100);
    const { post } = await gateway(queue);
    const plain = await post(encodeRequest(good));
    expect(plain.statusCode).toBe(202);
    expect(plain.json()).toEqual({ accepted_points: 3 });
    const zipped = await post(gzipSync(encodeRequest(good)), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(zipped.statusCode).toBe(202);
    expect(queue.depth()).toMatchObject({ messages: 2, points: 6 });
  });

  it('passes the lineage fields through: the bytes as sent, and decoded with them', async () => {
    const queue = new HoldingSink(100);
    const { post } = await gateway(queue);
    const body = encodeRequest({ ...good, attempt: 3, run: { resumeStep: 0, forkOf: 'parent', forkStep: 500 } });
    expect((await post(body)).statusCode).toBe(202);
    const m = queue.messages[0]!;
    expect(Buffer.from(m.value).equals(body)).toBe(true);
    if (decodedOn) expect(m.decoded).toMatchObject({ attempt: 3, run: { resumeStep: 0, forkOf: 'parent', forkStep: 500 } });
    else expect(m.decoded).toBeUndefined();
  });

  it('refuses what validation refuses whichever way it is read: a plain-looking request with a bad name or unequal columns', async () => {
    const queue = new HoldingSink(100);
    const { post } = await gateway(queue);
    const bad = await post(encodeRequest({ ...good, series: [{ metric: 'bad name', steps: [1], values: [1] }] }));
    expect(bad.json()).toMatchObject({ statusCode: 400, code: 'SS_ERR_VALIDATION', details: { field: 'metric', series: 0 } });
    const unequal = await post(encodeRequest({ ...good, series: [{ metric: 'm', steps: [1, 2], values: [1] }] }));
    expect(unequal.json()).toMatchObject({ statusCode: 400, code: 'SS_ERR_VALIDATION', details: { field: 'values' } });
    expect(queue.messages).toHaveLength(0);
    // A plain one is queued with its run id as the key, and the points it holds.
    expect((await post(encodeRequest({ ...good, runId: 'r-7' }))).json()).toEqual({ accepted_points: 3 });
    expect(queue.messages[0]).toMatchObject({ key: 'r-7', points: 3 });
  });

  const bad: [string, Buffer, number, string, Record<string, unknown>?][] = [
    ['undecodable body', Buffer.from([0x0a, 0x09, 0x61]), 400, 'SS_ERR_DECODE'],
    ['empty project', encodeRequest({ ...good, project: '' }), 400, 'SS_ERR_VALIDATION', { field: 'project' }],
    ['empty run_id', encodeRequest({ ...good, runId: '' }), 400, 'SS_ERR_VALIDATION', { field: 'run_id' }],
    ['steps/values length mismatch', encodeRequest({ ...good, series: [good.series[0]!, { metric: 'acc', steps: [1, 2], values: [1] }] }), 400, 'SS_ERR_VALIDATION', { series: 1, metric: 'acc', field: 'values' }],
    ['time_ms length mismatch', encodeRequest({ ...good, series: [{ metric: 'acc', steps: [1, 2], values: [1, 2], timeMs: [5] }] }), 400, 'SS_ERR_VALIDATION', { series: 0, field: 'time_ms' }],
    ['bad metric name', encodeRequest({ ...good, series: [{ metric: 'loss value!', steps: [1], values: [1] }] }), 400, 'SS_ERR_VALIDATION', { series: 0, field: 'metric' }],
    ['metric name too long', encodeRequest({ ...good, series: [{ metric: 'm'.repeat(201), steps: [1], values: [1] }] }), 400, 'SS_ERR_VALIDATION', { field: 'metric' }],
    ['negative step', encodeRequest({ ...good, series: [{ metric: 'm', steps: [0, -1], values: [1, 2] }] }), 400, 'SS_ERR_VALIDATION', { series: 0, field: 'steps', index: 1 }],
    ['step at 2^53', encodeRequest({ ...good, series: [{ metric: 'm', steps: [2 ** 53], values: [1] }] }), 400, 'SS_ERR_VALIDATION', { field: 'steps', index: 0 }],
    ['rank below -1', encodeRequest({ ...good, series: [{ metric: 'm', rank: -2, steps: [1], values: [1] }] }), 400, 'SS_ERR_VALIDATION', { field: 'rank' }],
    ['config that is not a JSON object', encodeRequest({ ...good, run: { configJson: '[1,2' } }), 400, 'SS_ERR_VALIDATION', { field: 'run.config_json' }],
    ['negative resume_step', encodeRequest({ ...good, run: { resumeStep: -1 } }), 400, 'SS_ERR_VALIDATION', { field: 'run.resume_step' }],
    ['fork_step beyond 2^53', encodeRequest({ ...good, run: { forkOf: 'a', forkStep: '9007199254740993' as unknown as number } }), 400, 'SS_ERR_VALIDATION', { field: 'run.fork_step' }],
    ['fork_of with a control character', encodeRequest({ ...good, run: { forkOf: 'a\u0000' } }), 400, 'SS_ERR_VALIDATION', { field: 'run.fork_of' }],
  ];
  it.each(bad)('rejects %s, says where, and stores nothing of it', async (_name, body, status, code, details) => {
    const queue = new HoldingSink(100);
    const { post } = await gateway(queue);
    const res = await post(body);
    expect(res.statusCode).toBe(status);
    const json = res.json();
    expect(json).toMatchObject({ statusCode: status, code, error: expect.any(String), message: expect.any(String) });
    if (details) expect(json.details).toMatchObject(details);
    expect(queue.depth().messages).toBe(0);
    // and the gateway keeps serving
    expect((await post(encodeRequest(good))).statusCode).toBe(202);
  });

  it('answers 415 to a wrong content type or encoding', async () => {
    const { post } = await gateway(new HoldingSink(100));
    const json = await post(Buffer.from('{}'), { 'content-type': 'application/json' });
    expect(json.statusCode).toBe(415);
    expect(json.json()).toMatchObject({ code: 'SS_ERR_CONTENT_TYPE', details: { header: 'content-type' } });
    const br = await post(encodeRequest(good), { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' });
    expect(br.statusCode).toBe(415);
    expect(br.json().code).toBe('SS_ERR_CONTENT_ENCODING');
  });

  it('answers 413 past the body limit and past the inflated limit', async () => {
    const { post } = await gateway(new HoldingSink(1e9), { maxBodyBytes: 64 * 1024, maxInflatedBytes: 100 * 1024 });
    const steps = Array.from({ length: 20_000 }, (_, i) => i);
    const big = encodeRequest({ ...good, series: [{ metric: 'm', steps, values: steps.map(() => 0) }] });
    const raw = await post(big);
    expect(raw.statusCode).toBe(413);
    expect(raw.json()).toMatchObject({ code: 'SS_ERR_BODY_TOO_LARGE', details: { limit: 64 * 1024 } });
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(64 * 1024);
    const bomb = await post(zipped, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(bomb.statusCode).toBe(413);
    expect(bomb.json()).toMatchObject({ code: 'SS_ERR_INFLATED_TOO_LARGE', details: { limit: 100 * 1024 } });
    const notGzip = await post(Buffer.from('nope'), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(notGzip.statusCode).toBe(400);
  });

  it('checks the key before reading the body: no usable key, no decoding', async () => {
    const write = newKey('p', 'write'), read = newKey('p', 'read');
    const { post } = await gateway(new HoldingSink(100), undefined, new ApiKeys([write.entry, read.entry]));
    const garbage = Buffer.from([0x0a, 0x09, 0x61]);
    const headers = (key?: string) => ({ 'content-type': 'application/x-protobuf', ...(key ? { authorization: `Bearer ${key}` } : {}) });
    expect((await post(garbage, headers())).json()).toMatchObject({ statusCode: 401, code: 'SS_ERR_UNAUTHORIZED' });
    expect((await post(garbage, headers('ss_unknown'))).statusCode).toBe(401);
    expect((await post(garbage, headers(read.key))).json()).toMatchObject({ statusCode: 403, code: 'SS_ERR_FORBIDDEN', details: { role: 'write' } });
    expect((await post(garbage, headers(write.key))).json()).toMatchObject({ statusCode: 400, code: 'SS_ERR_DECODE' });
    expect((await post(encodeRequest({ ...good, project: 'other' }), headers(write.key))).statusCode).toBe(403);
    expect((await post(encodeRequest(good), headers(write.key))).statusCode).toBe(202);
  });

  it('answers 413 naming the limit past the series and points of a request, so clients halve the batch', async () => {
    const { post } = await gateway(new HoldingSink(1e9), { maxBodyBytes: 64 << 20, maxInflatedBytes: 64 << 20 });
    const series = Array.from({ length: MAX_SERIES_PER_REQUEST + 1 }, (_, i) => ({ metric: `m${i}`, steps: [0], values: [0] }));
    expect((await post(encodeRequest({ ...good, series }))).json()).toMatchObject({ statusCode: 413, code: 'SS_ERR_BATCH_TOO_LARGE', details: { field: 'series', limit: MAX_SERIES_PER_REQUEST } });
    const steps = Array.from({ length: MAX_POINTS_PER_REQUEST + 1 }, (_, i) => i);
    const points = await post(encodeRequest({ ...good, series: [{ metric: 'm', steps, values: steps }] }));
    expect(points.json()).toMatchObject({ statusCode: 413, code: 'SS_ERR_BATCH_TOO_LARGE', details: { field: 'points', limit: MAX_POINTS_PER_REQUEST } });
  });

  it('answers 503 with Retry-After when the queue is full or down', async () => {
    const queue = new HoldingSink(5);
    const { post } = await gateway(queue);
    expect((await post(encodeRequest(good))).statusCode).toBe(202);
    const full = await post(encodeRequest(good));
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('1');
    expect(full.json().code).toBe('SS_ERR_QUEUE_FULL');

    const down: IngestSink = {
      send: async (_m: IngestMessage) => { throw new QueueUnavailableError('broker unreachable'); },
      notReadyReason: () => 'down',
      close: async () => {},
    };
    const g2 = await gateway(down);
    const res = await g2.post(encodeRequest(good));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json().code).toBe('SS_ERR_QUEUE_UNAVAILABLE');
  });
});
