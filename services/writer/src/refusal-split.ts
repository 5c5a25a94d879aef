// What the writer does when the store refuses a write set permanently (a
// block the engine refuses whatever the retry): it splits the delivery in
// halves until the messages refused on their own are found, stores the rest,
// and hands the refused ones back for the dead letters.
//
// NOTE: exactly once, through a split and a crash. A write set is several
// inserts (store.ts WritePart); a refused one may follow others that were
// stored, and ClickHouse drops a repeat by its token alone, whatever the
// block holds. So:
//   - the parts a write set stored before the refusal hold every one of its
//     messages: its halves skip them (`landed` is passed down);
//   - a half is stored under `<token>/0` or `<token>/1`, its own halves under
//     `<token>/0/0`..., names that follow from the delivery's token, its
//     messages' order and which blocks the engine refuses, all the same
//     when the delivery is handed out again after a crash: each repeated
//     insert is dropped as a repeat, each missing one is made;
//   - a refused message keeps its token and its landed parts in the dead
//     letters, so a replay stores the parts still missing, once.
// This holds while the refusal is permanent: should its cause be fixed
// between the refusal and a crash replay of the same delivery (a window of
// one split), the whole delivery would store where a half already did.
import type { DeadLetterPlace, SourceMessage } from '@stepstream/queue';
import { StoreError, type Store, type WritePart } from '@stepstream/storage';
import { assembleWriteSet, decodeDelivery, type DecodedDelivery } from './write-set.js';

/** A message the store refused on its own. */
export interface Refused {
  message: SourceMessage;
  reason: string;
  place: DeadLetterPlace;
}

export interface StoredDelivery {
  rows: number;
  duplicates: number;
  ms: Record<string, number>;
  /** Write sets the store refused and that were split. */
  splits: number;
  refused: Refused[];
}

/** Runs a store call, retrying transient failures; rejects with a permanent StoreError (or when stopped). */
export type Retrying = <T>(call: () => Promise<T>) => Promise<T>;

export const isPermanent = (err: unknown): err is StoreError => err instanceof StoreError && !err.transient;

/** Stores a decoded delivery, splitting it where the store refuses it permanently. */
export async function storeDelivery(decoded: DecodedDelivery, store: Store, retrying: Retrying): Promise<StoredDelivery> {
  const out: StoredDelivery = { rows: 0, duplicates: 0, ms: {}, splits: 0, refused: [] };
  await storePart(decoded, new Set(), store, retrying, out);
  return out;
}

async function storePart(part: DecodedDelivery, landed: Set<WritePart>, store: Store, retrying: Retrying, out: StoredDelivery): Promise<void> {
  try {
    const { built, rows, ms } = await retrying(async () => {
      const built = await assembleWriteSet(part, (keys, token) => store.storedBatches(keys, token));
      return { built, ...(await store.write(built.set, landed)) };
    });
    out.rows += rows;
    out.duplicates += built.duplicates;
    for (const [k, v] of Object.entries(ms)) out.ms[k] = (out.ms[k] ?? 0) + v;
  } catch (err) {
    if (!isPermanent(err)) throw err;
    const { requests, token } = part;
    if (requests.length <= 1) {
      for (const r of requests) out.refused.push({ message: r.msg, reason: `refused by the store: ${err.message}`, place: { token, landed: [...landed] } });
      return;
    }
    out.splits++;
    const mid = Math.ceil(requests.length / 2);
    await storePart({ token: `${token}/0`, requests: requests.slice(0, mid), rejected: [] }, new Set(landed), store, retrying, out);
    await storePart({ token: `${token}/1`, requests: requests.slice(mid), rejected: [] }, new Set(landed), store, retrying, out);
  }
}

/**
 * Stores a dead letter again (`stepstream dead-letters replay`): under the
 * token it was refused under, the parts its delivery already stored skipped,
 * so a replay repeated (or cut by a crash) stores it once. Decoded and
 * checked as the writer does; one attempt, the caller reports a failure.
 */
export async function replayDeadLetter(store: Store, letter: { value: Uint8Array; receivedMs: number; origin: string } & DeadLetterPlace): Promise<{ rows: number; duplicates: number }> {
  const decoded = decodeDelivery({ messages: [{ value: letter.value, receivedMs: letter.receivedMs, origin: letter.origin }], token: letter.token, commit: () => Promise.resolve() });
  const bad = decoded.rejected[0];
  if (bad) throw new StoreError(`not a valid request: ${bad.reason}`);
  const built = await assembleWriteSet(decoded, (keys, token) => store.storedBatches(keys, token));
  const { rows } = await store.write(built.set, new Set(letter.landed as WritePart[]));
  return { rows, duplicates: built.duplicates };
}
