import path from 'node:path';
import type { Config } from '../config.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Picks the store from `--database-url`: a SQLite file (the default, under the data dir). */
export function openStore(config: Config): Store {
  const url = config.databaseUrl;
  const options = { backgroundCheckpoints: true, defaultAccountId: config.accountId };
  if (!url) return new SqliteStore(path.join(config.dataDir, 'omicsd.sqlite'), options);
  if (url.startsWith('sqlite:')) return new SqliteStore(url.replace(/^sqlite:(\/\/)?/, ''), options);
  if (/^postgres(ql)?:/.test(url)) {
    throw new Error('PostgreSQL is not supported yet: omit --database-url to use SQLite under --data-dir');
  }
  throw new Error(`Unsupported --database-url ${url}: use sqlite:PATH`);
}
