import { describe, expect, it } from 'vitest';
import { coalesce, nativeBlock, readNumericColumns, type NativeColumn } from '../src/native.js';

describe('coalesce', () => {
  it('regroups pieces into chunks of about the given size, bytes and order unchanged', () => {
    const pieces = Array.from({ length: 500 }, (_, i) => Buffer.alloc(i % 7 === 0 ? 5000 : 1 + (i % 13), i & 0xff));
    const chunks = [...coalesce(pieces, 4096)];
    expect(Buffer.concat(chunks)).toEqual(Buffer.concat(pieces));
    expect(chunks.length).toBeLessThan(pieces.length / 3); // 72 large pieces, each between two runs of small ones
    // a chunk exceeds the size only by its last small piece, or is one large piece
    for (const c of chunks) expect(c.length < 4096 + 13 || pieces.some((p) => p === c)).toBe(true);
    expect([...coalesce([], 10)]).toEqual([]);
  });
});

describe('readNumericColumns', () => {
  const bytes = (blocks: [number, NativeColumn[]][]) => Buffer.concat(blocks.flatMap(([rows, cols]) => nativeBlock(rows, cols)).map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

  it('reads every block of each column exactly: NaN, ±Infinity, -0, 64-bit integers to ±2^53, a SimpleAggregateFunction', () => {
    const f = [NaN, Infinity, -Infinity, -0, 5e-324, 0.1 + 0.2];
    const ints = [0, -1, 2 ** 53, -(2 ** 53), 2 ** 32 + 1, -(2 ** 32) - 1];
    const got = readNumericColumns(bytes([
      [3, [{ name: 'f', type: 'Float64', data: new Float64Array(f.slice(0, 3)) }, { name: 'i', type: 'SimpleAggregateFunction(min, Int64)', data: BigInt64Array.from(ints.slice(0, 3), BigInt) },
        { name: 'u', type: 'UInt64', data: BigUint64Array.from([0n, 2n ** 53n, 2n ** 32n + 7n]) }, { name: 'r', type: 'Int32', data: Int32Array.from([-1, 2, -(2 ** 31)]) }]],
      [3, [{ name: 'f', type: 'Float64', data: new Float64Array(f.slice(3)) }, { name: 'i', type: 'SimpleAggregateFunction(min, Int64)', data: BigInt64Array.from(ints.slice(3), BigInt) },
        { name: 'u', type: 'UInt64', data: BigUint64Array.from([1n, 2n, 3n]) }, { name: 'r', type: 'Int32', data: Int32Array.from([0, 1, 2 ** 31 - 1]) }]],
    ]));
    expect([...got['f']!].map((v) => Object.is(v, -0) ? '-0' : v)).toEqual([NaN, Infinity, -Infinity, '-0', 5e-324, 0.1 + 0.2]);
    expect([...got['i']!]).toEqual(ints);
    expect([...got['u']!]).toEqual([0, 2 ** 53, 2 ** 32 + 7, 1, 2, 3]);
    expect([...got['r']!]).toEqual([-1, 2, -(2 ** 31), 0, 1, 2 ** 31 - 1]);
    expect(readNumericColumns(new Uint8Array(0))).toEqual({});
  });

  it('refuses a column that is not numbers, and a block cut short', () => {
    expect(() => readNumericColumns(bytes([[1, [{ name: 's', type: 'String', data: Buffer.from([1, 65]) }]]]))).toThrow(/column s is String/);
    const whole = bytes([[4, [{ name: 'f', type: 'Float64', data: new Float64Array(4) }]]]);
    expect(() => readNumericColumns(whole.subarray(0, whole.length - 1))).toThrow(/truncated/);
  });
});
