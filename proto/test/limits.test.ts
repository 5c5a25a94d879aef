// The decoder's bounds (issue 9): what a body can make it allocate, and the
// bytes it must refuse or keep exactly.
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import {
  decodeIngestRequest, validateRequest, INGEST_LIMITS, NO_LIMITS, MAX_ABS_VALUE, MAX_CONFIG_DEPTH, ProtoDecodeError, ProtoLimitError,
} from '../src/index.js';
import { stepstream as pb } from '../gen/ingest.js';

const encode = (r: pb.v1.IIngestRequest) => pb.v1.IngestRequest.encode(r).finish();
const limitOf = (f: () => unknown): ProtoLimitError => {
  try { f(); } catch (err) { if (err instanceof ProtoLimitError) return err; throw err; }
  throw new Error('no limit error');
};

describe('decode limits', () => {
  it('refuses the series past maxSeries before decoding it; NO_LIMITS takes them all', () => {
    const bytes = encode({ project: 'p', runId: 'r', series: Array.from({ length: 11 }, () => ({ metric: 'm' })) });
    const limits = { ...INGEST_LIMITS, maxSeries: 10 };
    expect(decodeIngestRequest(encode({ project: 'p', runId: 'r', series: Array.from({ length: 10 }, () => ({ metric: 'm' })) }), limits).series).toHaveLength(10);
    expect(limitOf(() => decodeIngestRequest(bytes, limits))).toMatchObject({ field: 'series', limit: 10 });
    expect(decodeIngestRequest(bytes, NO_LIMITS).series).toHaveLength(11);
  });

  it('counts points over all series and every encoding, packed or not', () => {
    const limits = { ...INGEST_LIMITS, maxPoints: 5 };
    const steps = [0, 1, 2];
    const two = encode({ project: 'p', runId: 'r', series: [{ metric: 'a', steps, values: [1, 2, 3] }, { metric: 'b', steps, values: [1, 2, 3] }] });
    expect(limitOf(() => decodeIngestRequest(two, limits))).toMatchObject({ field: 'points', limit: 5 });
    expect(decodeIngestRequest(two, { ...limits, maxPoints: 6 }).series).toHaveLength(2);
    // Columns that would be refused later for their unequal lengths count too (times alone, values alone).
    const timesOnly = encode({ project: 'p', runId: 'r', series: [{ metric: 'a', timeMs: [1, 2, 3, 4, 5, 6] }] });
    expect(limitOf(() => decodeIngestRequest(timesOnly, limits)).field).toBe('points');
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 2).fork().uint32((1 << 3) | 2).string('m');
    for (let i = 0; i < 6; i++) w.uint32((4 << 3) | 1).double(i);
    w.ldelim();
    expect(limitOf(() => decodeIngestRequest(w.finish(), limits)).field).toBe('points');
  });

  it('refuses a packed field that cannot fit in the points left without allocating for it', () => {
    // 1 MB of zero steps: a million points, past a limit of 1000, refused from its length alone.
    const w = protobuf.Writer.create();
    w.uint32((4 << 3) | 2).fork().uint32((1 << 3) | 2).string('m').uint32((3 << 3) | 2).bytes(new Uint8Array(1_000_000)).ldelim();
    const err = limitOf(() => decodeIngestRequest(w.finish(), { ...INGEST_LIMITS, maxPoints: 1000 }));
    expect(err).toMatchObject({ field: 'points', limit: 1000 });
    // Multi-byte steps that do fit are all read (the slots are counted in values, not bytes).
    const big = Array.from({ length: 1000 }, (_, i) => 2 ** 40 + i);
    const ok = decodeIngestRequest(encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: big, values: big.map(() => 0) }] }), { ...INGEST_LIMITS, maxPoints: 1000 });
    expect(Array.from(ok.series[0]!.steps)).toEqual(big);
    // One too many, in a field whose bytes alone could hold it: found after reading.
    const over = encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [...big, 2 ** 40], values: [] }] });
    expect(limitOf(() => decodeIngestRequest(over, { ...INGEST_LIMITS, maxPoints: 1000 })).field).toBe('points');
  });

  it('bounds run.tags and run.meta entries', () => {
    const run = (r: pb.v1.IRunInfo) => encode({ project: 'p', runId: 'r', run: r });
    const limits = { ...INGEST_LIMITS, maxTags: 2, maxMetaEntries: 2 };
    expect(limitOf(() => decodeIngestRequest(run({ tags: ['a', 'b', 'c'] }), limits))).toMatchObject({ field: 'run.tags', limit: 2 });
    expect(limitOf(() => decodeIngestRequest(run({ meta: { a: '1', b: '2', c: '3' } }), limits))).toMatchObject({ field: 'run.meta', limit: 2 });
    expect(decodeIngestRequest(run({ tags: ['a', 'b'], meta: { a: '1', b: '2' } }), limits).run).toMatchObject({ tags: ['a', 'b'], meta: { a: '1', b: '2' } });
  });
});

