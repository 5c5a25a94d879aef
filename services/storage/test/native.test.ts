import { describe, expect, it } from 'vitest';
import { coalesce } from '../src/native.js';

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
