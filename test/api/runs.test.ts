// Runs and tasks through the SDK: docs/runs.md (StartRun, status machine, parameter
// validation, GetRun, CancelRun, DeleteRun, ListRuns), (tasks), (pagination).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelRunCommand,
  ConflictException,
  CreateConfigurationCommand,
  CreateRunCacheCommand,
  CreateWorkflowVersionCommand,
  waitUntilWorkflowVersionActive,
  CreateRunGroupCommand,
  DeleteRunCommand,
  GetRunCommand,
  GetRunTaskCommand,
  ListRunsCommand,
  ListRunTasksCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  StartRunCommand,
  ValidationException,
  paginateListRuns,
  paginateListRunTasks,
  waitUntilRunCompleted,
  type RunListItem,
} from '@aws-sdk/client-omics';
import { ROLE } from '../support/client.js';
import { startServer, type RunningServer } from '../support/server.js';
import { QUICK_WAITER, sleep } from '../support/wait.js';
import { cwlZip } from '../support/workflows.js';
import {
  activeWorkflow,
  arnOf,
  DIGITS,
  expectError,
  LONG,
  OUT,
  runInput,
  startRun,
  uniq,
  UUID,
  waitCompleted,
  waitStatus,
} from './helpers.js';

let srv: RunningServer;
let wf: string;
before(async () => {
  srv = await startServer(['--sim-run-ms', '150']);
  wf = await activeWorkflow(srv.client);
});
after(async () => {
  assert.equal(await srv.stop(), 0);
});

const ORDER = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED'];

