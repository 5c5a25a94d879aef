// The tiers' series ids (`sid` = sipHash128(project, run, metric, rank),
// schema.ts migration 4) as literals, computed by the engine once per series
// and kept: an id never changes.
//
// NOTE: why literals. A read of 80 series' tiers named each id by its
// sipHash128() call, twice (the WHERE and a segment's test): the engine's
// analysis of those calls took 45 of the statement's 100 ms before it read a
// row; with the ids as literals the same statement took 45-55 ms.
import { stringLiteral } from './adapter.js';
import type { SeriesKey } from './series-keys.js';

/** Ids one statement computes at most (its text stays well under the parser's limit). */
const IDS_AT_ONCE = 200;

/** The engine's expression of a series' id. */
export function sidExpr(project: string, k: SeriesKey): string {
  return `sipHash128(${stringLiteral(project)}, ${stringLiteral(k.run)}, ${stringLiteral(k.metric)}, toInt32(${k.rank}))`;
}

/** The 16 bytes of an id (hex, as the engine's hex() writes them) as a string literal, every byte escaped. */
export function sidLiteral(hex: string): string {
  return `'${hex.replace(/../g, (b) => `\\x${b}`)}'`;
}

export class SeriesIds {
  /** Literal by (project, run, metric, rank), oldest first; at most `max`. */
  private readonly known = new Map<string, string>();

  constructor(private readonly max = 100_000) {}

  private static key(project: string, k: SeriesKey): string {
    return JSON.stringify([project, k.run, k.metric, k.rank]);
  }

  /** Computes the ids of these series not known yet, `select` running a statement. */
  async load(project: string, keys: readonly SeriesKey[], select: (sql: string) => Promise<Record<string, unknown>[]>): Promise<void> {
    const missing = [...new Map(keys.filter((k) => !this.known.has(SeriesIds.key(project, k))).map((k) => [SeriesIds.key(project, k), k])).values()];
    for (let at = 0; at < missing.length; at += IDS_AT_ONCE) {
      const part = missing.slice(at, at + IDS_AT_ONCE);
      const [row] = await select(`SELECT ${part.map((k, i) => `hex(${sidExpr(project, k)}) AS h${i}`).join(', ')}`);
      part.forEach((k, i) => {
        const hex = row?.[`h${i}`];
        if (typeof hex === 'string' && /^[0-9A-F]{32}$/.test(hex)) this.remember(SeriesIds.key(project, k), sidLiteral(hex));
      });
    }
  }

  /** The id's literal when known, else the engine's expression of it (the same value). */
  sid(project: string, k: SeriesKey): string {
    return this.known.get(SeriesIds.key(project, k)) ?? sidExpr(project, k);
  }

  private remember(key: string, literal: string): void {
    if (this.known.size >= this.max) this.known.delete(this.known.keys().next().value!);
    this.known.set(key, literal);
  }
}
