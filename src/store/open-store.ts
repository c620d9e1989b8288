import path from 'node:path';
import type { Config } from '../config.js';
import { PgStore } from './postgres/pg-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
export { redact } from './database-url.js';

/** Picks the store from `--database-url`: a SQLite file (the default, under the data dir) or PostgreSQL. */
export async function openStore(config: Config): Promise<Store> {
  const url = config.databaseUrl;
  const defaultAccountId = config.accountId;
  if (!url) return new SqliteStore(path.join(config.dataDir, 'omicsd.sqlite'), { backgroundCheckpoints: true, defaultAccountId });
  if (url.startsWith('sqlite:')) return new SqliteStore(url.replace(/^sqlite:(\/\/)?/, ''), { backgroundCheckpoints: true, defaultAccountId });
  if (/^postgres(ql)?:/.test(url)) return PgStore.open(url, { defaultAccountId });
  throw new Error(`Unsupported --database-url ${url}: use sqlite:PATH or postgres://…`);
}
