// Which store the tests run on: SQLite by default, PostgreSQL when OMICSD_TEST_STORE=postgres
// (`npm run test:postgres`). Each data dir gets its own database, so a restart finds its data.
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DEFAULT_ACCOUNT_ID } from '../../src/domain/ids.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

export const onPostgres = process.env.OMICSD_TEST_STORE === 'postgres';
/** The server the test databases are made on (trust auth). */
export const PG_SERVER = process.env.OMICSD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
/** Every test database's name starts with this, so a test run can drop them all at the end. */
export const TEST_DB_PREFIX = 'omicsd_t_';

/** The PostgreSQL URL of the database for `dataDir`, made if missing; undefined on SQLite. */
export async function testDatabaseUrl(dataDir: string): Promise<string | undefined> {
  return onPostgres ? testDatabase(dataDir) : undefined;
}

/** A PostgreSQL database of its own for `key` (a data dir), made if missing, whichever store the run is on. */
export async function testDatabase(key: string): Promise<string> {
  const name = TEST_DB_PREFIX + createHash('sha256').update(path.resolve(key)).digest('hex').slice(0, 24);
  const admin = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
    if (!exists) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return `${PG_SERVER}/${name}`;
}

/** The store a test opens in process, on `dataDir`'s SQLite file or its PostgreSQL database. */
export async function openTestStore(dataDir: string, file = 'omicsd.sqlite'): Promise<Store> {
  const url = await testDatabaseUrl(dataDir);
  if (url) return PgStore.open(url, { defaultAccountId: DEFAULT_ACCOUNT_ID });
  return new SqliteStore(path.join(dataDir, file));
}

type Row = Record<string, any>;

/**
 * Reads the store of a server's `dataDir` directly, as a test checks its rows: the SQLite file, or the
 * data dir's PostgreSQL database on a PostgreSQL run; every query of `fn` sees one snapshot.
 */
export async function readStore<T>(dataDir: string, fn: (all: (sql: string) => Promise<Row[]>) => Promise<T>): Promise<T> {
  const url = await testDatabaseUrl(dataDir);
  if (!url) {
    const db = new Database(path.join(dataDir, 'omicsd.sqlite'), { readonly: true, fileMustExist: true });
    try {
      db.exec('BEGIN');
      return await fn(async (sql) => db.prepare(sql).all() as Row[]);
    } finally {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return await fn(async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.end();
  }
}

/** Drops one test database (its servers stopped or not). */
export async function dropTestDatabase(url: string) {
  const name = new URL(url).pathname.slice(1);
  if (!name.startsWith(TEST_DB_PREFIX)) throw new Error(`not a test database: ${name}`);
  const admin = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Drops every test database (the end of a test run on PostgreSQL). */
export async function dropTestDatabases() {
  const admin = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await admin.connect();
  try {
    const rows = (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${TEST_DB_PREFIX}%`])).rows;
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
    return rows.length;
  } finally {
    await admin.end();
  }
}
