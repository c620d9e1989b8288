// A data dir made by omicsd 0.1.0 (test/fixtures/datadir-0.1.0, see its README) opened by this build:
// every workflow, run and batch is kept, every operation works on it, and the schema is recorded.
// A data dir from a newer schema than this build knows is refused before anything is touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  CancelRunCommand, CreateRunGroupCommand, DeleteBatchCommand, DeleteRunBatchCommand, DeleteRunCommand, GetBatchCommand, GetRunCommand,
  GetRunGroupCommand, GetWorkflowCommand, ListBatchCommand, ListRunsCommand, ListRunsInBatchCommand, ListTagsForResourceCommand,
  ListWorkflowsCommand, ResourceNotFoundException, StartRunBatchCommand, StartRunCommand, TagResourceCommand,
} from '@aws-sdk/client-omics';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js';
import { ROLE } from '../support/client.js';
import { BIN, ROOT, tempDir } from '../support/paths.js';
import { startServer } from '../support/server.js';
import { onPostgres } from '../support/store.js';
import { eventually } from '../support/wait.js';

/** These are the SQLite dialect's data dirs and migrations; the PostgreSQL schema is tested in pg-migrations.test.ts. */
const sqliteOnly = onPostgres && 'SQLite data dirs (a PostgreSQL run tests its own migrations)';
import { createWorkflow } from '../support/workflows.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/datadir-0.1.0');

/** A private copy of the fixture data dir, so the committed one is never migrated. */
function copyFixture(): string {
  const dir = tempDir('omicsd-fixture-');
  fs.copyFileSync(path.join(FIXTURE, 'omicsd.sqlite'), path.join(dir, 'omicsd.sqlite'));
  return dir;
}

const versions = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
  } finally {
    db.close();
  }
};

test('the fixture is a 0.1.0 data dir (schema version 1)', { skip: sqliteOnly }, () => {
  assert.deepEqual(versions(path.join(FIXTURE, 'omicsd.sqlite')), [1]);
});

test('a 0.1.0 data dir opens with everything kept, and every operation works on it', { skip: sqliteOnly }, async (t) => {
  const dataDir = copyFixture();
  const server = await startServer([], dataDir);
  t.after(() => server.stop());
  const c = server.client;

  // Kept: workflows (one ACTIVE, one FAILED), the run group, runs with their tags and outcomes, both batches.
  assert.equal((await c.send(new GetWorkflowCommand({ id: '1000001' }))).status, 'ACTIVE');
  const failedWf = await c.send(new GetWorkflowCommand({ id: '1000002' }));
  assert.equal(failedWf.status, 'FAILED');
  assert.match(failedWf.statusMessage ?? '', /not a valid zip/);
  assert.deepEqual((await c.send(new ListWorkflowsCommand({}))).items?.map((w) => w.id), ['1000002', '1000001']);
  assert.equal((await c.send(new GetRunGroupCommand({ id: '1000001' }))).maxRuns, 5);
  const runs = (await c.send(new ListRunsCommand({}))).items ?? [];
  assert.deepEqual(runs.map((r) => r.id), ['1000008', '1000007', '1000006', '1000005', '1000004', '1000003', '1000002', '1000001']);
  const r1 = await c.send(new GetRunCommand({ id: '1000001' }));
  assert.equal(r1.status, 'COMPLETED');
  assert.equal(r1.runGroupId, '1000001');
  assert.deepEqual((await c.send(new ListTagsForResourceCommand({ resourceArn: r1.arn! }))).tags, { sample: 's1' });
  assert.equal((await c.send(new GetRunCommand({ id: '1000002' }))).failureReason, 'disk full');
  assert.equal((await c.send(new GetRunCommand({ id: '1000003' }))).status, 'CANCELLED');
  const processed = await c.send(new GetBatchCommand({ batchId: '1000001' }));
  assert.equal(processed.status, 'PROCESSED');
  assert.equal(processed.totalRuns, 5);
  assert.equal(processed.runSummary?.completedRunCount, 5);
  assert.deepEqual(processed.tags, { cohort: 'x' });
  const entries = (await c.send(new ListRunsInBatchCommand({ batchId: '1000001' }))).runs ?? [];
  assert.deepEqual(entries.map((e) => [e.runSettingId, e.runId]), [1, 2, 3, 4, 5].map((i) => [`s-${i}`, String(1000003 + i)]));
  const failed = await c.send(new GetBatchCommand({ batchId: '1000002' }));
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.failureReason, 'Expected 2 unique runSettingIds but there were 1');
  assert.deepEqual((await c.send(new ListBatchCommand({}))).items?.map((b) => b.id), ['1000002', '1000001']);

  // Idempotency survives: the fixture's client token gives back its run.
  const replay = await c.send(new StartRunCommand({
    workflowId: '1000001', roleArn: ROLE, outputUri: 's3://fx/out/', name: 'ok', parameters: { input: 's3://fx/in.txt' }, requestId: 'fx-r-1',
    runGroupId: '1000001',
  }));
  assert.equal(replay.id, '1000001');

  // New resources continue the fixture's id sequences and work end to end.
  const wf = await createWorkflow(c, { name: 'after-upgrade' });
  assert.equal(wf, '1000003');
  assert.equal((await c.send(new CreateRunGroupCommand({ name: 'g2' }))).id, '1000002');
  const run = await c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/x/', parameters: { msg: 'hi', __omicsd_simulate: { runningMs: 60000 } } }));
  assert.equal(run.id, '1000009');
  await c.send(new CancelRunCommand({ id: run.id }));
  await c.send(new TagResourceCommand({ resourceArn: r1.arn!, tags: { upgraded: 'yes' } }));
  const batch = await c.send(new StartRunBatchCommand({
    batchName: 'after-upgrade', defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/b/' },
    batchRunSettings: { inlineSettings: [{ runSettingId: 'a', parameters: { msg: 'a', __omicsd_simulate: { runningMs: 10 } } }] },
  }));
  await eventually(async () => (await c.send(new GetBatchCommand({ batchId: batch.id }))).status === 'PROCESSED', 15000, 'new batch PROCESSED');

  // The old batches go through the rest of their life: delete their runs, then the records (DeleteBatch needs the purge table).
  await c.send(new DeleteRunCommand({ id: '1000002' }));
  await c.send(new DeleteRunBatchCommand({ batchId: '1000001' }));
  const deleted = await eventually(async () => {
    const b = await c.send(new GetBatchCommand({ batchId: '1000001' }));
    return b.status === 'RUNS_DELETED' && b;
  }, 15000, 'RUNS_DELETED');
  assert.equal(deleted.runSummary?.deletedRunCount, 5);
  await c.send(new DeleteBatchCommand({ batchId: '1000001' }));
  await c.send(new DeleteBatchCommand({ batchId: '1000002' }));
  await assert.rejects(c.send(new GetBatchCommand({ batchId: '1000001' })), ResourceNotFoundException);
  await assert.rejects(c.send(new GetRunCommand({ id: '1000004' })), ResourceNotFoundException);
  const db = new Database(path.join(dataDir, 'omicsd.sqlite'), { readonly: true });
  t.after(() => db.close());
  const left = db.prepare('SELECT count(*) FROM batch_entries WHERE batch_id IN (1000001, 1000002)').pluck();
  await eventually(() => left.get() === 0, 10000, 'the entries of the deleted batches purged');
  assert.equal(await server.stop(), 0);
  assert.deepEqual(versions(path.join(dataDir, 'omicsd.sqlite')), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
});

