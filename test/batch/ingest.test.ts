import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pino } from 'pino';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { FsObjectStore } from '../../src/objectstore/fs-object-store.js';
import { BatchFailure, ingestBatch } from '../../src/domain/batches/ingest.js';
import { tempDir } from '../support/server.js';

const log = pino({ level: 'silent' });

/** Real store and real embedded object store, in process, so the file can change exactly between acceptance and ingest. */
async function setup(content: string) {
  const dir = tempDir();
  const store = new SqliteStore(path.join(dir, 'db.sqlite'));
  const objects = new FsObjectStore(path.join(dir, 'objects'));
  const loc = { bucket: 'settings', key: 'cohort.json' };
  const { etag } = await objects.write(loc, content);
  const { record } = await store.batches.create({
    uuid: 'u', requestId: `r-${Math.random()}`, requestHash: 'h', workflowId: '1', creationTime: Date.now(), tags: {},
    defaultRunSetting: {}, s3Uri: 's3://settings/cohort.json', s3Etag: etag,
  });
  await store.batches.transition(record.id, 'beginIngest', { at: Date.now() });
  return { store, objects, loc, etag, batch: (await store.batches.get(record.id))! };
}

test('a settings file changed after acceptance fails ingest with both ETags', async () => {
  const { store, objects, loc, etag, batch } = await setup('[{"runSettingId":"a"}]');
  const changed = await objects.write(loc, '[{"runSettingId":"a"},{"runSettingId":"b"}]');
  assert.notEqual(changed.etag, etag);
  await assert.rejects(ingestBatch(batch, store.entries, objects, log), (err: unknown) => {
    assert.ok(err instanceof BatchFailure);
    assert.equal(err.message, `Expected s3UriConfigs etag: ${etag} but was: ${changed.etag}. s3UriConfigs have changed since calling StartRunBatch`);
    return true;
  });
});

test('ingest keeps byte ranges, not copies, of settings-file entries', async () => {
  const text = '[ {"runSettingId":"a","parameters":{"x":"é"}} ,\n {"runSettingId":"b"} ]';
  const { store, objects, batch } = await setup(text);
  assert.equal(await ingestBatch(batch, store.entries, objects, log), 2);
  await store.batches.transition(batch.id, 'finishIngest', { at: Date.now(), totalRuns: 2 });
  const entries = await store.entries.nextUnsubmitted(batch.id, 10);
  assert.deepEqual(entries.map((e) => e.setting), [undefined, undefined]);
  const bytes = Buffer.from(text);
  assert.deepEqual(entries.map((e) => JSON.parse(bytes.toString('utf8', e.start, e.end)).runSettingId), ['a', 'b']);
});

test('DeleteBatch answers at once; the entries are purged afterwards in bounded steps', async () => {
  const { store, objects, batch } = await setup(JSON.stringify(Array.from({ length: 2500 }, (_, i) => ({ runSettingId: `r${i}` }))));
  await ingestBatch(batch, store.entries, objects, log);
  await store.batches.transition(batch.id, 'fail', { at: Date.now(), failureReason: 'test' });
  assert.equal(await store.batches.delete(batch.id), 'deleted');
  assert.equal(await store.batches.get(batch.id), undefined);
  const count = () => (store.database.db.prepare('SELECT count(*) AS n FROM batch_entries WHERE batch_id = ?').get(batch.id) as { n: number }).n;
  assert.equal(count(), 2500, 'entries are not removed inside the DeleteBatch call');
  let steps = 0;
  while (await store.batches.purgeDeleted(1000)) steps++;
  assert.equal(steps, 3);
  assert.equal(count(), 0);
});
