import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pino } from 'pino';
import { openTestStore } from '../support/store.js';
import { FsObjectStore } from '../../src/objectstore/fs-object-store.js';
import { BatchFailure, ingestBatch } from '../../src/domain/batches/ingest.js';
import { tempDir } from '../support/server.js';

const log = pino({ level: 'silent' });

/** Real store and real embedded object store, in process, so the file can change exactly between acceptance and ingest. */
async function setup(content: string, inline: { inlineSettings?: Record<string, unknown>[]; s3Uri?: undefined } = {}) {
  const dir = tempDir();
  const store = await openTestStore(dir, 'db.sqlite');
  const objects = new FsObjectStore(path.join(dir, 'objects'));
  const loc = { bucket: 'settings', key: 'cohort.json' };
  const { etag } = await objects.write(loc, content);
  const { record } = await store.batches.create({
    uuid: 'u', requestId: `r-${Math.random()}`, requestHash: 'h', workflowId: '1', creationTime: Date.now(), tags: {},
    defaultRunSetting: {}, s3Uri: 's3://settings/cohort.json', s3Etag: etag, accountId: '123456789012', ...inline,
  });
  await store.batches.transition(record.id, 'beginIngest', { at: Date.now() });
  return { store, objects, loc, etag, batch: (await store.batches.get(record.id, null))! };
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
  assert.equal(await store.batches.get(batch.id, null), undefined);
  const count = async () => (await store.entries.nextUnsubmitted(batch.id, 5000)).length;
  assert.equal(await count(), 2500, 'entries are not removed inside the DeleteBatch call');
  let steps = 0;
  while (await store.batches.purgeDeleted(1000)) steps++;
  assert.equal(steps, 3);
  assert.equal(await count(), 0);
});

/** The failureReason ingest gives for `content` as the settings file (or for inline entries). */
async function failureOf(content: string, inlineSettings?: Record<string, unknown>[]): Promise<string> {
  const { store, objects, batch } = await setup(content, inlineSettings ? { inlineSettings, s3Uri: undefined } : {});
  try {
    await ingestBatch(batch, store.entries, objects, log);
  } catch (err) {
    assert.ok(err instanceof BatchFailure, String(err));
    assert.ok(err.message.length <= 1000, `${err.message.length} characters`);
    return err.message;
  }
  assert.fail('ingest did not fail');
}

const J = 'Invalid JSON format in run configurations';

test('settings-file syntax errors name the problem, the byte offset and the line and column', async () => {
  assert.equal(await failureOf('[\n  {"runSettingId":"a"},\n  {"runSettingId":"b",}\n]'), `${J}: unexpected '}' at byte 48 (line 3, column 23)`);
  assert.equal(await failureOf('[{"runSettingId":"a"}}]'), `${J}: unexpected '}' at byte 21 (line 1, column 22)`);
  assert.equal(await failureOf('[\r\n {"runSettingId":"é漢"},\r\n {"runSettingId":"é漢", "n": True}\r\n]'), `${J}: unexpected 'True' at byte 62 (line 3, column 29)`);
  assert.equal(await failureOf('[\n {"runSettingId":"a"},\n {"runSettingId":"b'), `${J}: unterminated string in the element starting at byte 26 (line 3, column 2)`);
  assert.equal(await failureOf('[{"runSettingId":"a"}'), `${J}: the file ends before the closing ']' at byte 21 (line 1, column 22)`);
  assert.equal(await failureOf('[{"runSettingId":"a","p":{"x":[1]}\n'), `${J}: unclosed '{' in the element starting at byte 1 (line 1, column 2)`);
  assert.equal(await failureOf('[{"runSettingId":"a"},,{"runSettingId":"b"}]'), `${J}: unexpected ',' (an empty array element) at byte 22 (line 1, column 23)`);
  assert.equal(await failureOf('[{"runSettingId":"a"}]\nx'), `${J}: unexpected 'x' after the closing ']' at byte 23 (line 2, column 1)`);
  assert.equal(await failureOf('[{"runSettingId":"a\tb"}]'), `${J}: unescaped control character U+0009 in a string at byte 19 (line 1, column 20)`);
});

