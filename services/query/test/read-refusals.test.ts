import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createHttpServer, createRegistry } from '@stepstream/runtime';
import { ReadRefusedError, type ReadLimit } from '@stepstream/storage';
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
});
