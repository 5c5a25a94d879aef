// The gateway with a sink that discards, as it runs in front of Kafka (the
// bytes forwarded, not the decoded request): the scan of a plain request, or
// decode and validation of any other, included; nothing queued. Run as its
// own process by the gateway benchmark.
import { ingestRoutes } from '@stepstream/gateway';
import type { IngestSink } from '@stepstream/queue';
import { createHttpServer, createLogger, createRegistry } from '@stepstream/runtime';

const port = Number(process.argv[2] ?? 0);
const registry = createRegistry();
const discard: IngestSink = { send: async () => {}, notReadyReason: () => null, close: async () => {} };
const http = createHttpServer({ logger: createLogger({ level: 'warn' }), registry, bodyLimit: 16 << 20, readiness: () => ({}) });
await http.app.register(async (scope) => ingestRoutes(scope, { sink: discard, registry, maxBodyBytes: 16 << 20, maxInflatedBytes: 64 << 20, passDecoded: false }));
// NOTE: a backlog for 1,024 connections opened at once (ranks-ingest.ts):
// at Node's default of 511 the kernel drops SYNs and those connections wait
// for a retransmit, seconds in which they send nothing.
const address = await http.app.listen({ host: '127.0.0.1', port, backlog: 2048 });
process.stdout.write(`listening ${address}\n`);
process.on('SIGTERM', () => { void http.app.close().then(() => process.exit(0)); });
