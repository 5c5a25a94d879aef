// The quick scan (scan.ts) against the decoder and the validator: whatever it
// calls plain, they accept, with its project, run id and points; and it calls
// the usual small and large batches plain, so a gateway forwarding bytes
// skips the decode for them.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIngestRequest, scanIngestRequest, validateRequest } from '../src/index.js';
import { stepstream as pb } from '../gen/ingest.js';

const testdata = join(import.meta.dirname, '..', 'testdata');

/** 'plain' when scanned so (and then the decoder and validator agree), else 'decode'. */
function verdict(body: Uint8Array): 'plain' | 'decode' {
  const scanned = scanIngestRequest(body);
  if (!scanned) return 'decode';
  const hex = Buffer.from(body).toString('hex').slice(0, 400);
  const decoded = decodeIngestRequest(body); // throws: the scan called a malformed body plain
  const { problem, points } = validateRequest(decoded);
  expect(problem, `scanned plain but refused: ${hex}`).toBeNull();
  expect({ project: decoded.project, runId: decoded.runId, points }, hex).toEqual(scanned);
  return 'plain';
}

/** A seeded generator (xorshift): the same cases every run. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

const encode = (req: Record<string, unknown>): Uint8Array => pb.v1.IngestRequest.encode(req as pb.v1.IngestRequest.$Properties).finish();

/** A small batch as one rank sends a step: `metrics` series of one point. */
function stepBatch(metrics: number, rank: number, step: number, extra: Record<string, unknown> = {}): Uint8Array {
  return encode({
    project: 'ranks-ingest', runId: 'job-1024', clientId: `job-1024-rank-${rank}`, sequence: step + 1, attempt: 2,
    series: Array.from({ length: metrics }, (_, m) => ({ metric: `rank/metric_${String(m).padStart(3, '0')}`, rank, steps: [step], values: [(m + 1) * 0.37], timeMs: [1_764_500_000_000 + step] })),
    ...extra,
  });
}

