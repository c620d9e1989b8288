import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { failureCategory, settingsChanged, TRANSIENT } from '../../src/domain/batches/ingest.js';
import { EventFormatter } from '../../src/events/envelope.js';
import { FileSink } from '../../src/events/file-sink.js';
import type { OutboxEvent } from '../../src/store/store.js';
import { tempDir } from '../support/paths.js';

const run = (seq: number, facts: OutboxEvent['facts'] = {}): OutboxEvent => ({
  seq, kind: 'run', resourceId: '1000007', accountId: '111122223333', status: 'RUNNING', at: Date.UTC(2026, 11, 2, 10, 0, 0, 456), facts,
});

test('event ids: UUID-shaped, the same for the same event, different across events, data dirs, and events that reuse a place', () => {
  const a = new EventFormatter('eu-west-1', 'secret-a');
  const b = new EventFormatter('eu-west-1', 'secret-b');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(a.eventId(run(1)), uuid);
  assert.equal(a.eventId(run(42)), new EventFormatter('eu-west-1', 'secret-a').eventId(run(42)));
  assert.notEqual(a.eventId(run(42)), a.eventId(run(43)));
  assert.notEqual(a.eventId(run(42)), b.eventId(run(42)));
  // A place in the outbox given to another change (the first was lost with a power loss) is another event.
  assert.notEqual(a.eventId(run(42)), a.eventId({ ...run(42), status: 'COMPLETED' }));
});

test('a run event: envelope, whole seconds, and its batch as the order key; a run without a batch is its own key', () => {
  const f = new EventFormatter('eu-west-1', 's');
  const inBatch = f.format(run(5, { batchId: 1000002, runSettingId: 'sample-9', workflowId: 1000001, name: null }));
  assert.equal(inBatch.orderKey, 'batch:1000002');
  assert.deepEqual(inBatch.event, {
    version: '0', id: f.eventId(run(5)), source: 'aws.omics', account: '111122223333', time: '2026-12-02T10:00:00Z', region: 'eu-west-1',
    'detail-type': 'Run Status Change', resources: ['arn:aws:omics:eu-west-1:111122223333:run/1000007'],
    detail: {
      omicsVersion: '1.0.0', arn: 'arn:aws:omics:eu-west-1:111122223333:run/1000007', status: 'RUNNING', runId: '1000007', workflowId: '1000001',
      batchId: '1000002', runSettingId: 'sample-9',
    },
  });
  assert.equal(inBatch.json, JSON.stringify(inBatch.event));
  assert.equal(f.format(run(6)).orderKey, 'run:1000007');
});

test('a failed batch event carries the category of its failure', () => {
  assert.equal(failureCategory(TRANSIENT), 'INTERNAL_SERVER_ERROR');
  assert.equal(failureCategory(settingsChanged('"a"', '"b"')), 'S3_CONFIGURATION_CHANGED');
  assert.equal(failureCategory('Batch has 100001 runs but 100000 runs is the max.'), 'VALIDATION_EXCEPTION');
  const f = new EventFormatter('us-east-1', 's');
  const e = f.format({ ...run(7), kind: 'batch', resourceId: '1000002', status: 'FAILED', facts: { failureReason: TRANSIENT, failureDetail: null, workflowId: 1000001 } }).event;
  assert.equal(e['detail-type'], 'RunBatch Status Change');
  assert.equal(e.detail.failureReason, 'INTERNAL_SERVER_ERROR');
  assert.equal(e.detail.failureMessage, TRANSIENT);
  assert.equal(e.detail.workflowArn, 'arn:aws:omics:us-east-1:111122223333:workflow/1000001');
  assert.equal(e.detail.totalRuns, undefined, 'members without a value are left out');
});

test('the events file is rotated once it would pass its size: the full one becomes <file>.1', async () => {
  const file = path.join(tempDir(), 'events.ndjson');
  const f = new EventFormatter('us-east-1', 's');
  const sink = new FileSink(file, 1500);
  const batchOf = (from: number) => Array.from({ length: 3 }, (_, i) => f.format(run(from + i)));
  await sink.deliver(batchOf(1));
  const first = fs.statSync(file).size;
  assert.ok(first > 0 && first < 1500);
  await sink.deliver(batchOf(4));
  await sink.deliver(batchOf(7));
  await sink.close();
  const ids = (p: string) => fs.readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id as string);
  const all = [...ids(`${file}.1`), ...ids(file)];
  assert.ok(fs.statSync(file).size <= 1500);
  assert.deepEqual(all.slice(-3), batchOf(7).map((e) => e.event.id), 'the newest lines are in the current file');
  assert.ok(all.length >= 6, 'the previous file keeps what came before');
});