test('migration 5 counts the runs and batches a data dir already has, and the counts follow every change after it', { skip: sqliteOnly }, async () => {
  const dataDir = copyFixture();
  const file = path.join(dataDir, 'omicsd.sqlite');
  const store = new SqliteStore(file);
  try {
    const db = store.database.db;
    const grouped = (table: string) => new Map((db.prepare(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as { status: string; n: number }[])
      .map((r) => [r.status, r.n]));
    const nonZero = (m: Map<string, number>) => new Map([...m].filter(([, n]) => n !== 0));
    assert.ok(grouped('runs').size > 0, 'the fixture has runs');
    assert.deepEqual(nonZero(await store.stats.statusCounts('run')), grouped('runs'));
    assert.deepEqual(nonZero(await store.stats.statusCounts('batch')), grouped('batches'));
    assert.equal(await store.events.newest(), 0, 'no event for what happened before the outbox existed');
    const completed = db.prepare(`SELECT id FROM runs WHERE status = 'COMPLETED' AND batch_id IS NULL LIMIT 1`).pluck().get() as number;
    assert.equal(await store.runs.delete(String(completed)), 'deleted');
    assert.equal(await store.batches.delete('1000001'), 'deleted');
    assert.deepEqual(nonZero(await store.stats.statusCounts('run')), grouped('runs'), 'after a run was deleted');
    assert.deepEqual(nonZero(await store.stats.statusCounts('batch')), grouped('batches'), 'after a batch was deleted');
    const events = await store.events.after(0, 10);
    assert.deepEqual(events.map((e) => [e.kind, e.resourceId, e.status]), [['run', String(completed), 'DELETED']], 'the run\'s change is an event');
  } finally {
    await store.close();
  }
});

test('a data dir made before migration 1 was final (no batch_purges) is repaired: DeleteBatch works', { skip: sqliteOnly }, async () => {
  const dataDir = copyFixture();
  const file = path.join(dataDir, 'omicsd.sqlite');
  const raw = new Database(file);
  raw.exec('DROP TABLE batch_purges; DROP INDEX batch_entries_run; CREATE INDEX batch_entries_run ON batch_entries (run_id);');
  raw.close();
  const store = new SqliteStore(file);
  try {
    assert.deepEqual(store.schema, { from: 1, to: SCHEMA_VERSION });
    assert.equal(await store.batches.delete('1000001'), 'deleted');
    while (await store.batches.purgeDeleted(2));
    assert.equal(store.database.db.prepare('SELECT count(*) FROM batch_entries WHERE batch_id = 1000001').pluck().get(), 0);
    const cols = store.database.db.prepare(`SELECT name FROM pragma_index_info('batch_entries_run')`).pluck().all();
    assert.deepEqual(cols, ['run_id', 'batch_id']);
  } finally {
    await store.close();
  }
});

test('a data dir from a newer omicsd is refused with a clear message, and left untouched', { skip: sqliteOnly }, () => {
  const dataDir = copyFixture();
  const file = path.join(dataDir, 'omicsd.sqlite');
  const raw = new Database(file);
  raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(SCHEMA_VERSION + 7, Date.now());
  raw.close();
  const before = fs.readFileSync(file);
  const res = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--executor', 'simulated'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(res.status, 1, res.stderr);
  assert.equal(res.stdout, '', 'never listened');
  assert.match(res.stderr, new RegExp(`schema version ${SCHEMA_VERSION + 7}, but this omicsd knows versions up to ${SCHEMA_VERSION}`));
  assert.match(res.stderr, /written by a newer omicsd/);
  assert.deepEqual(versions(file), [1, SCHEMA_VERSION + 7]);
  assert.ok(fs.readFileSync(file).equals(before), 'the database file is unchanged');
});
