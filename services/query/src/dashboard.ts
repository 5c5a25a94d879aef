// The dashboard: static files served by the query role.
import { readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const html = await readFile(join(PUBLIC, 'index.html'), 'utf8');
  const serve = async (_req: unknown, reply: { type(t: string): unknown }) => { reply.type('text/html; charset=utf-8'); return html; };
  app.get('/', serve);
  app.get('/ui', serve);
}
