import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createHttpServer, createRegistry } from '@stepstream/runtime';
import { request } from 'node:http';
import { EngineScheduler, ReadRefusedError, readContext, type ReadLimit } from '@stepstream/storage';
import { readRefusals } from '../src/read-refusals.js';

describe('readRefusals', () => {
  it('answers each store refusal with its status, code, limit and Retry-After; other errors pass on', async () => {
    const http = createHttpServer({ logger: pino({ level: 'silent' }), registry: createRegistry(), bodyLimit: 1024, readiness: () => ({}) });
    await http.app.register(async (scope) => {
      readRefusals(scope);
      scope.get<{ Params: { limit: string } }>('/refuse/:limit', async (req) => {
        const limit = req.params.limit as ReadLimit;
        throw new ReadRefusedError(limit, limit === 'read-time' ? 5000 : 8, 'p', 'refused');
      });
      scope.get('/boom', async () => { throw new Error('boom'); });
    });
    try {
      const get = (url: string) => http.app.inject({ url });
      const project = await get('/refuse/project-reads');
      expect(project.statusCode).toBe(429);
      expect(project.headers['retry-after']).toBe('1');
      expect(project.json()).toMatchObject({ code: 'SS_ERR_TOO_MANY_READS', details: { limit: 8, project: 'p' } });
      const queue = await get('/refuse/queued-reads');
      expect(queue.statusCode).toBe(503);
      expect(queue.headers['retry-after']).toBe('1');
      expect(queue.json()).toMatchObject({ code: 'SS_ERR_READ_QUEUE_FULL', details: { limit: 8 } });
      const gone = await get('/refuse/abandoned');
      expect(gone.statusCode).toBe(499);
      expect(gone.json()).toMatchObject({ code: 'SS_ERR_CLIENT_GONE' });
      const time = await get('/refuse/read-time');
      expect(time.statusCode).toBe(422);
      expect(time.headers['retry-after']).toBeUndefined();
      expect(time.json()).toMatchObject({ code: 'SS_ERR_QUERY_TIMEOUT', details: { limit: 5000 } });
      const boom = await get('/boom');
      expect(boom.statusCode).toBe(500);
      expect(boom.json()).toMatchObject({ code: 'SS_ERR_INTERNAL' });
    } finally {
      await http.app.close();
    }
  });

  it('runs each request\'s reads in its context: the background header, and a client that goes away has its waiting reads dropped', async () => {
    const http = createHttpServer({ logger: pino({ level: 'silent' }), registry: createRegistry(), bodyLimit: 1024, readiness: () => ({}) });
    const line = new EngineScheduler({ projectReads: 8, queuedReads: 8, readTimeoutMs: 1000, serverReads: 1, slots: 1, projectRunning: 1 });
    let release = () => {};
    const ran: string[] = [];
    await http.app.register(async (scope) => {
      readRefusals(scope);
      scope.get('/context', async () => ({ background: readContext().background, signal: readContext().signal !== undefined }));
      scope.get('/read', async () => line.read('p', async () => { ran.push('read'); return 'ok'; }));
    });
    try {
      expect((await http.app.inject({ url: '/context' })).json()).toEqual({ background: false, signal: true });
      expect((await http.app.inject({ url: '/context', headers: { 'x-stepstream-priority': 'background' } })).json()).toEqual({ background: true, signal: true });
      const url = await http.app.listen({ port: 0, host: '127.0.0.1' });
      // The one slot held, so the request's read waits; then its client goes away.
      const held = line.read('p', () => new Promise<string>((r) => { release = () => r('held'); }));
      const req = request(`${url}/read`);
      req.on('error', () => {});
      req.end();
      await waitUntil(() => line.depth.queued === 1);
      req.destroy();
      await waitUntil(() => line.depth.queued === 0);
      release();
      expect(await held).toBe('held');
      expect(ran).toEqual([]);
    } finally {
      release();
      await http.app.close();
    }
  });
});

async function waitUntil(done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
