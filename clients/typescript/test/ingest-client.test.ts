// IngestClient.send against a scripted stub: what is retried, what is
// surfaced, how a 413 is split, and that a batch keeps its identity.
import { afterEach, describe, expect, it } from 'vitest';
import { IngestClient, StepstreamError, encodeIngestRequest, parseRetryAfter, type IngestBatch } from '../src/index.js';
import { startStub, type StubServer } from './stub-server.js';

const fast = { minBackoffMs: 5, maxBackoffMs: 20 };

function batch(points: number, sequence = 1): IngestBatch {
  const steps = Array.from({ length: points }, (_, i) => i);
  return {
    project: 'p', runId: 'r', clientId: 'client-a', sequence,
    run: { name: 'n', status: 'running' },
    series: [
      { metric: 'loss', rank: 0, steps, values: steps.map((s) => s / 2) },
      { metric: 'lr', rank: 0, steps: [0, 1, 2], values: [1, 2, 3] },
    ],
  };
}

let stub: StubServer | undefined;
let client: IngestClient | undefined;
afterEach(async () => {
  client?.close();
  await stub?.close();
  stub = undefined;
});

async function setup(reply: StubServer['reply'], opts: Partial<ConstructorParameters<typeof IngestClient>[0]> = {}): Promise<[StubServer, IngestClient]> {
  stub = await startStub(reply);
  client = new IngestClient({ url: stub.url, retry: fast, ...opts });
  return [stub, client];
}

