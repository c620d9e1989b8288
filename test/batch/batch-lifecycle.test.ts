import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  CancelRunBatchCommand, ConflictException, CreateRunGroupCommand, DeleteBatchCommand, DeleteRunBatchCommand,
  GetRunCommand, ListBatchCommand, ListRunsCommand, ListRunsInBatchCommand, ListTagsForResourceCommand,
  ResourceNotFoundException, StartRunBatchCommand, ValidationException, paginateListBatch,
  type OmicsClient,
} from '@aws-sdk/client-omics';
import { getBatch, submitted, waitBatch, waitBatchStatus } from '../support/batches.js';
import { s3cp } from '../support/cli.js';
import { ROLE } from '../support/client.js';
import { allBatchEntries } from '../support/lists.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { writeSettingsFile } from '../support/settings-file.js';
import { sleep } from '../support/wait.js';
import { createWorkflow } from '../support/workflows.js';

let server: RunningServer;
let client: OmicsClient;
let workflowId: string;

const until = (id: string, statuses: string[], ms?: number) => waitBatchStatus(client, id, statuses, ms);
const allEntries = (batchId: string) => allBatchEntries(client, batchId);

before(async () => {
  server = await startServer(['--sim-run-ms', '200', '--start-run-rate', '200', '--start-run-burst', '200']);
  client = server.client;
  workflowId = await createWorkflow(client, { name: 'batch-wf' });
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

const defaults = () => ({ workflowId, roleArn: ROLE, outputUri: 's3://out/base/', parameters: { msg: 'hello', n: 1 }, runTags: { project: 'p1', stage: 'default' } });

describe('inline batch', () => {
  test('runs every entry with merged settings and counts them exactly', async () => {
    const res = await client.send(new StartRunBatchCommand({
      batchName: 'cohort-a', tags: { owner: 'lab' },
      defaultRunSetting: { ...defaults(), name: 'default-name', priority: 5 },
      batchRunSettings: { inlineSettings: [
        { runSettingId: 's1', parameters: { n: 2 }, runTags: { stage: 'entry', sample: 's1' } },
        { runSettingId: 's2', name: 'named', outputUri: 's3://out/other/', priority: 9 },
        { runSettingId: 's3', parameters: { __omicsd_simulate: { outcome: 'FAILED', runningMs: 10, failureReason: 'boom' } } },
        { runSettingId: 's4', parameters: { unknownParam: 1 } },
      ] },
    }));
    assert.equal(res.$metadata.httpStatusCode, 201);
    assert.equal(res.status, 'CREATING');
    assert.match(res.id!, /^[0-9]+$/);
    assert.equal(res.arn, `arn:aws:omics:us-east-1:123456789012:runBatch/${res.id}`);
    assert.match(res.uuid!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(res.tags, { owner: 'lab' });

    const b = await until(res.id!, ['PROCESSED']);
    assert.equal(b.name, 'cohort-a');
    assert.equal(b.totalRuns, 4);
    assert.deepEqual(b.submissionSummary, { successfulStartSubmissionCount: 3, failedStartSubmissionCount: 1, pendingStartSubmissionCount: 0 });
    assert.equal(b.runSummary!.completedRunCount, 2);
    assert.equal(b.runSummary!.failedRunCount, 1);
    assert.equal(b.runSummary!.pendingRunCount! + b.runSummary!.runningRunCount! + b.runSummary!.startingRunCount! + b.runSummary!.stoppingRunCount!, 0);
    assert.ok(b.creationTime! <= b.submittedTime! && b.submittedTime! <= b.processedTime!);
    assert.equal(b.failedTime, undefined);
    assert.deepEqual(b.defaultRunSetting!.runTags, { project: 'p1', stage: 'default' });

    const entries = await allEntries(res.id!);
    assert.deepEqual(entries.map((e) => e.runSettingId), ['s1', 's2', 's3', 's4']);
    const failed = entries.find((e) => e.runSettingId === 's4')!;
    assert.equal(failed.submissionStatus, 'FAILED');
    assert.equal(failed.submissionFailureReason, 'ValidationException');
    assert.match(failed.submissionFailureMessage!, /unknownParam/);
    assert.equal(failed.runId, undefined);

    const byId = Object.fromEntries(entries.map((e) => [e.runSettingId, e]));
    const r1 = await client.send(new GetRunCommand({ id: byId.s1.runId }));
    assert.equal(r1.batchId, res.id);
    assert.equal(r1.uuid, byId.s1.runInternalUuid);
    assert.equal(byId.s1.runArn, r1.arn);
    assert.deepEqual(r1.parameters, { msg: 'hello', n: 2 });
    assert.deepEqual(r1.tags, { project: 'p1', stage: 'entry', sample: 's1' });
    assert.equal(r1.name, 'default-name');
    assert.equal(r1.priority, 5);
    assert.equal(r1.outputUri, 's3://out/base/');
    const r2 = await client.send(new GetRunCommand({ id: byId.s2.runId }));
    assert.equal(r2.name, 'named');
    assert.equal(r2.priority, 9);
    assert.equal(r2.outputUri, 's3://out/other/');
    assert.deepEqual(r2.tags, { project: 'p1', stage: 'default' });
    const r3 = await client.send(new GetRunCommand({ id: byId.s3.runId }));
    assert.equal(r3.status, 'FAILED');

    const listed = await client.send(new ListRunsCommand({ batchId: res.id }));
    assert.deepEqual(listed.items!.map((r) => r.id).sort(), [byId.s1.runId, byId.s2.runId, byId.s3.runId].sort());
    assert.ok(listed.items!.every((r) => r.batchId === res.id));
    const tags = await client.send(new ListTagsForResourceCommand({ resourceArn: res.arn }));
    assert.deepEqual(tags.tags, { owner: 'lab' });

    const onlyFailed = await client.send(new ListRunsInBatchCommand({ batchId: res.id, submissionStatus: 'FAILED' }));
    assert.deepEqual(onlyFailed.runs!.map((e) => e.runSettingId), ['s4']);
    const byRunId = await client.send(new ListRunsInBatchCommand({ batchId: res.id, runId: byId.s2.runId }));
    assert.deepEqual(byRunId.runs!.map((e) => e.runSettingId), ['s2']);
    const bySetting = await client.send(new ListRunsInBatchCommand({ batchId: res.id, runSettingId: 's3' }));
    assert.deepEqual(bySetting.runs!.map((e) => e.runId), [byId.s3.runId]);
  });

  test('an entry without an outputUri anywhere fails with ValidationException; the others run', async () => {
    const res = await client.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId, roleArn: ROLE, parameters: { msg: 'x' } },
      batchRunSettings: { inlineSettings: [{ runSettingId: 'a', outputUri: 's3://out/a/' }, { runSettingId: 'b' }] },
    }));
    const b = await until(res.id!, ['PROCESSED']);
    assert.equal(b.submissionSummary!.successfulStartSubmissionCount, 1);
    assert.equal(b.submissionSummary!.failedStartSubmissionCount, 1);
    const e = (await allEntries(res.id!)).find((x) => x.runSettingId === 'b')!;
    assert.equal(e.submissionFailureReason, 'ValidationException');
    assert.match(e.submissionFailureMessage!, /outputUri/);
  });

  test('duplicate runSettingIds fail the batch asynchronously with the documented text', async () => {
    const res = await client.send(new StartRunBatchCommand({
      defaultRunSetting: defaults(),
      batchRunSettings: { inlineSettings: [{ runSettingId: 'x' }, { runSettingId: 'y' }, { runSettingId: 'x' }] },
    }));
    assert.equal(res.status, 'CREATING');
    const b = await until(res.id!, ['FAILED']);
    assert.equal(b.failureReason, 'Expected 3 unique runSettingIds but there were 2');
    assert.ok(b.failedTime);
    assert.equal((await client.send(new ListRunsCommand({ batchId: res.id }))).items!.length, 0);
  });

  test('requestId makes StartRunBatch idempotent; a different body with it conflicts', async () => {
    const input = { requestId: `req-${Date.now()}`, defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: [{ runSettingId: 'only' }] } };
    const a = await client.send(new StartRunBatchCommand(input));
    const b = await client.send(new StartRunBatchCommand(input));
    assert.equal(b.id, a.id);
    assert.equal(b.uuid, a.uuid);
    await until(a.id!, ['PROCESSED']);
    assert.equal((await client.send(new ListRunsCommand({ batchId: a.id }))).items!.length, 1);
    await assert.rejects(
      client.send(new StartRunBatchCommand({ ...input, batchName: 'different' })),
      (e: unknown) => e instanceof ConflictException && e.$metadata.httpStatusCode === 409,
    );
  });
});

