// The rollup tiers: their widths, which one the writer fills, and their tables.

/**
 * Bucket widths of the rollup tiers, finest first. Each is 16× the one before;
 * a view with buckets under the finest width is answered from raw points
 * (at most 256 points per bucket).
 */
export const TIER_WIDTHS = [256, 4096, 65536] as const;
/**
 * The tier the writer computes and inserts itself, as plain rows (one per
 * series, bucket and write set; reads merge them); the coarser ones are
 * materialized views over it holding aggregate states.
 */
export const WRITER_TIER = 256;

/** Whether a tier holds the writer's plain rows (else aggregate states). */
export function isWriterTier(width: number): boolean {
  return width === WRITER_TIER;
}

/** The table holding the rollup tier of a width. */
export function tierTable(width: number): string {
  if (!(TIER_WIDTHS as readonly number[]).includes(width)) throw new RangeError(`no rollup tier of width ${width}`);
  return `rollup_${width}`;
}
