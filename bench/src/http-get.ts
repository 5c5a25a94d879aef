// GET over keep-alive HTTP connections, timed from the request to the last byte of the answer.
import { Agent, request } from 'node:http';

export interface HttpGetter {
  /** Rejects unless the answer is 200; `ms` is the time to the answer's last byte. */
  get(path: string): Promise<{ ms: number; body: string }>;
  close(): void;
}

export function keepAliveGetter(url: string, maxSockets = 32): HttpGetter {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const base = new URL(url);
  const get = (path: string) => new Promise<{ ms: number; body: string }>((resolve, reject) => {
    const t = performance.now();
    const req = request({ host: base.hostname, port: base.port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t;
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(0, 300)}`));
        else resolve({ ms, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { get, close: () => agent.destroy() };
}
