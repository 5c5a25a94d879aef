// The dashboard: the built web app (web/dist: index.html, app.js, app.css, ...)
// served at `/`. The directory is given by the caller (the CLI takes it from
// @stepstream/web), so this service never imports browser code. Its files are
// read once at start-up; each is a fixed route, so no request names a path on disk.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export interface DashboardDeps {
  /** The built dashboard; null or missing: `/` answers a page saying how to build it. */
  dir: string | null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Stepstream</title>
<p>The dashboard is not built. Run <code>npm run build</code> (or <code>npm start</code>) in the repository, then reload.</p>`;

export async function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const files = deps.dir ? await readBuilt(deps.dir) : new Map<string, Buffer>();
  const index = files.get('index.html') ?? Buffer.from(NOT_BUILT);
  const page = async (_req: unknown, reply: { type(t: string): unknown; header(k: string, v: string): unknown }) => {
    reply.type(TYPES['.html']!);
    reply.header('cache-control', 'no-cache');
    return index;
  };
  app.get('/', page);
  app.get('/ui', page);
  for (const [name, body] of files) {
    if (name === 'index.html') continue;
    app.get(`/${name}`, async (_req, reply) => {
      reply.type(TYPES[extname(name)] ?? 'application/octet-stream');
      reply.header('cache-control', 'no-cache');
      return body;
    });
  }
}

async function readBuilt(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let names: string[];
  try { names = await readdir(dir); } catch { return out; }
  for (const name of names) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || !(extname(name) in TYPES)) continue;
    out.set(name, await readFile(join(dir, name)));
  }
  return out;
}
