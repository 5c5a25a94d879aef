import type { Logger } from 'pino';
import { identifier, type StoreAdapter } from './adapter.js';
import { MIGRATIONS } from './schema.js';

/** Creates the database and applies the migrations it has not seen yet. */
export async function migrate(adapter: StoreAdapter, database: string, log: Logger): Promise<number> {
  const db = identifier(database);
  await adapter.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await adapter.command(`CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`);
  const done = new Set((await adapter.query<{ version: number }>(`SELECT version FROM ${db}.schema_migrations`)).map((r) => r.version));
  let applied = 0;
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    const t0 = Date.now();
    for (const stmt of m.statements(db)) await adapter.command(stmt);
    await adapter.command(`INSERT INTO ${db}.schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})`, { v: m.version, n: m.name });
    log.info({ version: m.version, name: m.name, ms: Date.now() - t0 }, 'applied migration');
    applied++;
  }
  return applied;
}