describe('StartRun / GetRun / waitUntilRunCompleted', () => {
  test('a run starts PENDING, walks the status machine in order and completes', async () => {
    const name = uniq('run-basic');
    const params = { msg: 'hello', n: 3 };
    const started = await srv.client.send(
      new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: OUT, name, parameters: params, tags: { k: 'v' } }),
    );
    assert.equal(started.$metadata.httpStatusCode, 201);
    assert.match(started.id!, DIGITS);
    assert.equal(started.arn, arnOf('run', started.id!));
    assert.equal(started.status, 'PENDING');
    assert.match(started.uuid!, UUID);
    assert.deepEqual(started.tags, { k: 'v' });
    // runOutputUri is {outputUri} + run id (docs/runs.md).
    assert.equal(typeof started.runOutputUri, 'string');
    assert.ok(started.runOutputUri!.startsWith(OUT), started.runOutputUri);
    assert.ok(started.runOutputUri!.includes(started.id!), started.runOutputUri);

    // Watch the statuses: each observed one must come at or after the previous in the machine.
    const seen: string[] = [];
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const s = (await srv.client.send(new GetRunCommand({ id: started.id }))).status!;
      if (seen.at(-1) !== s) seen.push(s);
      if (s === 'COMPLETED') break;
    }
    assert.equal(seen.at(-1), 'COMPLETED', `statuses seen: ${seen}`);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(ORDER.indexOf(seen[i]) > ORDER.indexOf(seen[i - 1]), `status went ${seen[i - 1]} → ${seen[i]} (${seen})`);
    }

    const done = await waitCompleted(srv.client, started.id!);
    const r = done.reason!;
    assert.equal(r.id, started.id);
    assert.equal(r.arn, started.arn);
    assert.equal(r.uuid, started.uuid);
    assert.equal(r.status, 'COMPLETED');
    assert.equal(r.workflowId, wf);
    assert.equal(r.workflowType, 'PRIVATE');
    assert.equal(r.roleArn, ROLE);
    assert.equal(r.name, name);
    assert.deepEqual(r.parameters, params);
    assert.equal(r.outputUri, OUT);
    assert.equal(r.runOutputUri, started.runOutputUri);
    assert.deepEqual(r.tags, { k: 'v' });
    assert.equal(r.retentionMode, 'RETAIN');
    assert.equal(r.storageType, 'STATIC');
    assert.equal(r.storageCapacity, 1200);
    assert.equal(r.networkingMode, 'RESTRICTED');
    assert.equal(r.failureReason, undefined);
    assert.ok(r.creationTime instanceof Date && r.startTime instanceof Date && r.stopTime instanceof Date);
    assert.ok(r.creationTime <= r.startTime && r.startTime <= r.stopTime, `${r.creationTime} ≤ ${r.startTime} ≤ ${r.stopTime}`);
  });

  test('a simulated FAILED run ends FAILED with its failureReason; the waiter reports FAILURE', async () => {
    const { id } = await startRun(srv.client, wf, {
      parameters: { msg: 'x', __omicsd_simulate: { outcome: 'FAILED', runningMs: 50, failureReason: 'Simulated OOM' } },
    });
    await assert.rejects(waitUntilRunCompleted({ client: srv.client, maxWaitTime: 10, ...QUICK_WAITER }, { id }), /FAILURE|FAILED/);
    const r = await srv.client.send(new GetRunCommand({ id }));
    assert.equal(r.status, 'FAILED');
    assert.equal(r.failureReason, 'Simulated OOM');
    assert.equal(typeof r.statusMessage, 'string');
    assert.ok(r.statusMessage!.length > 0, 'statusMessage set on FAILED');
    assert.ok(r.stopTime instanceof Date);
  });

  test('optional StartRun members are stored and echoed by GetRun', async () => {
    // Every reference names a record that exists (unknown ones are refused: test/api/workflow-resources.test.ts).
    await srv.client.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: 'v1', definitionZip: cwlZip(), requestId: uniq('req') }));
    assert.equal((await waitUntilWorkflowVersionActive({ client: srv.client, maxWaitTime: 20, ...QUICK_WAITER }, { workflowId: wf, versionName: 'v1' })).state, 'SUCCESS');
    const cache = await srv.client.send(new CreateRunCacheCommand({ cacheS3Location: 's3://omicsd-test/cache/', requestId: uniq('req') }));
    const configurationName = uniq('cfg');
    await srv.client.send(new CreateConfigurationCommand({ name: configurationName, runConfigurations: {}, requestId: uniq('req') }));
    const { id } = await startRun(srv.client, wf, {
      priority: 5, logLevel: 'ALL', storageType: 'DYNAMIC', retentionMode: 'REMOVE', cacheId: cache.id, cacheBehavior: 'CACHE_ALWAYS',
      networkingMode: 'VPC', configurationName, workflowVersionName: 'v1', workflowOwnerId: '123456789012',
    });
    const r = await srv.client.send(new GetRunCommand({ id }));
    assert.equal(r.priority, 5);
    assert.equal(r.logLevel, 'ALL');
    assert.equal(r.storageType, 'DYNAMIC');
    assert.equal(r.retentionMode, 'REMOVE');
    assert.equal(r.cacheId, cache.id);
    assert.equal(r.cacheBehavior, 'CACHE_ALWAYS');
    assert.equal(r.networkingMode, 'VPC');
    assert.equal(r.configuration?.name, configurationName);
    assert.match(r.configuration?.uuid ?? '', UUID);
    assert.equal(r.workflowVersionName, 'v1');
    assert.equal(r.workflowOwnerId, '123456789012');
    const listed = (await srv.client.send(new ListRunsCommand({ name: r.name }))).items![0];
    assert.equal(listed.priority, 5);
    assert.equal(listed.storageType, 'DYNAMIC');
    assert.equal(listed.workflowVersionName, 'v1');
  });

  test('GetRun with export=DEFINITION returns the definition', async () => {
    const { id } = await startRun(srv.client, wf);
    const r = await srv.client.send(new GetRunCommand({ id, export: ['DEFINITION'] }));
    assert.equal(typeof r.definition, 'string', 'definition returned when exported');
    assert.ok(r.definition!.length >= 1);
  });

  test('GetRun: malformed id → ValidationException, unknown id → ResourceNotFoundException', async () => {
    await expectError(srv.client.send(new GetRunCommand({ id: 'abc' })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new GetRunCommand({ id: '9'.repeat(19) })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new GetRunCommand({ id: '987654321' })), ResourceNotFoundException, 404, /987654321/);
    await expectError(srv.client.send(new GetRunCommand({ id: '987654321', export: ['README' as any] })), ValidationException, 400, /export/);
  });
});