describe('synchronous validation', () => {
  const inline = [{ runSettingId: 'a' }];
  const cases: [string, () => object, new (...a: any[]) => Error, RegExp][] = [
    ['no settings member', () => ({ defaultRunSetting: defaults(), batchRunSettings: {} }), ValidationException, /exactly one/],
    ['both settings members', () => ({ defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: inline, s3UriSettings: 's3://b/k' } }), ValidationException, /exactly one/],
    ['101 inline entries', () => ({ defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: Array.from({ length: 101 }, (_, i) => ({ runSettingId: `r${i}` })) } }), ValidationException, /inlineSettings/],
    ['empty inline list', () => ({ defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: [] } }), ValidationException, /inlineSettings/],
    ['entry without runSettingId', () => ({ defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: [{ name: 'x' }] } }), ValidationException, /runSettingId/],
    ['missing roleArn', () => ({ defaultRunSetting: { workflowId }, batchRunSettings: { inlineSettings: inline } }), ValidationException, /roleArn/],
    ['non-numeric workflowId', () => ({ defaultRunSetting: { ...defaults(), workflowId: 'abc' }, batchRunSettings: { inlineSettings: inline } }), ValidationException, /workflowId/],
    ['priority out of range', () => ({ defaultRunSetting: { ...defaults(), priority: 100001 }, batchRunSettings: { inlineSettings: inline } }), ValidationException, /priority/],
    ['bad storageType', () => ({ defaultRunSetting: { ...defaults(), storageType: 'FAST' }, batchRunSettings: { inlineSettings: inline } }), ValidationException, /storageType/],
    ['batchName too long', () => ({ batchName: 'n'.repeat(65), defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: inline } }), ValidationException, /batchName/],
    ['READY2RUN workflow', () => ({ defaultRunSetting: { ...defaults(), workflowType: 'READY2RUN' }, batchRunSettings: { inlineSettings: inline } }), ValidationException, /Ready2Run/],
    ['cacheBehavior without cacheId', () => ({ defaultRunSetting: { ...defaults(), cacheBehavior: 'CACHE_ALWAYS' }, batchRunSettings: { inlineSettings: inline } }), ValidationException, /cacheId/],
    ['outputUri not s3', () => ({ defaultRunSetting: { ...defaults(), outputUri: 'https://x/y' }, batchRunSettings: { inlineSettings: inline } }), ValidationException, /outputUri/],
    ['s3UriSettings not an s3 URI', () => ({ defaultRunSetting: defaults(), batchRunSettings: { s3UriSettings: 'file:///etc/passwd' } }), ValidationException, /s3UriSettings/],
    ['s3UriSettings escaping the store', () => ({ defaultRunSetting: defaults(), batchRunSettings: { s3UriSettings: 's3://bucket/../../etc/passwd' } }), ValidationException, /\.\./],
    ['unknown workflow', () => ({ defaultRunSetting: { ...defaults(), workflowId: '999999999' }, batchRunSettings: { inlineSettings: inline } }), ResourceNotFoundException, /999999999/],
    ['unknown run group', () => ({ defaultRunSetting: { ...defaults(), runGroupId: '999999999' }, batchRunSettings: { inlineSettings: inline } }), ResourceNotFoundException, /999999999/],
    ['missing settings object', () => ({ defaultRunSetting: defaults(), batchRunSettings: { s3UriSettings: 's3://nobucket/none.json' } }), ResourceNotFoundException, /none\.json|nobucket/],
  ];
  for (const [name, input, type, message] of cases) {
    test(name, async () => {
      const before = (await client.send(new ListBatchCommand({}))).items!.length;
      await assert.rejects(client.send(new StartRunBatchCommand(input() as any)), (e: any) => {
        assert.ok(e instanceof type, `expected ${type.name}, got ${e.name}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
      assert.equal((await client.send(new ListBatchCommand({}))).items!.length, before, 'nothing was created');
    });
  }
});

describe('settings file in the embedded store', () => {
  test('a file of 500 entries runs; malformed, oversized and changed files fail the batch', async () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.json');
    writeSettingsFile(good, 500, (i) => ({ runSettingId: `sample-${i}`, parameters: { n: i } }));
    await s3cp(good, 's3://settings/good.json', server.dataDir);
    const ok = await client.send(new StartRunBatchCommand({ defaultRunSetting: defaults(), batchRunSettings: { s3UriSettings: 's3://settings/good.json' } }));
    const b = await until(ok.id!, ['PROCESSED'], 30000);
    assert.equal(b.totalRuns, 500);
    assert.equal(b.submissionSummary!.successfulStartSubmissionCount, 500);
    assert.equal(b.runSummary!.completedRunCount, 500);
    const entries = await allEntries(ok.id!);
    assert.equal(entries.length, 500);
    assert.equal(new Set(entries.map((e) => e.runId)).size, 500);
    assert.deepEqual(entries.slice(0, 3).map((e) => e.runSettingId), ['sample-0', 'sample-1', 'sample-2']);

    const fs = await import('node:fs');
    const cases: [string, string, string | RegExp][] = [
      ['bad.json', '[{"runSettingId":"a"},{"runSettingId":', 'Invalid JSON format in run configurations'],
      ['object.json', '{"runSettingId":"a"}', 'Invalid JSON format in run configurations'],
      ['scalars.json', '[1,2]', 'Invalid JSON format in run configurations'],
      ['empty.json', '[]', /0 runs/],
    ];
    for (const [name, content, reason] of cases) {
      fs.writeFileSync(path.join(dir, name), content);
      await s3cp(path.join(dir, name), `s3://settings/${name}`, server.dataDir);
      const r = await client.send(new StartRunBatchCommand({ defaultRunSetting: defaults(), batchRunSettings: { s3UriSettings: `s3://settings/${name}` } }));
      const f = await until(r.id!, ['FAILED']);
      if (typeof reason === 'string') assert.equal(f.failureReason, reason, name);
      else assert.match(f.failureReason!, reason, name);
    }

    const big = path.join(dir, 'big.json');
    writeSettingsFile(big, 100_001, (i) => ({ runSettingId: `r${i}` }));
    await s3cp(big, 's3://settings/big.json', server.dataDir);
    const tooMany = await client.send(new StartRunBatchCommand({ defaultRunSetting: defaults(), batchRunSettings: { s3UriSettings: 's3://settings/big.json' } }));
    const f = await until(tooMany.id!, ['FAILED'], 30000);
    assert.equal(f.failureReason, 'Batch has 100001 runs but 100000 runs is the max.');
    assert.equal((await client.send(new ListRunsCommand({ batchId: tooMany.id }))).items!.length, 0);
  });
});

describe('cancel and delete', () => {
  test('cancel during SUBMITTING stops submission and cancels the runs started', async () => {
    const s = await startServer(['--sim-run-ms', '60000', '--start-run-rate', '5', '--start-run-burst', '1']);
    try {
      const wf = await createWorkflow(s.client);
      const res = await s.client.send(new StartRunBatchCommand({
        defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://o/', parameters: { msg: 'm' } },
        batchRunSettings: { inlineSettings: Array.from({ length: 50 }, (_, i) => ({ runSettingId: `c${i}` })) },
      }));
      await waitBatch(s.client, res.id!, (b) => b.status === 'SUBMITTING' && b.submissionSummary!.successfulStartSubmissionCount! >= 3, 15000, 'some runs submitted');
      const cancel = await s.client.send(new CancelRunBatchCommand({ batchId: res.id }));
      assert.equal(cancel.$metadata.httpStatusCode, 202);
      await assert.rejects(s.client.send(new CancelRunBatchCommand({ batchId: res.id })), ConflictException);
      const b = await waitBatchStatus(s.client, res.id!, ['CANCELLED'], 15000);
      const started = b.submissionSummary!.successfulStartSubmissionCount!;
      assert.ok(started >= 3 && started < 50);
      assert.equal(b.submissionSummary!.pendingStartSubmissionCount, 0);
      assert.equal(b.submissionSummary!.successfulCancelSubmissionCount, started);
      assert.equal(b.submissionSummary!.failedCancelSubmissionCount, 0);
      assert.equal(b.runSummary!.cancelledRunCount, started);
      const runs = await s.client.send(new ListRunsCommand({ batchId: res.id }));
      assert.equal(runs.items!.length, started, 'no run is created after the cancel');
      assert.ok(runs.items!.every((r) => r.status === 'CANCELLED'));
      const entries = await s.client.send(new ListRunsInBatchCommand({ batchId: res.id, submissionStatus: 'CANCEL_SUCCESS' }));
      assert.equal(entries.runs!.length, started);
      await sleep(500);
      assert.equal((await s.client.send(new ListRunsCommand({ batchId: res.id }))).items!.length, started);
      await assert.rejects(s.client.send(new DeleteBatchCommand({ batchId: '1' + res.id })), ResourceNotFoundException);
    } finally {
      await s.stop();
    }
  });

  test('cancel during INPROGRESS, then DeleteRunBatch and DeleteBatch', async () => {
    const res = await client.send(new StartRunBatchCommand({
      defaultRunSetting: { ...defaults(), parameters: { msg: 'm', __omicsd_simulate: { runningMs: 60000 } } },
      batchRunSettings: { inlineSettings: [{ runSettingId: 'a' }, { runSettingId: 'b' }, { runSettingId: 'c', parameters: { __omicsd_simulate: { runningMs: 0 } } }] },
    }));
    await waitBatch(client, res.id!, (b) => b.status === 'INPROGRESS' && b.runSummary!.completedRunCount === 1, 15000, 'INPROGRESS with one run done');
    await assert.rejects(client.send(new DeleteRunBatchCommand({ batchId: res.id })), ConflictException);
    await assert.rejects(client.send(new DeleteBatchCommand({ batchId: res.id })), ConflictException);
    // Concurrent cancels: exactly one is accepted.
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => client.send(new CancelRunBatchCommand({ batchId: res.id }))));
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    assert.ok(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason instanceof ConflictException));
    const b = await until(res.id!, ['CANCELLED']);
    assert.equal(b.submissionSummary!.successfulCancelSubmissionCount, 2);
    assert.equal(b.runSummary!.cancelledRunCount, 2);
    assert.equal(b.runSummary!.completedRunCount, 1);
    const done = (await allEntries(res.id!)).find((e) => e.runSettingId === 'c')!;
    assert.equal(done.submissionStatus, 'SUCCESS', 'a run already finished is left alone');

    await client.send(new DeleteRunBatchCommand({ batchId: res.id }));
    const d = await until(res.id!, ['RUNS_DELETED', 'RUNS_DELETE_FAILED']);
    assert.equal(d.status, 'RUNS_DELETED');
    assert.equal(d.submissionSummary!.successfulDeleteSubmissionCount, 3);
    assert.equal(d.submissionSummary!.failedDeleteSubmissionCount, 0);
    assert.equal(d.runSummary!.deletedRunCount, 3);
    const entries = await allEntries(res.id!);
    assert.ok(entries.every((e) => e.submissionStatus === 'DELETE_SUCCESS'));
    await assert.rejects(client.send(new GetRunCommand({ id: entries[0].runId })), ResourceNotFoundException);
    assert.equal((await client.send(new ListRunsCommand({ batchId: res.id }))).items!.length, 0);

    const del = await client.send(new DeleteBatchCommand({ batchId: res.id }));
    assert.equal(del.$metadata.httpStatusCode, 202);
    await assert.rejects(getBatch(client, res.id!), ResourceNotFoundException);
    await assert.rejects(client.send(new ListRunsInBatchCommand({ batchId: res.id })), ResourceNotFoundException);
    await assert.rejects(client.send(new CancelRunBatchCommand({ batchId: res.id })), ResourceNotFoundException);
    const listed = (await client.send(new ListBatchCommand({}))).items!.map((i) => i.id);
    assert.ok(!listed.includes(res.id));
  });

  test('DeleteBatch removes only the batch record: its runs remain', async () => {
    const res = await client.send(new StartRunBatchCommand({ defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: [{ runSettingId: 'keep' }] } }));
    await until(res.id!, ['PROCESSED']);
    const [entry] = await allEntries(res.id!);
    await client.send(new DeleteBatchCommand({ batchId: res.id }));
    const run = await client.send(new GetRunCommand({ id: entry.runId }));
    assert.equal(run.status, 'COMPLETED');
    assert.equal(run.batchId, res.id);
  });

  test('a cancel right after acceptance ends CANCELLED, and every run submitted before it is walked by the cancel', async () => {
    const res = await client.send(new StartRunBatchCommand({ defaultRunSetting: defaults(), batchRunSettings: { inlineSettings: [{ runSettingId: 'z' }] } }));
    const b0 = await getBatch(client, res.id!);
    if (!['CREATING', 'PENDING'].includes(b0.status!)) return; // submitted already: covered by the other cases
    // The cancel may still land after the entry was submitted (the batch moves on meanwhile): then
    // the run it created must have been walked by the cancel; from PENDING there is none.
    const accepted = await client.send(new CancelRunBatchCommand({ batchId: res.id })).then(() => true, () => false);
    const b = await until(res.id!, ['CANCELLED', 'PROCESSED']);
    if (!accepted) return;
    assert.equal(b.status, 'CANCELLED');
    const s = b.submissionSummary;
    if (!s) {
      // Cancelled before its run list was read: no summary, and nothing was submitted.
      assert.equal((await client.send(new ListRunsInBatchCommand({ batchId: res.id }))).runs?.length ?? 0, 0);
      return;
    }
    assert.equal(s.successfulStartSubmissionCount ?? 0, (s.successfulCancelSubmissionCount ?? 0) + (s.failedCancelSubmissionCount ?? 0));
  });
});

