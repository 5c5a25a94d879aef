// What the engine line knows of the request a read is made for, carried
// through every layer of a read without being passed (AsyncLocalStorage): a
// signal that aborts once the client has gone (its reads still waiting are
// dropped, never run), and whether the read is in the background (a page's
// second things, the query role's read-ahead): those wait behind the
// project's other reads. Reads made outside any context are neither.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ReadContext {
  /** Aborted once nobody waits for the answer. */
  signal?: AbortSignal;
  /** Waits behind the project's reads that are not. */
  background?: boolean;
}

const current = new AsyncLocalStorage<ReadContext>();

/** Runs `f` (and everything it starts) with `ctx` as its reads' context. */
export function withReadContext<T>(ctx: ReadContext, f: () => T): T {
  return current.run(ctx, f);
}

export function readContext(): ReadContext {
  return current.getStore() ?? {};
}
