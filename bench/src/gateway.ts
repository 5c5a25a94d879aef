// gateway: autocannon against /v1/ingest with real protobuf bodies; the sink
// discards, so this is the ceiling of the request path (inflate, decode,
// validate) in one gateway process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, peakRssMb } from './procs.js';
import { buildBatches, describe, type Workload } from './workload.js';

export interface GatewayFigures { workload: string; pointsPerSec: number; requestsPerSec: number; p50Ms: number; p99Ms: number; peakRssMb: number; pointsPerRequest: number; errors: number }

export async function benchGateway(w: Workload, seconds: number, connections = 32): Promise<GatewayFigures> {
  const batches = buildBatches(w, 'bench').slice(0, 2000);
  const pointsPerRequest = batches.reduce((a, b) => a + b.points, 0) / batches.length;
  const port = await freePort();
  const proc = spawn(process.execPath, [join(import.meta.dirname, 'gateway-server.js'), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); });
    proc.on('exit', (code) => reject(new Error(`gateway exited ${code}`)));
  });
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, peakRssMb(proc.pid!) || 0); }, 200);
  try {
    let i = 0;
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/v1/ingest`,
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      connections,
      pipelining: 1,
      duration: seconds,
      requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: batches[i++ % batches.length]!.body }) }],
    } as autocannon.Options);
    const ok = result['2xx'];
    return {
      workload: describe(w), pointsPerRequest, errors: result.non2xx + result.errors,
      requestsPerSec: ok / result.duration, pointsPerSec: (ok * pointsPerRequest) / result.duration,
      p50Ms: result.latency.p50, p99Ms: result.latency.p99, peakRssMb: Math.max(peak, peakRssMb(proc.pid!) || 0),
    };
  } finally {
    clearInterval(sampler);
    proc.kill('SIGTERM');
  }
}
