import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeIngestRequest } from '@stepstream/proto';
import { stepstream as pb } from '@stepstream/proto/gen';
import { QueueFullError, WalQueue, messageBytes, type IngestMessage } from '../src/index.js';

const dirs: string[] = [];
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }); });

/** A request of `n` series of one point each: small on the wire, large decoded. */
function wide(n: number): IngestMessage {
  const series = Array.from({ length: n }, (_, i) => ({ metric: `m${i}`, rank: 0, steps: [i], values: [i] }));
  const value = pb.v1.IngestRequest.encode({ project: 'p', runId: 'r', series }).finish();
  return { key: 'r', value, points: n, decoded: decodeIngestRequest(value) };
}

describe('messageBytes', () => {
  it('is the bytes alone when not decoded, and counts the decoded series on top', () => {
    const m = wide(1000);
    expect(messageBytes({ key: 'r', value: m.value, points: 1000 })).toBe(m.value.byteLength);
    // ~40 bytes a series on the wire, several hundred held.
    expect(messageBytes(m)).toBeGreaterThan(m.value.byteLength + 1000 * 384);
  });

  it('bounds the local queue by what is held, not what was received', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wal-bytes-'));
    dirs.push(dir);
    const m = wide(2000);
    // Room for three bodies, not for two decoded requests.
    const q = await WalQueue.open({ dir, maxPoints: 1e9, maxBytes: 3 * m.value.byteLength });
    try {
      await q.send({ key: 'r', value: m.value, points: 2000 });
      await q.send({ key: 'r', value: m.value, points: 2000 });
      await expect(q.send(m)).rejects.toThrow(QueueFullError);
    } finally {
      await (q as unknown as { wal: { close(): Promise<void> } }).wal.close();
    }
  });
});