describe('StartRun validation', () => {
  const send = (input: object) => srv.client.send(new StartRunCommand(input as any));

  test('required members', async () => {
    const { roleArn, ...noRole } = runInput(wf);
    await expectError(send(noRole), ValidationException, 400, /roleArn/);
    const { outputUri, ...noOut } = runInput(wf);
    await expectError(send(noOut), ValidationException, 400, /outputUri/);
    const { workflowId, ...noWf } = runInput(wf);
    await expectError(send(noWf), ValidationException, 400, /workflowId/);
  });

  test('lengths, patterns, ranges and enums', async () => {
    await expectError(send(runInput('abc')), ValidationException, 400, /workflowId/);
    await expectError(send(runInput(wf, { name: 'n'.repeat(129) })), ValidationException, 400, /name/);
    await expectError(send(runInput(wf, { outputUri: '/tmp/out' })), ValidationException, 400, /outputUri/);
    await expectError(send(runInput(wf, { outputUri: 'https://example.com/out' })), ValidationException, 400, /outputUri/);
    await expectError(send(runInput(wf, { roleArn: 'not-an-arn' })), ValidationException, 400, /roleArn/);
    await expectError(send(runInput(wf, { logLevel: 'VERBOSE' as any })), ValidationException, 400, /logLevel/);
    await expectError(send(runInput(wf, { retentionMode: 'FOREVER' as any })), ValidationException, 400, /retentionMode/);
    await expectError(send(runInput(wf, { storageType: 'TAPE' as any })), ValidationException, 400, /storageType/);
    await expectError(send(runInput(wf, { workflowType: 'PUBLIC' as any })), ValidationException, 400, /workflowType/);
    await expectError(send(runInput(wf, { priority: 100001 })), ValidationException, 400, /priority/);
    await expectError(send(runInput(wf, { priority: -1 })), ValidationException, 400, /priority/);
    await expectError(send(runInput(wf, { storageCapacity: 100001 })), ValidationException, 400, /storageCapacity/);
    await expectError(send(runInput(wf, { runGroupId: 'group-1' })), ValidationException, 400, /runGroupId/);
    await expectError(send(runInput(wf, { requestId: 'r'.repeat(129) })), ValidationException, 400, /requestId/);
    await expectError(send(runInput(wf, { workflowOwnerId: '123' })), ValidationException, 400, /workflowOwnerId/);
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    await expectError(send(runInput(wf, { tags: tooMany })), ValidationException, 400, /tags/);
  });

  test('parameters are checked against the workflow template', async () => {
    await expectError(send(runInput(wf, { parameters: { n: 1 } })), ValidationException, 400, /msg/);
    await expectError(send(runInput(wf, { parameters: {} })), ValidationException, 400, /msg/);
    await expectError(send(runInput(wf, { parameters: { msg: 'x', bogus: 1 } })), ValidationException, 400, /bogus/);
    // The optional parameter may be left out; the simulate hook is exempt from the check.
    const ok = await startRun(srv.client, wf, { parameters: { msg: 'x', __omicsd_simulate: { outcome: 'COMPLETED', runningMs: 10 } } });
    assert.equal(ok.status, 'PENDING');
  });

  test('unknown workflow or run group → ResourceNotFoundException', async () => {
    await expectError(send(runInput('987654321')), ResourceNotFoundException, 404);
    await expectError(send(runInput(wf, { runGroupId: '987654321' })), ResourceNotFoundException, 404);
  });

  test('requestId: same body → same run, no second run; different body → ConflictException', async () => {
    const input = runInput(wf, { requestId: uniq('req'), name: uniq('run-idem') });
    const a = await srv.client.send(new StartRunCommand(input));
    const b = await srv.client.send(new StartRunCommand(input));
    assert.equal(b.id, a.id);
    assert.equal(b.arn, a.arn);
    assert.equal(b.uuid, a.uuid);
    const listed = await srv.client.send(new ListRunsCommand({ name: input.name }));
    assert.deepEqual(listed.items?.map((r) => r.id), [a.id]);

    await expectError(
      srv.client.send(new StartRunCommand({ ...input, parameters: { msg: 'something else' } })),
      ConflictException,
      409,
      /requestId/,
    );
    const after = await srv.client.send(new ListRunsCommand({ name: input.name }));
    assert.equal(after.items?.length, 1);
  });

  test('runId duplicates an existing run with its values as defaults', async () => {
    const src = await startRun(srv.client, wf, { parameters: { msg: 'original', n: 7 } });
    const dup = await srv.client.send(new StartRunCommand({ runId: src.id, roleArn: ROLE, outputUri: OUT }));
    assert.notEqual(dup.id, src.id);
    const r = await srv.client.send(new GetRunCommand({ id: dup.id }));
    assert.equal(r.runId, src.id);
    assert.equal(r.workflowId, wf);
    assert.deepEqual(r.parameters, { msg: 'original', n: 7 });
    await expectError(srv.client.send(new StartRunCommand({ runId: '987654321', roleArn: ROLE, outputUri: OUT })), ResourceNotFoundException, 404);
  });
});

