// An empty route, the floor of a request: `fastify` is bare Fastify (GET and
// POST /empty, the POST body read as bytes and dropped), `runtime` the same
// POST route on the server every Stepstream role shares (its hooks and
// metrics included). Run as its own process by the ranks ingest benchmark.
import Fastify, { type FastifyInstance } from 'fastify';
import { createHttpServer, createLogger, createRegistry } from '@stepstream/runtime';

const [mode = 'fastify', portArg = '0'] = process.argv.slice(2);
const app: FastifyInstance = mode === 'runtime'
  ? createHttpServer({ logger: createLogger({ level: 'warn' }), registry: createRegistry(), bodyLimit: 16 << 20, readiness: () => ({}) }).app
  : Fastify();
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.get('/empty', async () => ({}));
app.post('/empty', async (_req, reply) => { reply.code(202); return {}; });
// A backlog for 1,024 connections opened at once, as gateway-server.ts.
const address = await app.listen({ host: '127.0.0.1', port: Number(portArg), backlog: 2048 });
process.stdout.write(`listening ${address}\n`);
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
