import { describe, expect, it } from 'vitest';
import { MemoryQueue, QueueFullError } from '../src/index.js';

const msg = (points: number, bytes = 10) => ({ key: 'r', value: new Uint8Array(bytes), points });
const limits = { maxPoints: 100, maxBytes: 1 << 20, maxWaitMs: 5 };

describe('MemoryQueue', () => {
  it('refuses past its bounds, counting deliveries not yet committed', async () => {
    const q = new MemoryQueue({ maxPoints: 10, maxBytes: 1000 });
    await q.send(msg(6));
    await expect(q.send(msg(6))).rejects.toBeInstanceOf(QueueFullError);
    const d = await q.next(limits, new AbortController().signal);
    expect(d?.messages).toHaveLength(1);
    await expect(q.send(msg(6))).rejects.toBeInstanceOf(QueueFullError);
    await d!.commit();
    await q.send(msg(6));
    await expect(q.send(msg(1, 995))).rejects.toThrow(/full/);
  });

  it('lets one oversized message through when empty, so a legal batch is never refused forever', async () => {
    const q = new MemoryQueue({ maxPoints: 10, maxBytes: 1000 });
    await q.send(msg(50));
    expect(q.depth().points).toBe(50);
  });

  it('batches up to the delivery limits, in order, with a fresh token each time', async () => {
    const q = new MemoryQueue({ maxPoints: 1000, maxBytes: 1 << 20 });
    for (let i = 0; i < 10; i++) await q.send(msg(30));
    const signal = new AbortController().signal;
    const a = await q.next(limits, signal);
    const b = await q.next(limits, signal);
    expect(a!.messages).toHaveLength(3);
    expect(b!.messages).toHaveLength(3);
    expect(a!.token).not.toBe(b!.token);
  });

  it('drains what it holds after close, then reports the end', async () => {
    const q = new MemoryQueue({ maxPoints: 1000, maxBytes: 1 << 20 });
    await q.send(msg(1));
    await q.close();
    await expect(q.send(msg(1))).rejects.toBeInstanceOf(QueueFullError);
    const signal = new AbortController().signal;
    expect((await q.next(limits, signal))?.messages).toHaveLength(1);
    expect(await q.next(limits, signal)).toBeNull();
  });

  it('wakes a waiting reader as soon as a message arrives', async () => {
    const q = new MemoryQueue({ maxPoints: 1000, maxBytes: 1 << 20 });
    const pending = q.next({ ...limits, maxWaitMs: 10_000, maxPoints: 1 }, new AbortController().signal);
    await q.send(msg(1));
    expect((await pending)?.messages).toHaveLength(1);
  });
});
