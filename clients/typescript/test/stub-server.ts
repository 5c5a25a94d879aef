// A tiny stand-in for POST /v1/ingest, for tests about the client side: it
// decodes every body, answers what the test scripts, and stores batches the
// way the server promises to (once per project, run, client_id, sequence).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeIngestRequest, type DecodedIngestRequest } from '@stepstream/proto';

export interface Received {
  request: DecodedIngestRequest;
  headers: IncomingMessage['headers'];
  bytes: number;
  points: number;
}

/** What to answer: a status (with headers/body), 'store' (202 after storing), or 'destroy' the socket. */
export type Reply =
  | 'store'
  | 'destroy'
  /** Store the batch, then drop the connection: the client never sees the 202. */
  | 'store-then-destroy'
  | { status: number; headers?: Record<string, string>; body?: unknown };

export interface StubServer {
  url: string;
  received: Received[];
  /** Batches stored, by identity; a repeated identity is answered 202 and not stored again. */
  stored: Map<string, DecodedIngestRequest>;
  /** Stored points as "metric|rank|step" → values, to check nothing is lost or doubled. */
  points(): Map<string, number[]>;
  reply: (req: DecodedIngestRequest, n: number) => Reply;
  close(): Promise<void>;
}

/** What names a batch for the server: a retry is (project, run, attempt, client_id, sequence). */
function identity(r: DecodedIngestRequest): string {
  return `${r.project}|${r.runId}|${r.attempt}|${r.clientId}|${r.sequence}`;
}

export async function startStub(reply: StubServer['reply'] = () => 'store'): Promise<StubServer> {
  const stub: StubServer = {
    url: '',
    received: [],
    stored: new Map(),
    reply,
    points() {
      const out = new Map<string, number[]>();
      for (const r of this.stored.values()) {
        for (const s of r.series) {
          s.steps.forEach((step, i) => {
            const key = `${s.metric}|${s.rank}|${step}`;
            out.set(key, [...(out.get(key) ?? []), s.values[i]!]);
          });
        }
      }
      return out;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  let unnamed = 0;
  const store = (r: DecodedIngestRequest, res: ServerResponse, points: number): void => {
    const id = r.clientId === '' ? `anonymous-${unnamed++}` : identity(r);
    if (!stub.stored.has(id)) stub.stored.set(id, r);
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted_points: points }));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const request = decodeIngestRequest(body);
      const points = request.series.reduce((n, s) => n + s.steps.length, 0);
      stub.received.push({ request, headers: req.headers, bytes: body.length, points });
      const r = stub.reply(request, stub.received.length);
      if (r === 'store') store(request, res, points);
      else if (r === 'destroy') req.socket.destroy();
      else if (r === 'store-then-destroy') { store(request, new NullResponse() as unknown as ServerResponse, points); req.socket.destroy(); }
      else {
        const status = r.status;
        const errorBody = r.body ?? { statusCode: status, code: `SS_ERR_TEST_${status}`, error: 'Test', message: `scripted ${status}` };
        res.writeHead(status, { 'content-type': 'application/json', ...r.headers }).end(JSON.stringify(errorBody));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

class NullResponse {
  writeHead(): this { return this; }
  end(): this { return this; }
}

/** Polls until `check` passes or the deadline runs out (then its last error is thrown). */
export async function waitFor(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
