// Sends prebuilt request bodies over keep-alive connections, `concurrency` in
// flight, retrying 503/429 and refused connections after Retry-After (capped);
// records acknowledgement times. One sender for Stepstream and for the anchor.
import { Agent, request } from 'node:http';

export interface SendResult { points: number; requests: number; retries: number; seconds: number; ackedAt: Float64Array; latenciesMs: number[] }

export interface Endpoint {
  /** Path of the ingest endpoint. */
  path: string;
  contentType: string;
  /** The status that acknowledges a body. */
  ok: number;
}

const STEPSTREAM_INGEST: Endpoint = { path: '/v1/ingest', contentType: 'application/x-protobuf', ok: 202 };

/**
 * `pointsPerSec`: pace the load (body i is not sent before its share of the
 * points is due) instead of sending as fast as the server acknowledges.
 */
export async function sendAll(url: string, bodies: { body: Buffer; points: number }[], concurrency: number, endpoint: Endpoint = STEPSTREAM_INGEST, pointsPerSec = Infinity): Promise<SendResult> {
  const u = new URL(`${url}${endpoint.path}`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ackedAt = new Float64Array(bodies.length);
  const latenciesMs: number[] = [];
  let next = 0, points = 0, retries = 0;
  const t0 = performance.now();
  const dueMs = new Float64Array(bodies.length);
  for (let i = 1; i < bodies.length; i++) dueMs[i] = dueMs[i - 1]! + (bodies[i - 1]!.points / pointsPerSec) * 1000;
  const post = (body: Buffer) => new Promise<{ status: number; retryAfter: number; text: string }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': endpoint.contentType, 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? '1'), text: Buffer.concat(chunks).toString().slice(0, 500) }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const b = bodies[i]!;
      const wait = t0 + dueMs[i]! - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      for (let attempt = 0; ; attempt++) {
        const s = performance.now();
        const res = await post(b.body).catch(() => ({ status: 0, retryAfter: 1, text: 'connection error' }));
        if (res.status === endpoint.ok) { latenciesMs.push(performance.now() - s); break; }
        if ((res.status === 503 || res.status === 429 || res.status === 0) && attempt < 200) {
          retries++;
          await new Promise((r) => setTimeout(r, Math.min(1000, res.retryAfter * 1000) / 4));
          continue;
        }
        throw new Error(`${endpoint.path} answered ${res.status}: ${res.text}`);
      }
      ackedAt[i] = performance.now();
      points += b.points;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { points, requests: bodies.length, retries, seconds: (performance.now() - t0) / 1000, ackedAt, latenciesMs: latenciesMs.sort((a, b) => a - b) };
}
