// What the write-ahead log tests share: queues on temporary directories,
// left as a killed process leaves them when the test ends, and small messages.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { WalQueue, type Delivery, type WalQueueOptions } from '../src/index.js';

export const limits = { maxPoints: 100, maxBytes: 1 << 20, maxWaitMs: 5 };
export const signal = new AbortController().signal;
export const msg = (points: number, bytes = 10, fill = 0) => ({ key: 'r', value: new Uint8Array(bytes).fill(fill), points });
export const text = (s: string) => ({ key: 'r', value: new TextEncoder().encode(s), points: 1 });
export const texts = (d: Delivery | null) => d!.messages.map((m) => new TextDecoder().decode(m.value));

/** A directory removed when the test ends. */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'wal-test-'));
  onTestFinished(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** A queue on `dir` whose files are closed when the test ends, and nothing more written: what a killed process does to them. */
export async function open(dir: string, o: Partial<WalQueueOptions> = {}): Promise<WalQueue> {
  const q = await WalQueue.open({ dir, maxPoints: 1000, maxBytes: 1 << 20, ...o });
  onTestFinished(async () => {
    const files = q as unknown as { wal: { close(): Promise<void> }; floor: { close(): Promise<void> } };
    await files.wal.close();
    await files.floor.close();
  });
  return q;
}

export const segments = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();

/** Takes and commits deliveries until none comes within the wait. */
export async function drain(q: WalQueue): Promise<Delivery[]> {
  const all: Delivery[] = [];
  for (let d = await q.next(limits, signal); d; d = await q.next(limits, signal)) {
    // A copy: a committed delivery lets go of its messages.
    all.push({ ...d, messages: [...d.messages] });
    await d.commit();
  }
  return all;
}
