// WalQueue as a queue: its bounds, how it batches, what it holds, how a
// reader waits, how it closes, and how it writes (crash and damage: wal-recovery.test.ts).
import { open as openFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { QueueFullError, QueueUnavailableError } from '../src/index.js';
import { drain, limits, msg, open, signal, tempDir, text, texts } from './wal-helpers.js';

// NOTE: a gc() of our own without --expose-gc for the whole test run: the
// flag is read when a context is made, so a new context gets the function.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** True once nothing but the WeakRef holds the value (after the current job, which keeps WeakRef targets alive). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

describe('WalQueue', () => {
  it('refuses past its bounds, counting deliveries not yet committed', async () => {
    const q = await open(await tempDir(), { maxPoints: 10, maxBytes: 1000 });
    await q.send(msg(6));
    await expect(q.send(msg(6))).rejects.toBeInstanceOf(QueueFullError);
    const d = await q.next(limits, signal);
    expect(d?.messages).toHaveLength(1);
    await expect(q.send(msg(6))).rejects.toBeInstanceOf(QueueFullError);
    await d!.commit();
    await q.send(msg(6));
    await expect(q.send(msg(1, 995))).rejects.toThrow(/full/);
  });

  it('lets one oversized message through when empty, and counts what is being written', async () => {
    const q = await open(await tempDir(), { maxPoints: 10, maxBytes: 1000 });
    const big = q.send(msg(50));
    // Not yet written, but already held: a second send must not squeeze in.
    await expect(q.send(msg(1))).rejects.toBeInstanceOf(QueueFullError);
    await big;
    expect(q.depth()).toEqual({ messages: 1, points: 50, bytes: 10 });
  });

  it('batches up to the delivery limits, in send order, with tokens naming the records', async () => {
    const q = await open(await tempDir());
    await Promise.all(Array.from({ length: 10 }, (_, i) => q.send(text(`m${i}`))));
    const a = await q.next({ ...limits, maxPoints: 3 }, signal);
    expect(texts(a)).toEqual(['m0', 'm1', 'm2']);
    expect(a!.token).toMatch(/^wal:[0-9a-f]{12}:0-2$/);
    await expect(q.next(limits, signal)).rejects.toThrow(/one delivery at a time/);
    await a!.commit();
    const [first, second] = await Promise.allSettled([q.next({ ...limits, maxBytes: 5 }, signal), q.next(limits, signal)]);
    expect(second).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/one delivery at a time/) } });
    const b = first.status === 'fulfilled' ? first.value : null;
    expect(texts(b)).toEqual(['m3', 'm4']);
    expect(b!.token.endsWith(':3-4')).toBe(true);
  });

  it('holds no message once its delivery is committed, even while the caller keeps the delivery', async () => {
    const q = await open(await tempDir(), { maxBytes: 1 << 24 });
    const refs: WeakRef<object>[] = [];
    const send = async () => {
      const steps = new Float64Array(1 << 17);
      const value = new Uint8Array(1 << 20).fill(7), decoded = { run: null, series: [{ metric: 'm', rank: 0, steps, values: steps, timeMs: new Float64Array(0) }] };
      refs.push(new WeakRef(value), new WeakRef(decoded));
      await q.send({ key: 'r', value, points: 1, decoded: decoded as never });
    };
    await send();
    await send();
    const d = await q.next({ ...limits, maxPoints: 1 }, signal);
    await d!.commit();
    // The first message (body and decoded columns) is stored: nothing may keep it.
    expect(await collected(refs[0]!)).toBe(true);
    expect(await collected(refs[1]!)).toBe(true);
    // The second is still queued: it must be kept.
    expect(await collected(refs[2]!)).toBe(false);
    const e = await q.next(limits, signal);
    await e!.commit();
    expect(await collected(refs[2]!)).toBe(true);
    expect(await collected(refs[3]!)).toBe(true);
    expect(d!.messages).toEqual([]);
  });

  it('lets the event loop run while a reader with no linger waits on an empty queue', async () => {
    const q = await open(await tempDir());
    let ticked = false;
    setTimeout(() => { ticked = true; }, 0);
    for (let i = 0; i < 100 && !ticked; i++) expect(await q.next({ ...limits, maxWaitMs: 0 }, signal)).toBeNull();
    expect(ticked).toBe(true);
  });

  it('wakes a waiting reader as soon as a message is written', async () => {
    const q = await open(await tempDir());
    const pending = q.next({ ...limits, maxWaitMs: 10_000, maxPoints: 1 }, signal);
    await q.send(msg(1));
    expect((await pending)?.messages).toHaveLength(1);
  });

  it('drains what it holds after close, then closes its files after the final commit', async () => {
    const q = await open(await tempDir(), { fsync: 'batch' });
    await q.send(msg(1));
    let closed = false;
    const closing = q.close().then(() => { closed = true; });
    await expect(q.send(msg(1))).rejects.toBeInstanceOf(QueueFullError);
    expect(q.notReadyReason()).toBe('queue closed');
    const d = await q.next(limits, signal);
    expect(d?.messages).toHaveLength(1);
    // NOTE: a window, not a wait: close() must not resolve while a delivery is uncommitted.
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    await d!.commit();
    expect(await q.next(limits, signal)).toBeNull();
    await closing;
    await q.close();
  });

  it('writes concurrent sends in one call, and refuses (503) only the sends of a failed write', async () => {
    const dir = await tempDir();
    const q = await open(dir);
    const probe = await openFile(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { writev: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const writev = vi.spyOn(proto, 'writev');
    onTestFinished(() => writev.mockRestore());
    await Promise.all(Array.from({ length: 100 }, (_, i) => q.send(text(`m${i}`))));
    expect(writev.mock.calls.length).toBeGreaterThan(0);
    expect(writev.mock.calls.length).toBeLessThanOrEqual(2);
    writev.mockRejectedValueOnce(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    await expect(q.send(text('lost'))).rejects.toBeInstanceOf(QueueUnavailableError);
    await q.send(text('m100'));
    expect(q.notReadyReason()).toBeNull();
    const texts100 = Array.from({ length: 101 }, (_, i) => `m${i}`);
    expect((await drain(await open(dir))).flatMap(texts)).toEqual(texts100);
  });
});