describe('CancelRun / DeleteRun', () => {
  test('RUNNING → CANCELLED; a second cancel and cancelling a finished run are conflicts', async () => {
    const { id } = await startRun(srv.client, wf, { parameters: LONG() });
    await waitStatus(srv.client, id!, 'RUNNING');
    await expectError(srv.client.send(new DeleteRunCommand({ id })), ConflictException, 409);

    const c = await srv.client.send(new CancelRunCommand({ id }));
    assert.equal(c.$metadata.httpStatusCode, 202);
    const r = await waitStatus(srv.client, id!, 'CANCELLED');
    assert.ok(r.stopTime instanceof Date, 'stopTime set when cancelled');
    await expectError(srv.client.send(new CancelRunCommand({ id })), ConflictException, 409);
    // Stays cancelled (the executor must not finish it later).
    await sleep(300);
    assert.equal((await srv.client.send(new GetRunCommand({ id }))).status, 'CANCELLED');

    const d = await srv.client.send(new DeleteRunCommand({ id }));
    assert.equal(d.$metadata.httpStatusCode, 202);
    await expectError(srv.client.send(new GetRunCommand({ id })), ResourceNotFoundException, 404);
  });

  test('a run cancelled right after StartRun (PENDING/STARTING) ends CANCELLED', async () => {
    const { id } = await startRun(srv.client, wf, { parameters: LONG() });
    await srv.client.send(new CancelRunCommand({ id }));
    await waitStatus(srv.client, id!, 'CANCELLED');
  });

  test('completed runs cannot be cancelled; DeleteRun removes them from GetRun and ListRuns', async () => {
    const { id } = await startRun(srv.client, wf, { name: uniq('run-del') });
    await waitCompleted(srv.client, id!);
    await expectError(srv.client.send(new CancelRunCommand({ id })), ConflictException, 409);
    const name = (await srv.client.send(new GetRunCommand({ id }))).name;

    await srv.client.send(new DeleteRunCommand({ id }));
    await expectError(srv.client.send(new GetRunCommand({ id })), ResourceNotFoundException, 404);
    const listed = await srv.client.send(new ListRunsCommand({ name }));
    assert.deepEqual(listed.items ?? [], []);
    const deleted = await srv.client.send(new ListRunsCommand({ status: 'DELETED' }));
    assert.deepEqual(deleted.items ?? [], [], 'ListRuns status=DELETED returns none (docs/runs.md)');
    await expectError(srv.client.send(new DeleteRunCommand({ id })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new CancelRunCommand({ id })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new ListRunTasksCommand({ id })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new ListTagsForResourceCommand({ resourceArn: arnOf('run', id!) })), ResourceNotFoundException, 404);
  });

  test('FAILED runs can be deleted', async () => {
    const { id } = await startRun(srv.client, wf, { parameters: { msg: 'x', __omicsd_simulate: { outcome: 'FAILED', runningMs: 10 } } });
    await waitStatus(srv.client, id!, 'FAILED');
    await srv.client.send(new DeleteRunCommand({ id }));
    await expectError(srv.client.send(new GetRunCommand({ id })), ResourceNotFoundException, 404);
  });

  test('malformed and unknown ids', async () => {
    await expectError(srv.client.send(new CancelRunCommand({ id: 'abc' })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new DeleteRunCommand({ id: 'abc' })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new CancelRunCommand({ id: '987654321' })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new DeleteRunCommand({ id: '987654321' })), ResourceNotFoundException, 404);
  });
});

