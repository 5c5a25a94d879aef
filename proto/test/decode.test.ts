import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { decodeIngestRequest, ProtoDecodeError } from '../src/index.js';
import { stepstream as pb } from '../gen/ingest.js';

const testdata = join(import.meta.dirname, '..', 'testdata');

function bits(v: number): string {
  return Buffer.from(new Float64Array([v]).buffer).toString('hex');
}

describe('decodeIngestRequest', () => {
  it('reads every shared vector as the generated decoder does', () => {
    const names = readdirSync(testdata).filter((f) => f.endsWith('.bin'));
    expect(names.length).toBeGreaterThanOrEqual(4);
    for (const name of names) {
      const bytes = readFileSync(join(testdata, name));
      const ours = decodeIngestRequest(bytes);
      // The generated decoder gives Long objects for 64-bit fields: compare as text.
      const ref = JSON.parse(JSON.stringify(pb.v1.IngestRequest.decode(bytes), (_k, v: unknown) =>
        v !== null && typeof v === 'object' && 'low' in v && 'high' in v ? String(v) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) as Record<string, unknown>;
      expect(ours.project).toBe(ref['project'] ?? '');
      expect(ours.runId).toBe(ref['runId'] ?? '');
      expect(ours.clientId).toBe(ref['clientId'] ?? '');
      expect(ours.sequence).toBe(String(ref['sequence'] ?? '0'));
      expect(ours.attempt).toBe(ref['attempt'] ?? 0);
      const refSeries = ref['series'] as { metric: string; rank: number; steps: string[]; values: number[]; timeMs: string[] }[];
      expect(ours.series).toHaveLength(refSeries.length);
      ours.series.forEach((s, i) => {
        const r = refSeries[i]!;
        expect(s.metric).toBe(r.metric);
        expect(s.rank).toBe(r.rank ?? 0);
        expect(Array.from(s.steps).map(String)).toEqual(r.steps);
        expect(Array.from(s.values).map(bits)).toEqual(r.values.map((v) => bits(Number(v))));
        expect(Array.from(s.timeMs).map(String)).toEqual(r.timeMs);
      });
      if (ref['run']) {
        const run = ref['run'] as Record<string, unknown>;
        expect(ours.run).toMatchObject({ name: run['name'] ?? '', configJson: run['configJson'] ?? '', tags: run['tags'] ?? [], status: run['status'] ?? 0, meta: run['meta'] ?? {} });
        expect(String(ours.run!.startedMs)).toBe(String(run['startedMs'] ?? '0'));
        // resume_step is optional: present at 0 is not absent.
        expect(ours.run!.resumeStep).toBe('resumeStep' in run ? Number(run['resumeStep']) : null);
        expect(ours.run).toMatchObject({ forkOf: run['forkOf'] ?? '', forkStep: Number(run['forkStep'] ?? 0) });
      } else expect(ours.run).toBeNull();
    }
  });

  it('keeps NaN, infinities and -0 bit for bit, also from an unaligned buffer', () => {
    const values = [NaN, Infinity, -Infinity, -0, 5e-324, 1.7976931348623157e308];
    const bytes = pb.v1.IngestRequest.encode({ project: 'p', runId: 'r', series: [{ metric: 'm', rank: -1, steps: [0, 1, 2, 3, 4, 5], values }] }).finish();
    for (const shift of [0, 1, 3]) {
      const buf = new Uint8Array(bytes.length + shift);
      buf.set(bytes, shift);
      const s = decodeIngestRequest(buf.subarray(shift)).series[0]!;
      expect(Array.from(s.values).map(bits)).toEqual(values.map(bits));
      expect(s.rank).toBe(-1);
    }
  });

  it('reads strings and values the same from a Buffer and a plain Uint8Array, at any offset (ASCII, UTF-8, past the kept strings\' length; one value copied by a loop, nine by set())', () => {
    const long = 'x'.repeat(300);
    const series = [
      { metric: 'train/loss', rank: 0, steps: [7], values: [1.5] },
      { metric: 'é/ünï/😀', rank: 1, steps: [1, 2, 3, 4, 5, 6, 7, 8, 9], values: [1, 2, 3, 4, 5, 6, 7, 8, 9.25] },
      { metric: long, rank: 2, steps: [3], values: [-0] },
    ];
    const bytes = pb.v1.IngestRequest.encode({ project: 'proj', runId: 'rün', clientId: '', series }).finish();
    for (const shift of [0, 1, 5]) {
      const plain = new Uint8Array(bytes.length + shift);
      plain.set(bytes, shift);
      const asBuffer = Buffer.alloc(bytes.length + shift);
      asBuffer.set(bytes, shift);
      for (const buf of [plain.subarray(shift), asBuffer.subarray(shift)]) {
        const d = decodeIngestRequest(buf);
        expect([d.project, d.runId]).toEqual(['proj', 'rün']);
        expect(d.series.map((s) => s.metric)).toEqual(series.map((s) => s.metric));
        expect(d.series.map((s) => Array.from(s.values).map(bits))).toEqual(series.map((s) => s.values.map(bits)));
        expect(d.series.map((s) => Array.from(s.steps))).toEqual(series.map((s) => s.steps));
      }
    }
    expect(() => decodeIngestRequest(Buffer.from([0x0a, 0x03, 0x61, 0xff, 0x62]))).toThrow(/UTF-8/);
  });

  it('reads every name right past the strings it keeps (more names than it keeps, each read twice)', () => {
    const names = Array.from({ length: 6000 }, (_, i) => `m/${i.toString(36)}`);
    for (let round = 0; round < 2; round++) {
      for (let at = 0; at < names.length; at += 500) {
        const part = names.slice(at, at + 500);
        const bytes = Buffer.from(pb.v1.IngestRequest.encode({ project: 'p', runId: 'r', series: part.map((metric) => ({ metric, steps: [1], values: [1] })) }).finish());
        expect(decodeIngestRequest(bytes).series.map((s) => s.metric)).toEqual(part);
      }
    }
  });

  it('accepts unpacked repeated fields and skips unknown ones', () => {
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string('m');
    for (const step of [7, 300]) w.uint32(3 << 3).int64(step);
    for (const v of [1.5, 2.5]) w.uint32((4 << 3) | 1).double(v);
    w.uint32((99 << 3) | 0).uint64(12345);
    w.ldelim();
    w.uint32((50 << 3) | 2).string('future field');
    const req = decodeIngestRequest(w.finish());
    expect(Array.from(req.series[0]!.steps)).toEqual([7, 300]);
    expect(Array.from(req.series[0]!.values)).toEqual([1.5, 2.5]);
  });

  it('keeps every decoded request\'s steps intact while later requests are decoded (shared arena), also past a chunk', () => {
    const encode = (base: number, n: number, series: number) => pb.v1.IngestRequest.encode({
      project: 'p', runId: 'r',
      series: Array.from({ length: series }, (_, k) => ({ metric: `m${k}`, steps: Array.from({ length: n }, (_, i) => base + k * n + i), values: new Array<number>(n).fill(k) })),
    }).finish();
    const decoded = Array.from({ length: 40 }, (_, j) => ({ j, req: decodeIngestRequest(encode(j * 1_000_000, 100 + j * 97, 8)) }));
    // a packed field mixed with an unpacked one for the same series grows a column of its own
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 2).fork().uint32((1 << 3) | 2).string('m').uint32((3 << 3) | 2).fork().int64(1).int64(2).ldelim().uint32(3 << 3).int64(3).ldelim();
    const mixed = decodeIngestRequest(w.finish());
    for (const { j, req } of decoded) {
      const n = 100 + j * 97;
      req.series.forEach((s, k) => {
        expect(s.steps).toHaveLength(n);
        expect(s.steps[0]).toBe(j * 1_000_000 + k * n);
        expect(s.steps[n - 1]).toBe(j * 1_000_000 + k * n + n - 1);
      });
    }
    expect(Array.from(mixed.series[0]!.steps)).toEqual([1, 2, 3]);
  });

  it('marks steps that a double cannot hold exactly as NaN, and keeps 2^53 - 1', () => {
    const bytes = pb.v1.IngestRequest.encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: ['9007199254740991', '9007199254740993', '-5'] as unknown as number[], values: [1, 2, 3] }] }).finish();
    const steps = Array.from(decodeIngestRequest(bytes).series[0]!.steps);
    expect(steps[0]).toBe(2 ** 53 - 1);
    expect(steps[1]).toBeNaN();
    expect(steps[2]).toBe(-5);
  });

  it('rejects truncated and malformed input with the offset', () => {
    const good = readFileSync(join(testdata, 'nonfinite.bin'));
    // Cut inside the last varint, and inside the series message.
    expect(() => decodeIngestRequest(good.subarray(0, good.length - 1))).toThrow(ProtoDecodeError);
    expect(() => decodeIngestRequest(good.subarray(0, 40))).toThrow(ProtoDecodeError);
    expect(() => decodeIngestRequest(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(/past the end/);
    expect(() => decodeIngestRequest(Buffer.from([0x0f]))).toThrow(/project must be a string at byte 1/);
    expect(() => decodeIngestRequest(Buffer.from([0x7f]))).toThrow(/wire type 7/);
    expect(() => decodeIngestRequest(Buffer.from([0x0a, 0x02, 0xc3, 0x28]))).toThrow(/UTF-8/);
  });
});

describe('generated code and vectors', () => {
  it('have not drifted from ingest.proto and the vector script', () => {
    const root = join(import.meta.dirname, '..');
    execFileSync(process.execPath, [join(root, 'scripts', 'vectors.mjs'), '--check'], { stdio: 'pipe' });
    execFileSync(process.execPath, [join(root, 'scripts', 'generate.mjs'), '--check'], { stdio: 'pipe' });
  }, 60_000);
});
