import type { Logger } from 'pino';
import { EmbeddedAdapter } from './embedded-adapter.js';
import { HttpAdapter } from './http-adapter.js';
import type { ReadLimits } from './read-limits.js';
import { Store } from './store.js';

export interface StoreConfig {
  /** `embedded` (a data directory in this process) or a ClickHouse server URL. */
  kind: 'embedded' | 'http';
  dataDir: string;
  url: string;
  username?: string;
  password?: string;
  database: string;
  /** Bounds and time limit of reads (read-limits.ts); defaults when left out. */
  readLimits?: ReadLimits;
}

/** Opens the configured adapter and applies pending migrations. */
export async function openStore(cfg: StoreConfig, log: Logger): Promise<Store> {
  const adapter = cfg.kind === 'embedded'
    ? await EmbeddedAdapter.open({ path: cfg.dataDir })
    : new HttpAdapter({ url: cfg.url, ...(cfg.username ? { username: cfg.username } : {}), ...(cfg.password ? { password: cfg.password } : {}) });
  const store = new Store(adapter, cfg.database, log.child({ component: 'store' }), cfg.readLimits);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
