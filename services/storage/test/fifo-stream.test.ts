// fifo-stream.ts with a plain writer standing in for the engine (it opens the
// FIFO and writes, as INTO OUTFILE does): the stream ends only after the
// statement succeeded, errors when it fails after writing, cuts off a reader
// that stops taking, and never leaves a writer blocked opening the pipe.
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fifoStream } from '../src/fifo-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'ss-fifo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the FIFO, writes `blocks` blocks of 64 KiB, then fails if asked. */
const writer = (blocks: number, fail?: string) => async (path: string) => {
  const fh = await open(path, 'w');
  try {
    for (let i = 0; i < blocks; i++) await fh.write(Buffer.alloc(65_536, i % 251));
    if (fail) throw new Error(fail);
  } finally {
    await fh.close();
  }
};

async function readAll(s: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of s) n += c.length;
  return n;
}

describe('fifoStream', () => {
  it('streams what the statement writes and ends once it succeeded', async () => {
    expect(await readAll(await fifoStream(dir, writer(64)))).toBe(64 * 65_536);
  });

  it('errors, not ends, when the statement fails after writing part of its answer', async () => {
    await expect(readAll(await fifoStream(dir, writer(8, 'engine failed')))).rejects.toThrow('engine failed');
  });

  it('errors when the statement fails before opening the pipe', async () => {
    await expect(readAll(await fifoStream(dir, () => Promise.reject(new Error('bad SQL'))))).rejects.toThrow('bad SQL');
  });

  it('a reader that stops taking is cut off, and the writer\'s next write fails', async () => {
    let wrote: Promise<unknown> = Promise.resolve();
    const s = await fifoStream(dir, (path) => (wrote = writer(10_000)(path)), 300);
    const it = s[Symbol.asyncIterator]();
    await it.next();
    const closed = new Promise<Error | undefined>((resolve) => s.once('close', () => resolve(s.errored ?? undefined)));
    expect(String(await closed)).toMatch(/took nothing for 300 ms/);
    await expect(wrote).rejects.toThrow(/EPIPE/);
  });

  it('a reader gone before the writer opened the pipe does not leave the writer blocked', async () => {
    let wrote: Promise<unknown> = Promise.resolve();
    // The writer opens the pipe only after the reader has gone.
    const s = await fifoStream(dir, (path) => (wrote = new Promise((r) => setTimeout(r, 100)).then(() => writer(10_000)(path))));
    s.destroy();
    await expect(wrote).rejects.toThrow(/EPIPE/);
  });
});
