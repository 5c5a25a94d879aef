// What every migration builds with: the shape of a migration, the settings
// each table takes, and the tier tables' names. Frozen with the migrations.

export interface Migration {
  version: number;
  name: string;
  statements: (db: string) => string[];
}

// NOTE: every table that an insert reaches keeps a deduplication window, so a
// block sent again with the same insert_deduplication_token (a writer replay)
// is dropped in the raw table and in every view it feeds.
export const DEDUP = 'non_replicated_deduplication_window = 10000';

export const rollup = (width: number) => `rollup_${width}`;
