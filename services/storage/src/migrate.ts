import type { Logger } from 'pino';
import { identifier, type StoreAdapter } from './adapter.js';
import { MIGRATIONS } from './schema.js';

export interface MigrateOptions {
  /** How long to wait for another process applying a migration (default 10 minutes). */
  waitMs?: number;
  pollMs?: number;
}

/**
 * Creates the database and applies the migrations it has not seen yet.
 *
 * NOTE: every process with a store migrates at start, and processes sharing a
 * ClickHouse server start together (deploy/compose.yaml). Migrations after the
 * first rebuild tables and must not run twice at once: each is applied under
 * a lock — a table whose CREATE only one process wins — while the others wait
 * for its record in `schema_migrations`.
 */
export async function migrate(adapter: StoreAdapter, database: string, log: Logger, opts: MigrateOptions = {}): Promise<number> {
  const db = identifier(database);
  const waitMs = opts.waitMs ?? 600_000, pollMs = opts.pollMs ?? 200;
  await adapter.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await adapter.command(`CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`);
  const appliedVersions = async () => new Set((await adapter.query<{ version: number }>(`SELECT version FROM ${db}.schema_migrations`)).map((r) => r.version));
  const lockName = (version: number) => `schema_migration_lock_${version}`;
  const lockHeld = async (version: number) => (await adapter.query<{ n: number }>(
    'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {name:String}', { db: database, name: lockName(version) }))[0]?.n === 1;
  const done = await appliedVersions();
  let applied = 0;
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    const lock = `${db}.${lockName(m.version)}`;
    for (let refused = 0; ; ) {
      let lockError: unknown;
      const won = await adapter.command(`CREATE TABLE ${lock} (taken_at DateTime64(3) DEFAULT now64(3)) ENGINE = Memory`).then(() => true, (err: unknown) => { lockError = err; return false; });
      // A lock refused while nobody holds it is no race: the error is real.
      if (!won && !(await lockHeld(m.version)) && ++refused >= 3) throw lockError;
      if (won) {
        try {
          // Another process may have applied it between our read and the lock.
          if ((await appliedVersions()).has(m.version)) break;
          const t0 = Date.now();
          for (const stmt of m.statements(db)) await adapter.command(stmt);
          await adapter.command(`INSERT INTO ${db}.schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})`, { v: m.version, n: m.name });
          log.info({ version: m.version, migration: m.name, ms: Date.now() - t0 }, 'applied migration');
          applied++;
        } finally {
          await adapter.command(`DROP TABLE IF EXISTS ${lock}`);
        }
        break;
      }
      // Another process holds the lock: wait for its record, or for the lock
      // to go without one (it failed), then try again.
      log.info({ version: m.version, lock }, 'another process is applying a migration; waiting for it');
      const deadline = Date.now() + waitMs;
      while (!(await appliedVersions()).has(m.version) && (await lockHeld(m.version))) {
        if (Date.now() > deadline) {
          throw new Error(`migration ${m.version} (${m.name}) not applied after ${Math.round(waitMs / 1000)} s while ${lock} exists; if no process is applying it, drop that table and start again`);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
      if ((await appliedVersions()).has(m.version)) break;
    }
  }
  return applied;
}