describe('listing', () => {
  test('ListBatch paginates with each filter; one filter per call; tokens are checked', async () => {
    const group = await client.send(new CreateRunGroupCommand({ name: 'g' }));
    const name = `list-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await client.send(new StartRunBatchCommand({ batchName: name, defaultRunSetting: { ...defaults(), runGroupId: group.id }, batchRunSettings: { inlineSettings: [{ runSettingId: `x${i}` }] } }));
      ids.push(r.id!);
    }
    const seen: string[] = [];
    for await (const page of paginateListBatch({ client, pageSize: 2 }, { name })) {
      assert.ok(page.items!.length <= 2);
      seen.push(...page.items!.map((i) => i.id!));
    }
    assert.deepEqual(seen, [...ids].reverse(), 'newest first, every batch once');
    const byGroup = await client.send(new ListBatchCommand({ runGroupId: group.id }));
    assert.deepEqual(byGroup.items!.map((i) => i.id).sort(), [...ids].sort());
    const item = byGroup.items![0];
    assert.equal(item.workflowId, workflowId);
    assert.ok(item.createdAt instanceof Date);
    await until(ids[4], ['PROCESSED']);
    const processed = await client.send(new ListBatchCommand({ status: 'PROCESSED', maxItems: 100 }));
    assert.ok(processed.items!.every((i) => i.status === 'PROCESSED'));
    assert.ok(processed.items!.some((i) => i.id === ids[4]));

    await assert.rejects(client.send(new ListBatchCommand({ name, status: 'PROCESSED' })), ValidationException);
    await assert.rejects(client.send(new ListBatchCommand({ maxItems: 101 })), ValidationException);
    await assert.rejects(client.send(new ListBatchCommand({ maxItems: 0 })), ValidationException);
    const first = await client.send(new ListBatchCommand({ name, maxItems: 2 }));
    assert.ok(first.nextToken);
    await assert.rejects(client.send(new ListBatchCommand({ name, maxItems: 2, startingToken: first.nextToken!.slice(0, -2) + 'xx' })), ValidationException);
    await assert.rejects(client.send(new ListBatchCommand({ status: 'PROCESSED', startingToken: first.nextToken })), ValidationException, 'a token is bound to its filters');
    await assert.rejects(client.send(new ListRunsInBatchCommand({ batchId: ids[0], startingToken: first.nextToken })), ValidationException, 'and to its operation');
    await assert.rejects(client.send(new ListRunsInBatchCommand({ batchId: ids[0], runId: '1', runSettingId: 'x' })), ValidationException);
    await assert.rejects(client.send(new ListRunsInBatchCommand({ batchId: ids[0], submissionStatus: 'NOPE' as any })), ValidationException);
    await assert.rejects(getBatch(client, 'abc'), ValidationException);
    await assert.rejects(getBatch(client, '9'.repeat(19)), ValidationException);
    await assert.rejects(getBatch(client, '999999999'), ResourceNotFoundException);
  });
});

describe('settings file changed during submission', () => {
  test('the batch fails with both ETags; runs already created remain', async () => {
    const s = await startServer(['--sim-run-ms', '0', '--start-run-rate', '10', '--start-run-burst', '1']);
    try {
      const wf = await createWorkflow(s.client);
      const file = path.join(tempDir(), 'settings.json');
      writeSettingsFile(file, 200, (i) => ({ runSettingId: `m${i}` }));
      const first = /ETag (\S+)/.exec(await s3cp(file, 's3://settings/moving.json', s.dataDir))![1];
      const res = await s.client.send(new StartRunBatchCommand({
        defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://o/', parameters: { msg: 'm' } },
        batchRunSettings: { s3UriSettings: 's3://settings/moving.json' },
      }));
      await waitBatch(s.client, res.id!, (b) => submitted(b) >= 3, 15000, 'submission under way');
      writeSettingsFile(file, 200, (i) => ({ runSettingId: `changed${i}` }));
      const second = /ETag (\S+)/.exec(await s3cp(file, 's3://settings/moving.json', s.dataDir))![1];
      const b = await waitBatchStatus(s.client, res.id!, ['FAILED'], 15000);
      assert.equal(b.failureReason, `Expected s3UriConfigs etag: ${first} but was: ${second}. s3UriConfigs have changed since calling StartRunBatch`);
      const made = b.submissionSummary!.successfulStartSubmissionCount!;
      assert.ok(made >= 3 && made < 200, `${made} runs created before the change`);
      const runs = await s.client.send(new ListRunsCommand({ batchId: res.id, maxResults: 100 }));
      assert.equal(runs.items!.length, made);
      const entries = await s.client.send(new ListRunsInBatchCommand({ batchId: res.id, maxItems: 100 }));
      assert.ok(entries.runs!.every((e) => /^m[0-9]+$/.test(e.runSettingId!)), 'only entries of the original file were submitted');
    } finally {
      await s.stop();
    }
  });
});
