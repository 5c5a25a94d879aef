// Growing a columnar answer by what is new, in place of reading it all again (a live view).
// Pure: no DOM (tested in web/test/live-merge.test.ts).

/** Most new buckets one tail read asks for. */
export const TAIL_BUCKETS = 1000;

/** An answer with columns: x[] and arrays of the same length (min[], max[], ...), plus scalars. */
export type Columns = { x: number[]; bucket: number } & Record<string, unknown>;

/**
 * The range of a tail read that keeps the answer's bucket width: from the last bucket's start
 * (that bucket is read again whole, it may have grown) over TAIL_BUCKETS buckets of the same width.
 * The bucket rule (docs/api.md: the smallest power of two at least ceil((to - from) / points), raw
 * points when the range holds no more than `points` steps) then picks exactly `bucket` again.
 */
export function tailRange(answer: Columns): { from: number; to: number; points: number } | null {
  const last = answer.x.at(-1);
  if (last === undefined) return null;
  return { from: last, to: last + answer.bucket * TAIL_BUCKETS, points: TAIL_BUCKETS };
}

/**
 * `answer` with its buckets from `tail`'s first on replaced by `tail`'s: every column of x's length
 * is cut and joined; other fields are the answer's (its `to` grows to the tail's). A tail of another
 * bucket width cannot be joined: null.
 */
export function mergeTail<T extends Columns>(answer: T, tail: T): T | null {
  if (tail.bucket !== answer.bucket) return null;
  const start = tail.x[0];
  if (start === undefined) return answer;
  let keep = answer.x.length;
  while (keep > 0 && answer.x[keep - 1]! >= start) keep--;
  const n = answer.x.length;
  const out: Record<string, unknown> = { ...answer };
  for (const [k, v] of Object.entries(answer)) {
    const t = (tail as Record<string, unknown>)[k];
    if (Array.isArray(v) && v.length === n && Array.isArray(t)) out[k] = [...v.slice(0, keep), ...t];
  }
  if (typeof tail['to'] === 'number' && typeof answer['to'] === 'number') out['to'] = Math.max(answer['to'] as number, tail['to'] as number);
  return out as T;
}