describe('exactly as sent, or refused', () => {
  it('refuses declared lengths and tags of 2^32 and more instead of keeping their low 32 bits', () => {
    const bytes = Buffer.concat([Buffer.from([0x0a]), Buffer.from([0x81, 0x80, 0x80, 0x80, 0x10]), Buffer.from('p')]);
    expect(() => decodeIngestRequest(bytes)).toThrow(/2\^32 or more/);
    // A tag of 2^32 + 10 (field 1, wire type 2 in its low bits).
    expect(() => decodeIngestRequest(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x10, 0x01, 0x70]))).toThrow(ProtoDecodeError);
  });

  it('keeps a leading BOM in strings', () => {
    const req = decodeIngestRequest(encode({ project: '\uFEFFp', runId: '\uFEFF', series: [{ metric: 'm' }] }));
    expect(req.project).toBe('\uFEFFp');
    expect(req.runId).toBe('\uFEFF');
  });

  it('keeps a __proto__ meta key as an entry', () => {
    const req = decodeIngestRequest(encode({ project: 'p', runId: 'r', run: { meta: { ['__proto__']: 'x', a: 'b' } } }));
    const meta = req.run!.meta;
    expect(Object.hasOwn(meta, '__proto__')).toBe(true);
    expect(meta['__proto__']).toBe('x');
    expect(JSON.parse(JSON.stringify(meta))).toEqual(JSON.parse('{"__proto__":"x","a":"b"}'));
  });
});

describe('validation limits', () => {
  const req = (values: number[]) => decodeIngestRequest(encode({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: values.map((_, i) => i), values }] }));
  it('refuses finite values past ±MAX_ABS_VALUE, keeps NaN, ±Infinity and the bound itself', () => {
    expect(validateRequest(req([MAX_ABS_VALUE, -MAX_ABS_VALUE, NaN, Infinity, -Infinity, 0])).problem).toBeNull();
    expect(validateRequest(req([0, 1e293])).problem?.details).toMatchObject({ field: 'values', index: 1, limit: MAX_ABS_VALUE });
    expect(validateRequest(req([-Number.MAX_VALUE])).problem?.details).toMatchObject({ field: 'values', index: 0 });
    // 2^53 values at the bound still sum to a finite number.
    expect(Number.isFinite(MAX_ABS_VALUE * 2 ** 53)).toBe(true);
  });

  it('measures config nesting outside strings only', () => {
    const run = (configJson: string) => validateRequest(decodeIngestRequest(encode({ project: 'p', runId: 'r', run: { configJson } }))).problem;
    const nested = (d: number) => `{"a":${'['.repeat(d - 1)}${']'.repeat(d - 1)}}`;
    expect(run(nested(MAX_CONFIG_DEPTH))).toBeNull();
    expect(run(nested(MAX_CONFIG_DEPTH + 1))?.details).toEqual({ field: 'run.config_json', limit: MAX_CONFIG_DEPTH });
    expect(run(JSON.stringify({ s: `\\"${'{'.repeat(100)}` }))).toBeNull();
  });
});
