// How fast the demo sends: as fast as the server takes it, or (`--live`) at a training pace, a few
// steps a second, so a person can watch the run grow on the dashboard.
import { setTimeout as delay } from 'node:timers/promises';

export interface Pace {
  /** Live: steps are sent as a trainer would reach them, `stepsPerSecond` of them a second. */
  live: boolean;
  stepsPerSecond: number;
  /** Most steps one batch carries (live: what fell due since the last batch, at most this). */
  stepsPerBatch: number;
  /** Aborted on Ctrl-C or when --duration is over: no more steps are sent. */
  signal: AbortSignal;
}

/** A live rank sends at most this often: steps that fall due in between travel together. */
const LIVE_FLUSH_MS = 250;

/** Waits `ms`, or less if the signal aborts first (then it just returns). */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
}

/**
 * The step ranges [start, end) of one attempt logging steps [from, to), in order. Not live: batches
 * of `stepsPerBatch` at once. Live: the attempt's clock starts at the first range; step `from + k`
 * is due `k / stepsPerSecond` seconds in, and each range holds the steps due since the one before
 * (so a slow server is caught up with, not fallen behind). Stops early once the signal aborts.
 */
export async function* stepRanges(from: number, to: number, pace: Pace): AsyncGenerator<[number, number]> {
  const t0 = performance.now();
  let start = from, lastSend = -Infinity;
  while (start < to && !pace.signal.aborted) {
    if (!pace.live) {
      const end = Math.min(to, start + pace.stepsPerBatch);
      yield [start, end];
      start = end;
      continue;
    }
    const now = performance.now();
    const nextDue = t0 + ((start - from) / pace.stepsPerSecond) * 1000;
    const wait = Math.max(nextDue, lastSend + LIVE_FLUSH_MS) - now;
    if (wait > 0) { await pause(wait, pace.signal); continue; }
    const due = from + Math.floor(((now - t0) / 1000) * pace.stepsPerSecond) + 1;
    const end = Math.min(to, due, start + pace.stepsPerBatch);
    lastSend = now;
    yield [start, end];
    start = end;
  }
}
