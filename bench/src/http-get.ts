// GET (and a JSON POST) over keep-alive HTTP connections, timed from the request to the last byte of the answer.
import { Agent, request } from 'node:http';

export interface HttpGetter {
  /** Rejects unless the answer is 200; `ms` is the time to the answer's last byte. */
  get(path: string): Promise<{ ms: number; body: string }>;
  /** As get, for a POST of a JSON body. */
  post(path: string, json: unknown): Promise<{ ms: number; body: string }>;
  close(): void;
}

export function keepAliveGetter(url: string, maxSockets = 32): HttpGetter {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const base = new URL(url);
  const send = (path: string, json?: unknown) => new Promise<{ ms: number; body: string }>((resolve, reject) => {
    const t = performance.now();
    const payload = json === undefined ? undefined : JSON.stringify(json);
    const post = payload === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } };
    const req = request({ host: base.hostname, port: base.port, path, agent, ...post }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t;
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`${payload === undefined ? 'GET' : 'POST'} ${path} answered ${res.statusCode}: ${body.slice(0, 300)}`));
        else resolve({ ms, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  return { get: (path) => send(path), post: (path, json) => send(path, json), close: () => agent.destroy() };
}
