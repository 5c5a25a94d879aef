// Migration 7: run list snapshots. A run list sorted by a key that moves
// while runs log (their last step, a metric's last value) keeps the order of
// its first page here, so the later pages list each run of it exactly once
// (run-list.ts). Rows expire after SNAPSHOT_HOURS.
import { type Migration } from './schema-parts.js';

/** How long a run list snapshot, and so a cursor into it, is kept. */
export const SNAPSHOT_HOURS = 1;

export const SNAPSHOTS_MIGRATION: Migration = {
  version: 7,
  name: 'run list snapshots',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${db}.run_list_snapshots (
      snapshot String, project String, pos UInt64, run String, created_ms Int64
    ) ENGINE = MergeTree ORDER BY (snapshot, pos)
      TTL toDateTime(intDiv(created_ms, 1000)) + INTERVAL ${SNAPSHOT_HOURS} HOUR`,
  ],
};
