// The series answer's JSON text, built from the store's columns: the same
// text JSON.stringify makes of the answer object (docs/api.md), without an
// array per field; a large one built on a thread of its own.
import { Worker } from 'node:worker_threads';
import type { SeriesColumns } from '@stepstream/storage';
import type { SeriesAnswer } from './series-reader.js';

/** Answers of more buckets than this are built off the event loop. */
export const INLINE_BUCKETS = 8192;

/** The answer's fields before its columns, in the answer's order. */
export interface SeriesHead { metric: string; rank: number; from: number; to: number; bucket: number; tier: number }

/**
 * The answer's text. NOTE: self-contained (no name from outside it): the
 * worker runs its source. JSON.stringify of a plain array of numbers is the
 * quickest number-to-text there is here (a typed array's join and string
 * concatenation take ~1.5x as long); it writes NaN and ±Infinity as null,
 * which is the answer's rule for min, max and mean; first and last carry
 * them as the strings of params.ts jnum.
 */
function seriesText(head: SeriesHead, c: SeriesColumns): string {
  const n = c.x.length;
  const json = (at: (i: number) => number | string) => {
    const values: (number | string)[] = [];
    for (let i = 0; i < n; i++) values.push(at(i));
    return JSON.stringify(values);
  };
  // NOTE: the columns of whole numbers (x, count, nonfinite, the times) are
  // written digit by digit into bytes: JSON.stringify took ~130 ns for a
  // 13-digit time in ms, this ~60 (a column of 80,000: 11 -> 5 ms; small
  // ones 5 -> 3 ms). Exact for 0 <= v <= 2^53 - 1, where the shortest text of
  // a double is its digits; any other value is JSON.stringify's text.
  // Room for the longest text of any value (24 characters:
  // -1.7976931348623157e+308), a comma each and the brackets.
  const bytes = new Uint8Array(n * 25 + 2);
  const digits = (x: number, p: number, width: number) => {
    let len = 1;
    for (let t = x; t >= 10; t = (t / 10) | 0) len++;
    const end = p + Math.max(len, width);
    for (let k = end - 1; k >= p; k--) { const q = (x / 10) | 0; bytes[k] = 48 + x - q * 10; x = q; }
    return end;
  };
  const ints = (col: Float64Array) => {
    let p = 0;
    bytes[p++] = 91; // [
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      if (i > 0) bytes[p++] = 44; // ,
      if (v >= 0 && v <= 9007199254740991 && Math.floor(v) === v) {
        if (v <= 2147483647) p = digits(v | 0, p, 1);
        else { const hi = Math.floor(v / 1e8); p = digits(hi | 0, p, 1); p = digits((v - hi * 1e8) | 0, p, 8); }
      } else {
        const text = JSON.stringify(v);
        for (let k = 0; k < text.length; k++) bytes[p++] = text.charCodeAt(k);
      }
    }
    bytes[p++] = 93; // ]
    return Buffer.from(bytes.buffer, 0, p).toString('latin1');
  };
  const jnum = (v: number) => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
  const mean = (i: number) => {
    const finite = c.count[i]! - c.nonfinite[i]!;
    return finite > 0 ? c.sum[i]! / finite : NaN;
  };
  return `${JSON.stringify(head).slice(0, -1)},"x":${ints(c.x)},"min":${json((i) => c.min[i]!)},"max":${json((i) => c.max[i]!)},`
    + `"mean":${json(mean)},"first":${json((i) => jnum(c.first[i]!))},"last":${json((i) => jnum(c.last[i]!))},`
    + `"count":${ints(c.count)},"nonfinite":${ints(c.nonfinite)}`
    + (c.timeFirst && c.timeLast ? `,"time_first":${ints(c.timeFirst)},"time_last":${ints(c.timeLast)}}` : '}');
}

// NOTE: the worker's code is seriesText's own source (eval), so it is the
// same function whether this module runs compiled or from its TypeScript.
// NOTE: the worker lowers its own priority: on Linux a thread's nice value is
// its own (setpriority of pid 0 is the calling thread), so on a busy machine
// the event loop, which answers everyone, runs before a large answer's text.
const WORKER = `
const { parentPort } = require('node:worker_threads');
try { require('node:os').setPriority(19); } catch {}
const seriesText = ${seriesText.toString()};
const encoder = new TextEncoder();
parentPort.on('message', ({ id, head, columns }) => {
  try {
    const bytes = encoder.encode(seriesText(head, columns));
    parentPort.postMessage({ id, bytes }, [bytes.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err) });
  }
});`;

type Reply = { id: number; bytes: Uint8Array; error?: undefined } | { id: number; error: string };
let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();

function startWorker(): Worker {
  const w = new Worker(WORKER, { eval: true });
  w.unref(); // never what keeps a process alive
  w.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(`series answer: ${m.error}`)); else p?.resolve(m.bytes);
  });
  const fail = (err: Error) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`series answer: worker exited (${code})`)));
  return w;
}

/**
 * The answer's bytes (UTF-8 JSON). NOTE: why not the object for Fastify to
 * stringify: a 100,000-bucket answer is ~10 MB of text, ~100 ms of one
 * synchronous JSON.stringify, and every other project's request arriving
 * meanwhile waited for all of it (issue 9: B's 1000-point views took 2.4 s at
 * p99 while A read 100,000-point answers). Past INLINE_BUCKETS the columns
 * move (transferred, not copied) to one worker thread, which builds the text;
 * the event loop only writes the bytes it gets back. Small answers, a
 * dashboard's, are built here: a message each way would cost them more.
 * `share`: built by the worker while the event loop builds others (a
 * batch's), its columns copied to it.
 */
export function seriesJson(head: SeriesHead, c: SeriesColumns, share = false): Promise<string | Uint8Array> {
  if (!share && c.x.length <= INLINE_BUCKETS) return Promise.resolve(seriesText(head, c));
  worker ??= startWorker();
  const w = worker;
  const id = nextId++;
  // Shared: copied (the caller may still hold the columns). A buffer may back more than one column (a test's stand-in): each is listed once.
  const moved = share ? [] : [...new Set((Object.values(c) as Float64Array[]).map((a) => a.buffer as ArrayBuffer))];
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, head, columns: c }, moved);
  });
}

/**
 * One series read's answer (GET .../series, and each entry of POST
 * .../series): its JSON text or bytes. `times`: the answer carries
 * time_first and time_last (an empty range's too).
 */
export function seriesAnswerJson(metric: string, rank: number, a: SeriesAnswer, times = false, share = false): Promise<string | Uint8Array> {
  if (a.columns) return seriesJson({ metric, rank, from: a.from, to: a.to, bucket: a.bucket, tier: a.tier }, a.columns, share);
  const empty = { metric, rank, from: a.from, to: a.to, bucket: 1, tier: 0, x: [], min: [], max: [], mean: [], first: [], last: [], count: [], nonfinite: [] };
  return Promise.resolve(JSON.stringify(times ? { ...empty, time_first: [], time_last: [] } : empty));
}