describe('IngestClient.send', () => {
  it('posts protobuf, gzips large bodies, and reports accepted points', async () => {
    const [s, c] = await setup(() => 'store', { apiKey: 'secret' });
    const r = await c.send(batch(1000));
    expect(r).toEqual({ acceptedPoints: 1003, requests: 1 });
    const got = s.received[0]!;
    expect(got.headers['content-type']).toBe('application/x-protobuf');
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(got.headers['authorization']).toBe('Bearer secret');
    expect(got.request.clientId).toBe('client-a');
    // Small bodies go plain; prebuilt bytes go as they are.
    await c.send(encodeIngestRequest(batch(2, 2)));
    expect(s.received[1]!.headers['content-encoding']).toBeUndefined();
    expect(s.received[1]!.request.sequence).toBe('2');
  });

  it('surfaces a 400 at once with the server body, without retrying', async () => {
    const [s, c] = await setup(() => ({ status: 400, body: { statusCode: 400, code: 'SS_ERR_VALIDATION', error: 'Bad Request', message: 'metric name invalid', details: { series: 0, field: 'metric' } } }));
    const err = await c.send(batch(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepstreamError);
    expect((err as StepstreamError).code).toBe('SS_ERR_CLIENT_REJECTED');
    expect((err as StepstreamError).statusCode).toBe(400);
    expect((err as StepstreamError).server?.code).toBe('SS_ERR_VALIDATION');
    expect((err as Error).message).toMatch(/metric name invalid.*"field":"metric"/);
    expect(s.received).toHaveLength(1);
  });

  it('surfaces 401 as unauthorized', async () => {
    const [, c] = await setup(() => ({ status: 401 }));
    await expect(c.send(batch(1))).rejects.toMatchObject({ code: 'SS_ERR_CLIENT_UNAUTHORIZED', statusCode: 401 });
  });

  it('splits on 413 until the halves fit, each half stored once under its own fixed identity', async () => {
    const [s, c] = await setup((r) => (r.series.reduce((n, x) => n + x.steps.length, 0) > 100 ? { status: 413 } : 'store'));
    const r = await c.send(batch(500));
    expect(r.acceptedPoints).toBe(503);
    const pts = s.points();
    expect(pts.size).toBe(503);
    for (const v of pts.values()) expect(v).toHaveLength(1);
    const ids = [...s.stored.values()].map((x) => `${x.clientId}#${x.sequence}`);
    expect(new Set(ids).size).toBe(ids.length);
    // Half i of (c, n) is (c~i, n): the series list is cut first (loss | lr),
    // then loss's 500 points in halves until each is at most 100.
    expect(ids).toHaveLength(9);
    expect(ids).toContain('client-a~1#1');
    for (const id of ids) expect(id).toMatch(/^client-a(~[01])+#1$/);
    // Run info travels once, with the first half.
    expect([...s.stored.values()].filter((x) => x.run !== null)).toHaveLength(1);
    // The same split of the same batch gets the same names (safe to repeat).
    const again = await c.send(batch(500));
    expect(again.acceptedPoints).toBe(503);
    expect(s.stored.size).toBe(ids.length);
  });

  it('splits prebuilt bytes too, every half keeping the batch\'s attempt and the first its run info', async () => {
    const [s, c] = await setup((r) => (r.series.reduce((n, x) => n + x.steps.length, 0) > 10 ? { status: 413 } : 'store'));
    const b = batch(40);
    await c.send(encodeIngestRequest({ ...b, attempt: 2, run: { ...b.run, resumeStep: 0, forkOf: 'p0', forkStep: 7 } }));
    expect(s.points().size).toBe(43);
    const stored = [...s.stored.values()];
    expect(stored.every((x) => x.attempt === 2)).toBe(true);
    expect(stored.filter((x) => x.run !== null).map((x) => x.run)).toMatchObject([{ resumeStep: 0, forkOf: 'p0', forkStep: 7 }]);
  });

  it('gives up on 413 for a single point', async () => {
    const [, c] = await setup(() => ({ status: 413 }));
    const one: IngestBatch = { project: 'p', runId: 'r', series: [{ metric: 'm', steps: [1], values: [1] }] };
    await expect(c.send(one)).rejects.toMatchObject({ code: 'SS_ERR_CLIENT_TOO_LARGE' });
  });

  it('retries 429 honouring Retry-After, keeping (client_id, sequence)', async () => {
    const [s, c] = await setup((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : 'store'));
    const t0 = Date.now();
    await c.send(batch(3, 77));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(s.received.map((x) => `${x.request.clientId}#${x.request.sequence}`)).toEqual(['client-a#77', 'client-a#77']);
  });

  it('retries 503 and network errors; a batch stored before its answer was lost is stored once', async () => {
    const script = [{ status: 503 } as const, 'destroy' as const, 'store-then-destroy' as const, 'store' as const];
    const [s, c] = await setup((_r, n) => script[n - 1] ?? 'store');
    const retries: number[] = [];
    const quick = new IngestClient({ url: s.url, retry: fast, onRetry: (i) => retries.push(i.attempt) });
    try {
      const r = await quick.send(batch(10, 5));
      expect(r.requests).toBe(4);
    } finally {
      quick.close();
    }
    expect(retries).toEqual([1, 2, 3]);
    expect(s.received).toHaveLength(4);
    expect(s.stored.size).toBe(1);
    expect(s.points().size).toBe(13);
    void c;
  });

  it('gives up after maxAttempts with SS_ERR_CLIENT_UNAVAILABLE naming the cause', async () => {
    const [s, c] = await setup(() => ({ status: 503 }), { retry: { ...fast, maxAttempts: 3 } });
    await expect(c.send(batch(1))).rejects.toMatchObject({ code: 'SS_ERR_CLIENT_UNAVAILABLE', statusCode: 503, message: expect.stringMatching(/gave up after 3 attempts.*503/) });
    expect(s.received).toHaveLength(3);
  });

  it('retries a refused connection, and an abort stops the waiting', async () => {
    const c = new IngestClient({ url: 'http://127.0.0.1:1', retry: { minBackoffMs: 50, maxBackoffMs: 50, maxAttempts: Infinity } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await expect(c.send(batch(1), { signal: ac.signal })).rejects.toMatchObject({ code: 'SS_ERR_CLIENT_ABORTED' });
    c.close();
    c.close();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
