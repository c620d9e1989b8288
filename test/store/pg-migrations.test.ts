// The PostgreSQL schema (src/store/postgres/migrations.ts) on the real server at 127.0.0.1:5432.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { DEFAULT_ACCOUNT_ID } from '../../src/domain/ids.js';
import { PG_SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { BIN, tempDir } from '../support/paths.js';
import { dropTestDatabase, testDatabase } from '../support/store.js';

test('instances opening one new database together migrate it once', async (t) => {
  const url = await testDatabase(tempDir());
  t.after(() => dropTestDatabase(url));
  const stores = await Promise.all(Array.from({ length: 4 }, () => PgStore.open(url, { defaultAccountId: DEFAULT_ACCOUNT_ID })));
  try {
    assert.equal(stores.filter((s) => s.schema.from === 0).length, 1, 'exactly one of them applied the migrations');
    for (const s of stores) assert.equal(s.schema.to, PG_SCHEMA_VERSION);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      assert.deepEqual((await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version)), [PG_SCHEMA_VERSION]);
    } finally {
      await c.end();
    }
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test('a database from a newer omicsd is refused with a clear message, and left untouched', async (t) => {
  const url = await testDatabase(tempDir());
  t.after(() => dropTestDatabase(url));
  const store = await PgStore.open(url, { defaultAccountId: DEFAULT_ACCOUNT_ID });
  await store.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [PG_SCHEMA_VERSION + 7, Date.now()]);
    const res = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', tempDir(), '--executor', 'simulated', '--database-url', url],
      { encoding: 'utf8', timeout: 20000 });
    assert.equal(res.status, 1, res.stderr);
    assert.equal(res.stdout, '', 'never listened');
    assert.match(res.stderr, new RegExp(`schema version ${PG_SCHEMA_VERSION + 7}, but this omicsd knows versions up to ${PG_SCHEMA_VERSION}`));
    assert.deepEqual((await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version)), [PG_SCHEMA_VERSION, PG_SCHEMA_VERSION + 7]);
  } finally {
    await c.end();
  }
});

test('--database-url refuses what is not sqlite: or postgres://, without echoing a password', () => {
  const res = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', tempDir(), '--database-url', 'mysql://root:hunter2@db/omicsd'],
    { encoding: 'utf8', timeout: 20000 });
  assert.notEqual(res.status, 0);
  assert.match(res.stderr, /expected sqlite:PATH or postgres:\/\/USER@HOST:PORT\/DATABASE/);
  assert.doesNotMatch(res.stderr, /hunter2/);
});