describe('ListRuns', () => {
  test('filters: name, status, runGroupId, batchId; the paginator reaches the end', async () => {
    const prefix = uniq('run-list');
    const group = await srv.client.send(new CreateRunGroupCommand({ name: uniq('rg-list') }));
    const fast: string[] = [];
    for (let i = 0; i < 3; i++) fast.push((await startRun(srv.client, wf, { name: `${prefix}-fast-${i}`, runGroupId: group.id })).id!);
    const slow = (await startRun(srv.client, wf, { name: `${prefix}-slow`, parameters: LONG() })).id!;
    for (const id of fast) await waitCompleted(srv.client, id);
    await waitStatus(srv.client, slow, 'RUNNING');

    // name: exact match.
    const byName = await srv.client.send(new ListRunsCommand({ name: `${prefix}-fast-1` }));
    assert.equal(byName.$metadata.httpStatusCode, 200);
    assert.deepEqual(byName.items?.map((r) => r.id), [fast[1]]);
    const item = byName.items![0];
    assert.equal(item.arn, arnOf('run', fast[1]));
    assert.equal(item.status, 'COMPLETED');
    assert.equal(item.workflowId, wf);
    assert.equal(item.name, `${prefix}-fast-1`);
    assert.ok(item.creationTime instanceof Date && item.startTime instanceof Date && item.stopTime instanceof Date);
    assert.equal(item.batchId, undefined);

    // runGroupId.
    const inGroup = await srv.client.send(new ListRunsCommand({ runGroupId: group.id }));
    assert.deepEqual(inGroup.items?.map((r) => r.id).sort(), [...fast].sort());
    assert.equal((await srv.client.send(new GetRunCommand({ id: fast[0] }))).runGroupId, group.id);

    // status: the slow run is RUNNING, the fast ones are not.
    const running = await srv.client.send(new ListRunsCommand({ status: 'RUNNING', maxResults: 100 }));
    assert.ok(running.items!.every((r) => r.status === 'RUNNING'));
    assert.ok(running.items!.some((r) => r.id === slow));
    assert.ok(!running.items!.some((r) => fast.includes(r.id!)));
    const completed = await srv.client.send(new ListRunsCommand({ status: 'COMPLETED', runGroupId: group.id }));
    assert.equal(completed.items?.length, 3, 'filters combine with AND');

    // batchId of a batch that does not exist: accepted, no runs.
    const byBatch = await srv.client.send(new ListRunsCommand({ batchId: '987654321' }));
    assert.equal(byBatch.$metadata.httpStatusCode, 200);
    assert.deepEqual(byBatch.items ?? [], []);
    assert.equal(byBatch.nextToken, undefined);

    // The paginator, 2 per page, to the end.
    const all: RunListItem[] = [];
    let pages = 0;
    let lastToken: string | undefined = 'x';
    for await (const page of paginateListRuns({ client: srv.client, pageSize: 2 }, {})) {
      pages++;
      assert.ok((page.items?.length ?? 0) <= 2);
      all.push(...(page.items ?? []));
      lastToken = page.nextToken;
    }
    assert.equal(lastToken, undefined);
    const ids = all.map((r) => r.id!);
    assert.equal(new Set(ids).size, ids.length, 'no run listed twice');
    for (const id of [...fast, slow]) assert.ok(ids.includes(id), `run ${id} listed`);
    assert.ok(pages >= Math.ceil(ids.length / 2));

    await srv.client.send(new CancelRunCommand({ id: slow }));
  });

  test('filter and page-size validation', async () => {
    await expectError(srv.client.send(new ListRunsCommand({ maxResults: 0 })), ValidationException, 400, /maxResults/);
    await expectError(srv.client.send(new ListRunsCommand({ maxResults: 101 })), ValidationException, 400, /maxResults/);
    await expectError(srv.client.send(new ListRunsCommand({ status: 'EXPLODED' as any })), ValidationException, 400, /status/);
    await expectError(srv.client.send(new ListRunsCommand({ batchId: 'abc' })), ValidationException, 400, /batchId/);
    await expectError(srv.client.send(new ListRunsCommand({ batchId: '1'.repeat(19) })), ValidationException, 400, /batchId/);
    await expectError(srv.client.send(new ListRunsCommand({ runGroupId: '1'.repeat(19) })), ValidationException, 400, /runGroupId/);
    await expectError(srv.client.send(new ListRunsCommand({ name: 'n'.repeat(129) })), ValidationException, 400, /name/);
    await expectError(srv.client.send(new ListRunsCommand({ startingToken: 'bogus-token' })), ValidationException, 400, /startingToken|token/i);
  });
});

