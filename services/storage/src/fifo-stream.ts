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
import { Socket, type SocketConstructorOpts } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { StoreError } from './adapter.js';

const run = promisify(execFile);
/** A plain descriptor, not a FileHandle: the socket owns and closes it (a FileHandle would close it again when collected). */
const openFd = promisify(open);

/**
 * Bytes handed on at once (the pipe gives at most 64 KiB a read): a sixteenth
 * of the writes to the client's socket and of the chunks of its chunked body.
 */
export const STREAM_CHUNK_BYTES = 1 << 20;

/** How long an answer may wait for its reader to take more before it is stopped (the client went quiet). */
export const STREAM_STALL_MS = 60_000;

/** What one read of the pipe takes at most: its capacity. */
const PIPE_READ_BYTES = 1 << 16;

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
  let settled = false, wrote = false, stalled = false, dropping = false;
  let firstBytes: () => void = () => {};
  const opened = new Promise<void>((r) => { firstBytes = r; });
  // NOTE: every read lands in one buffer (`onread`) and is copied into the
  // chunk being filled: no buffer per read for the collector to free (with one
  // per 64 KiB read, garbage collection was the server's largest cost in the
  // export bench).
  let chunk = Buffer.allocUnsafeSlow(STREAM_CHUNK_BYTES), fill = 0;
  /** When the reader last stopped taking (its buffer full), or undefined while it takes. */
  let pausedAt: number | undefined;
  const pipe = new Socket({
    fd, readable: true, writable: false,
    // `onread` is a Socket option since Node 12, typed only for connect().
    ...{ onread: {
      buffer: Buffer.allocUnsafeSlow(PIPE_READ_BYTES),
      callback: (n: number, buf: Uint8Array): boolean => {
        if (!wrote) { wrote = true; firstBytes(); }
        if (dropping) return true;
        let more = true;
        for (let off = 0; off < n;) {
          const k = Math.min(n - off, chunk.length - fill);
          chunk.set(buf.subarray(off, off + k), fill);
          fill += k; off += k;
          if (fill < chunk.length) continue;
          const full = chunk;
          chunk = Buffer.allocUnsafeSlow(STREAM_CHUNK_BYTES); fill = 0;
          if (!out.push(full)) more = false;
        }
        if (!more) pausedAt = Date.now();
        return more;
      },
    } } as SocketConstructorOpts,
  });
  const done = statement(path).then(
    () => { settled = true; },
    (err: unknown) => { settled = true; pipe.destroy(err instanceof Error ? err : new StoreError(String(err))); throw err; },
  );
  done.catch(() => {});
  let released: Promise<void> | undefined;

  /**
   * NOTE: closing the read end makes the engine's next write fail (EPIPE) and
   * the statement end. But an engine that has not opened the write end yet
   * would block in open() for ever once no reader is left: until it has (its
   * first bytes say so) or the statement is over, the pipe is read and the
   * bytes dropped.
   */
  async function release(): Promise<void> {
    clearInterval(watch);
    dropping = true;
    if (!settled && !wrote && !stalled && !pipe.destroyed) {
      pipe.resume();
      await Promise.race([done.catch(() => {}), opened]);
    }
    pipe.destroy();
    await done.catch(() => {});
    await rm(path, { force: true });
  }

  const out = new Readable({
    highWaterMark: STREAM_CHUNK_BYTES,
    read() { pausedAt = undefined; pipe.resume(); },
    destroy(err, cb) { void (released ??= release()); cb(err); },
  });
  pipe.on('error', (err) => out.destroy(err));
  pipe.once('end', () => {
    done.then(async () => {
      if (fill) out.push(chunk.subarray(0, fill));
      await (released ??= release());
      out.push(null);
    }, (err: unknown) => out.destroy(err instanceof Error ? err : new StoreError(String(err))));
  });
  const watch = setInterval(() => {
    if (pausedAt !== undefined && Date.now() - pausedAt > stallMs) {
      stalled = true;
      out.destroy(new StoreError(`the reader took nothing for ${stallMs} ms: the answer was stopped`));
    }
  }, Math.min(stallMs, 5_000));
  watch.unref();
  return out;
}