test('a settings file that is not an array of objects says what it found', async () => {
  assert.equal(await failureOf('{"runSettingId":"a"}'), `${J}: the settings file must be a JSON array of objects; found an object at byte 0 (line 1, column 1)`);
  assert.equal(await failureOf('\n  "x"'), `${J}: the settings file must be a JSON array of objects; found a string at byte 3 (line 2, column 3)`);
  assert.equal(await failureOf(''), `${J}: the settings file must be a JSON array of objects; found an empty file`);
  assert.equal(await failureOf('[{"runSettingId":"a"},\n 17]'), `${J}: the settings file must be a JSON array of objects; element 1 is a number at byte 24 (line 2, column 2)`);
  assert.equal(await failureOf('[{"runSettingId":"a"}, [1], null]'), `${J}: the settings file must be a JSON array of objects; element 1 is an array at byte 23 (line 1, column 24)`);
});

test('entries without a valid runSettingId are named by index', async () => {
  const file = JSON.stringify([{ runSettingId: 'a' }, {}, { runSettingId: '' }, { runSettingId: 7 }, { runSettingId: 'x'.repeat(129) }]);
  assert.equal(await failureOf(file), 'Expected 5 unique runSettingIds but there were 1: entry 1 has no runSettingId; '
    + 'entry 2 has an invalid runSettingId "" (1 to 128 printable characters); entry 3 has an invalid runSettingId: a number instead of a string; '
    + `entry 4 has an invalid runSettingId "${'x'.repeat(64)}…" (1 to 128 printable characters)`);
  const many = JSON.stringify(Array.from({ length: 9 }, () => ({})));
  assert.equal(await failureOf(many), 'Expected 9 unique runSettingIds but there were 0: entry 0 has no runSettingId; entry 1 has no runSettingId; '
    + 'entry 2 has no runSettingId; entry 3 has no runSettingId; entry 4 has no runSettingId; and 4 more entries without a valid runSettingId');
});

test('duplicates are named with the indexes of their entries, inline or in a file', async () => {
  const ids = ['a', 'b', 'b', 'a', 'c', 'a'];
  const expected = 'Expected 6 unique runSettingIds but there were 3: duplicated: "a" (entries 0, 3, 5), "b" (entries 1, 2)';
  assert.equal(await failureOf(JSON.stringify(ids.map((runSettingId) => ({ runSettingId })))), expected);
  assert.equal(await failureOf('', ids.map((runSettingId) => ({ runSettingId }))), expected);
  // Both kinds together.
  assert.equal(await failureOf(JSON.stringify([{ runSettingId: 'a' }, { name: 'x' }, { runSettingId: 'a' }])),
    'Expected 3 unique runSettingIds but there were 1: entry 1 has no runSettingId; duplicated: "a" (entries 0, 2)');
});

test('duplicates across 100,000 entries: the first five ids are named, the rest counted, within 1,000 characters', async () => {
  // Entry i has id r(i mod 40000): ids 0..19999 occur three times, the others twice. Flushes of 1,000 rows each.
  const file = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => ({ runSettingId: `r${i % 40_000}` })));
  const reason = await failureOf(file);
  assert.equal(reason, 'Expected 100000 unique runSettingIds but there were 40000: duplicated: "r0" (entries 0, 40000, 80000), '
    + '"r1" (entries 1, 40001, 80001), "r2" (entries 2, 40002, 80002), "r3" (entries 3, 40003, 80003), "r4" (entries 4, 40004, 80004) and 39995 more');
  // Long ids: fewer are named so that the text fits.
  const long = (i: number) => `${'L'.repeat(120)}${String(i).padStart(6, '0')}`;
  const reason2 = await failureOf(JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ runSettingId: long(i % 10) }))));
  assert.ok(reason2.length <= 1000, String(reason2.length));
  assert.match(reason2, /^Expected 20 unique runSettingIds but there were 10: duplicated: "L+000000" \(entries 0, 10\), .* and \d+ more$/);
});