describe('scanIngestRequest', () => {
  it('agrees with the decoder and validator on every shared vector', () => {
    const verdicts = Object.fromEntries(readdirSync(testdata).filter((f) => f.endsWith('.bin')).map((name) => [name, verdict(readFileSync(join(testdata, name)))]));
    // Run info is decoded (multi-series.bin has it); so is a step of 2^53 - 1 (nonfinite.bin): past 2^49 a varint is left to the decoder.
    expect(verdicts).toMatchObject({ 'minimal.bin': 'plain', 'multi-series.bin': 'decode', 'nonfinite.bin': 'decode', 'run-info.bin': 'decode' });
  });

  it('calls the usual batches plain: one step of 100 metrics (rank 0, rank -1, rank 1023), 100 steps of 100 metrics', () => {
    for (const rank of [0, -1, 1023]) {
      expect(verdict(stepBatch(100, rank, 7))).toBe('plain');
      expect(scanIngestRequest(stepBatch(100, rank, 7))?.points).toBe(100);
    }
    const steps = Array.from({ length: 100 }, (_, i) => 5_000 + i);
    const large = encode({ project: 'p', runId: 'r', series: Array.from({ length: 100 }, (_, m) => ({ metric: `m${m}`, steps, values: steps.map((s) => s * 0.5 - m) })) });
    expect(verdict(large)).toBe('plain');
    expect(scanIngestRequest(large)?.points).toBe(10_000);
  });

  it('leaves to the decoder each request it cannot call plain for sure, valid or not', () => {
    const cases: [string, Uint8Array][] = [
      ['run info', stepBatch(2, 0, 1, { run: { name: 'n' } })],
      ['a non-ASCII metric name', encode({ project: 'p', runId: 'r', series: [{ metric: 'lossé', steps: [1], values: [1] }] })],
      ['a metric name with a space', encode({ project: 'p', runId: 'r', series: [{ metric: 'a b', steps: [1], values: [1] }] })],
      ['a metric name of 201 bytes', encode({ project: 'p', runId: 'r', series: [{ metric: 'm'.repeat(201), steps: [1], values: [1] }] })],
      ['no metric name', encode({ project: 'p', runId: 'r', series: [{ steps: [1], values: [1] }] })],
      ['an empty project', encode({ runId: 'r', series: [{ metric: 'm', steps: [1], values: [1] }] })],
      ['a project of 257 bytes', encode({ project: 'p'.repeat(257), runId: 'r', series: [] })],
      ['a run id with a control character', encode({ project: 'p', runId: 'r\u0001', series: [] })],
      ['a non-ASCII run id', encode({ project: 'p', runId: 'rü', series: [] })],
      ['rank -2', encode({ project: 'p', runId: 'r', series: [{ metric: 'm', rank: -2, steps: [1], values: [1] }] })],
      ['a negative step', encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [-1], values: [1] }] })],
      ['a step of 2^49', encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [2 ** 49], values: [1] }] })],
      ['a finite value of 2^970', encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [1], values: [2 ** 970] }] })],
      ['more steps than values', encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [1, 2], values: [1] }] })],
      ['times of another length', encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [1, 2], values: [1, 2], timeMs: [5] }] })],
      ['an unknown field', Buffer.concat([stepBatch(1, 0, 1), Buffer.from([0x48, 0x01])])],
      ['project given twice', Buffer.concat([stepBatch(1, 0, 1), encode({ project: 'q' })])],
      ['a cut body', stepBatch(3, 0, 1).subarray(0, 40)],
    ];
    for (const [name, body] of cases) expect(scanIngestRequest(body), name).toBeNull();
    // NaN, ±Infinity, 1e291, -0 and a metric of 200 bytes are plain.
    expect(verdict(encode({ project: 'p', runId: 'r', series: [{ metric: 'm'.repeat(200), steps: [0, 1, 2, 3, 4], values: [NaN, Infinity, -Infinity, 1e291, -0] }] }))).toBe('plain');
  });

  it('agrees over 3,000 generated requests of every shape, and 20,000 mutations of plain ones', () => {
    const rnd = random(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const ids = ['p', 'run-1', 'a'.repeat(256), 'a'.repeat(257), '', 'x y', 'ü', 'tab\t'];
    const metrics = ['loss', 'train/acc', 'a.b-c_d', 'm'.repeat(200), 'm'.repeat(201), '', 'bad name', 'é'];
    const numbers = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 49 - 1, 2 ** 49, 2 ** 53 - 1, -1, -5];
    const values = [0, -0, 1.5, NaN, Infinity, -Infinity, 1e292, -1e292, 1.1e292, 2 ** 969, 2 ** 970, Number.MAX_VALUE, 5e-324];
    let plain = 0;
    const bodies: Uint8Array[] = [];
    for (let k = 0; k < 3_000; k++) {
      const n = Math.floor(rnd() * 4);
      const series = Array.from({ length: Math.floor(rnd() * 5) }, () => {
        const m = rnd() < 0.7 ? n : Math.floor(rnd() * 4);
        return {
          ...(rnd() < 0.95 ? { metric: rnd() < 0.7 ? 'loss' : pick(metrics) } : {}),
          ...(rnd() < 0.5 ? { rank: pick([0, -1, 3, 1023, -2, 2 ** 28, 2 ** 31 - 1]) } : {}),
          steps: Array.from({ length: n }, () => (rnd() < 0.9 ? Math.floor(rnd() * 1e6) : pick(numbers))),
          values: Array.from({ length: m }, () => (rnd() < 0.8 ? rnd() * 10 - 5 : pick(values))),
          ...(rnd() < 0.4 ? { timeMs: Array.from({ length: rnd() < 0.8 ? n : Math.floor(rnd() * 4) }, () => (rnd() < 0.9 ? 1_764_500_000_000 + k : pick(numbers))) } : {}),
        };
      });
      const req = {
        ...(rnd() < 0.95 ? { project: rnd() < 0.8 ? 'proj' : pick(ids) } : {}),
        ...(rnd() < 0.95 ? { runId: rnd() < 0.8 ? 'run' : pick(ids) } : {}),
        ...(rnd() < 0.5 ? { clientId: rnd() < 0.8 ? 'c-1' : pick(ids) } : {}),
        ...(rnd() < 0.5 ? { sequence: pick(numbers.filter((x) => x >= 0)) } : {}),
        ...(rnd() < 0.3 ? { attempt: pick([0, 1, 7, 2 ** 28, 2 ** 32 - 1]) } : {}),
        ...(rnd() < 0.1 ? { run: { name: 'n', status: 2 } } : {}),
        series,
      };
      const body = encode(req);
      if (verdict(body) === 'plain') { plain++; bodies.push(body); }
    }
    expect(plain, 'generated requests scanned plain').toBeGreaterThan(300);
    let mutatedPlain = 0;
    for (let k = 0; k < 20_000; k++) {
      const body = Uint8Array.from(pick(bodies));
      if (body.length === 0) continue;
      const at = Math.floor(rnd() * body.length), how = rnd();
      let mutated: Uint8Array;
      if (how < 0.5) { body[at] = Math.floor(rnd() * 256); mutated = body; }
      else if (how < 0.7) { body[at] = body[at]! ^ (1 << Math.floor(rnd() * 8)); mutated = body; }
      else if (how < 0.85) mutated = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
      else mutated = Buffer.concat([body.subarray(0, at), Buffer.from([Math.floor(rnd() * 256)]), body.subarray(at)]);
      let v: 'plain' | 'decode';
      try { v = verdict(mutated); } catch (err) {
        throw new Error(`scanned plain, the decoder refused: ${Buffer.from(mutated).toString('hex')}: ${(err as Error).message}`);
      }
      if (v === 'plain') mutatedPlain++;
    }
    expect(mutatedPlain, 'mutations still scanned plain (a changed value, a name)').toBeGreaterThan(1000);
  });
});
