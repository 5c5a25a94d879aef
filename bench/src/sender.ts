// Sends prebuilt request bodies over keep-alive connections, `concurrency` in
// flight, retrying 503/429 after Retry-After; records acknowledgement times.
import { Agent, request } from 'node:http';

export interface SendResult { points: number; requests: number; retries: number; seconds: number; ackedAt: Float64Array; latenciesMs: number[] }

export async function sendAll(url: string, bodies: { body: Buffer; points: number }[], concurrency: number, onAck?: (i: number) => void): Promise<SendResult> {
  const u = new URL(`${url}/v1/ingest`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ackedAt = new Float64Array(bodies.length);
  const latenciesMs: number[] = [];
  let next = 0, points = 0, retries = 0;
  const t0 = performance.now();
  const post = (body: Buffer) => new Promise<{ status: number; retryAfter: number }>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? '1') }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      const b = bodies[i]!;
      for (;;) {
        const s = performance.now();
        const res = await post(b.body).catch(() => ({ status: 0, retryAfter: 1 }));
        if (res.status === 202) { latenciesMs.push(performance.now() - s); break; }
        if (res.status === 503 || res.status === 429 || res.status === 0) { retries++; await new Promise((r) => setTimeout(r, Math.min(1000, res.retryAfter * 1000) / 4)); continue; }
        throw new Error(`ingest answered ${res.status}`);
      }
      ackedAt[i] = performance.now();
      points += b.points;
      onAck?.(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { points, requests: bodies.length, retries, seconds: (performance.now() - t0) / 1000, ackedAt, latenciesMs: latenciesMs.sort((a, b) => a - b) };
}
