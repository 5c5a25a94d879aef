// A statement's answer streamed through a named pipe: the embedded engine
// writes it with INTO OUTFILE into a FIFO this process reads from the other
// end, so the answer is never held whole, on either side.
//
// NOTE: why a FIFO. chdb's own streaming (Session.queryStream) formats each
// chunk as a whole answer of its own: a Parquet stream came out as hundreds of
// Parquet files back to back (one footer each), an Arrow stream as one schema
// message per chunk, CSVWithNames with a header per chunk. Written INTO
// OUTFILE, the engine's one output format instance writes one header, one
// schema, one footer. A pipe holds 64 KiB: when the reader stops, the engine's
// write blocks, so a slow client slows the engine rather than filling memory.
import { execFile } from 'node:child_process';
import { constants, open } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { StoreError } from './adapter.js';

const run = promisify(execFile);
/** A plain descriptor, not a FileHandle: the socket owns and closes it (a FileHandle would close it again when collected). */
const openFd = promisify(open);

/**
 * Bytes handed on at once at least (the pipe gives 64 KiB a read): a sixteenth
 * of the writes to the client's socket and of the chunks of its chunked body.
 * Measured in the export bench, Arrow 1.9 -> 2.9M points/s, but within this
 * shared machine's noise (the /series baseline of the same runs moved 1.5x).
 */
export const STREAM_CHUNK_BYTES = 1 << 20;

/** How long an answer may wait for its reader to take more before it is stopped (the client went quiet). */
export const STREAM_STALL_MS = 60_000;

/**
 * The bytes `statement(path)` writes into a FIFO at `path` (made in `dir`),
 * as a stream that ends only once the statement succeeded: a statement that
 * fails, even after writing part of its answer, errors the stream instead.
 */
export async function fifoStream(dir: string, statement: (path: string) => Promise<unknown>, stallMs = STREAM_STALL_MS): Promise<Readable> {
  const path = join(dir, `${randomUUID()}.fifo`);
  await run('mkfifo', ['-m', '600', path]);
  // NOTE: the read end is opened first, non-blocking, and read by the event
  // loop as a pipe (net.Socket), not by fs reads on the thread pool (a blocked
  // read there would hold a thread the engine's statements need). With a
  // reader already open, the engine's open of the write end does not block.
  const fd = await openFd(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const pipe = new Socket({ fd, readable: true, writable: false });
  let settled = false, wrote = false, stalled = false;
  let released: Promise<void> | undefined;
  const done = statement(path).then(
    () => { settled = true; },
    (err: unknown) => { settled = true; pipe.destroy(err instanceof Error ? err : new StoreError(String(err))); throw err; },
  );
  done.catch(() => {});

  async function* bytes(): AsyncGenerator<Buffer> {
    let last = Date.now();
    const watch = setInterval(() => {
      if (Date.now() - last > stallMs) { stalled = true; out.destroy(new StoreError(`the reader took nothing for ${stallMs} ms: the answer was stopped`)); }
    }, Math.min(stallMs, 5_000));
    watch.unref();
    try {
      // Not destroyed when the consumer stops early: release() decides when it may be closed.
      let held: Buffer[] = [], bytes = 0;
      for await (const chunk of pipe.iterator({ destroyOnReturn: false })) {
        wrote = true;
        last = Date.now();
        held.push(chunk as Buffer);
        bytes += (chunk as Buffer).length;
        if (bytes < STREAM_CHUNK_BYTES) continue;
        yield held.length === 1 ? held[0]! : Buffer.concat(held, bytes);
        held = []; bytes = 0;
        last = Date.now();
      }
      await done;
      if (bytes) yield Buffer.concat(held, bytes);
    } finally {
      clearInterval(watch);
      await (released ??= release());
    }
  }

  /**
   * NOTE: closing the read end makes the engine's next write fail (EPIPE) and
   * the statement end. But an engine that has not opened the write end yet
   * would block in open() for ever once no reader is left: until it has (its
   * first bytes say so) or the statement is over, the pipe is read and the
   * bytes dropped.
   */
  async function release(): Promise<void> {
    if (!settled && !wrote && !stalled && !pipe.destroyed) {
      pipe.resume();
      await Promise.race([done.catch(() => {}), new Promise((r) => pipe.once('data', r))]);
    }
    pipe.destroy();
    await done.catch(() => {});
    await rm(path, { force: true });
  }

  const out = Readable.from(bytes(), { objectMode: false, highWaterMark: 1 << 20 });
  // A stream destroyed before it was first read never runs bytes(): released here.
  out.once('close', () => { void (released ??= release()); });
  return out;
}