describe('ListRunTasks / GetRunTask', () => {
  test('a completed run has tasks; both operations agree and paginate', async () => {
    const { id } = await startRun(srv.client, wf);
    await waitCompleted(srv.client, id!);
    const list = await srv.client.send(new ListRunTasksCommand({ id }));
    assert.equal(list.$metadata.httpStatusCode, 200);
    assert.ok((list.items?.length ?? 0) >= 1, 'at least one task');
    const TASK_STATUS = new Set(['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'CANCELLED', 'FAILED']);
    for (const t of list.items!) {
      assert.match(t.taskId!, DIGITS);
      assert.ok(TASK_STATUS.has(t.status!), t.status);
      assert.ok(t.creationTime instanceof Date);
      if (t.cpus !== undefined) assert.ok(t.cpus >= 1);
      if (t.memory !== undefined) assert.ok(t.memory >= 1);
    }
    const first = list.items![0];
    const task = await srv.client.send(new GetRunTaskCommand({ id, taskId: first.taskId }));
    assert.equal(task.$metadata.httpStatusCode, 200);
    assert.equal(task.taskId, first.taskId);
    assert.equal(task.status, first.status);
    assert.equal(task.name, first.name);
    assert.equal(task.creationTime?.getTime(), first.creationTime?.getTime());

    const viaPaginator = [];
    for await (const page of paginateListRunTasks({ client: srv.client, pageSize: 1 }, { id })) viaPaginator.push(...(page.items ?? []));
    assert.deepEqual(viaPaginator.map((t) => t.taskId), list.items!.map((t) => t.taskId));

    const byStatus = await srv.client.send(new ListRunTasksCommand({ id, status: first.status }));
    assert.ok(byStatus.items!.some((t) => t.taskId === first.taskId));
    assert.ok(byStatus.items!.every((t) => t.status === first.status));
  });

  test('task errors: unknown run/task → 404, malformed ids / filters → 400', async () => {
    const { id } = await startRun(srv.client, wf);
    await waitCompleted(srv.client, id!);
    await expectError(srv.client.send(new ListRunTasksCommand({ id: '987654321' })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new GetRunTaskCommand({ id, taskId: '987654321' })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new GetRunTaskCommand({ id: '987654321', taskId: '1' })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new GetRunTaskCommand({ id, taskId: 'abc' })), ValidationException, 400, /taskId/);
    // A task id of another run is not found under this run.
    const other = await startRun(srv.client, wf);
    await waitCompleted(srv.client, other.id!);
    const otherTask = (await srv.client.send(new ListRunTasksCommand({ id: other.id }))).items![0].taskId!;
    const ownTasks = (await srv.client.send(new ListRunTasksCommand({ id }))).items!.map((t) => t.taskId);
    assert.ok(!ownTasks.includes(otherTask));
    await expectError(srv.client.send(new GetRunTaskCommand({ id, taskId: otherTask })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new ListRunTasksCommand({ id: 'abc' })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new ListRunTasksCommand({ id, status: 'DELETED' as any })), ValidationException, 400, /status/);
    await expectError(srv.client.send(new ListRunTasksCommand({ id, maxResults: 0 })), ValidationException, 400, /maxResults/);
    await expectError(srv.client.send(new ListRunTasksCommand({ id, maxResults: 101 })), ValidationException, 400, /maxResults/);
  });
});
