// A series answer as the API sends it (GET …/series), and the check that two answers are the same.

export interface SeriesAnswer {
  bucket: number; tier: number; x: number[]; count: number[]; nonfinite: number[];
  min: (number | null)[]; max: (number | null)[]; mean: (number | null)[]; first: (number | string)[]; last: (number | string)[];
}

function sameNumber(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/**
 * Throws unless the two answers have the same buckets (bucket width, x,
 * count, nonfinite, min, max, first, last equal; mean within 1e-9 relative).
 * The source tier is not compared: that is what differs between a tier answer
 * and its raw answer.
 */
export function compareAnswers(what: string, a: SeriesAnswer, b: SeriesAnswer): void {
  const fail = (msg: string) => { throw new Error(`${what}: answers differ: ${msg}`); };
  if (a.bucket !== b.bucket) fail(`bucket ${a.bucket} vs ${b.bucket}`);
  if (a.x.length !== b.x.length) fail(`${a.x.length} vs ${b.x.length} buckets`);
  for (const k of ['x', 'count', 'nonfinite', 'min', 'max', 'first', 'last'] as const) {
    const p = a[k], q = b[k];
    for (let i = 0; i < p.length; i++) if (!sameNumber(p[i], q[i])) fail(`${k}[${i}] (x=${b.x[i]}): ${p[i]} vs ${q[i]}`);
  }
  for (let i = 0; i < a.mean.length; i++) {
    const p = a.mean[i] ?? null, q = b.mean[i] ?? null;
    if (p === null || q === null) { if (p !== q) fail(`mean[${i}]: ${p} vs ${q}`); continue; }
    if (Math.abs(p - q) > 1e-9 * Math.max(Math.abs(p), Math.abs(q), 1e-300)) fail(`mean[${i}] (x=${b.x[i]}): ${p} vs ${q}`);
  }
}

/** Throws unless `raw` came from raw points and equals the tier answer. */
export function compareWithRaw(what: string, tier: SeriesAnswer, raw: SeriesAnswer): void {
  if (raw.tier !== 0) throw new Error(`${what}: tier=raw answered from tier ${raw.tier}`);
  compareAnswers(`${what} (tier ${tier.tier} vs raw)`, tier, raw);
}
