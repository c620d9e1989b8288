// Accounts (docs/security.md, "The caller's account"): with --credentials every request acts as the
// account of its access key, and one account can neither see nor touch another's workflows, run
// groups, runs, tasks, batches or tags — another account's id answers exactly like an id that does
// not exist. Client tokens, page tokens, the StartRun rate and the maximum-runs quota are per account.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelRunBatchCommand, CancelRunCommand, CreateRunGroupCommand, CreateWorkflowCommand, DeleteBatchCommand, DeleteRunBatchCommand,
  DeleteRunCommand, DeleteRunGroupCommand, DeleteWorkflowCommand, GetBatchCommand, GetRunCommand, GetRunGroupCommand, GetRunTaskCommand,
  GetWorkflowCommand, ListBatchCommand, ListRunGroupsCommand, ListRunsCommand, ListRunsInBatchCommand, ListRunTasksCommand,
  ListTagsForResourceCommand, ListWorkflowsCommand, StartRunBatchCommand, StartRunCommand, TagResourceCommand, UntagResourceCommand,
  UpdateRunGroupCommand, UpdateWorkflowCommand, type OmicsClient, type StartRunBatchCommandInput, type StartRunCommandInput,
} from '@aws-sdk/client-omics';
import { waitBatchStatus } from '../support/batches.js';
import { ROLE } from '../support/client.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlZip } from '../support/workflows.js';
import { assertAwsError, keyClient, sdkError, send, sign, writeCredentials, type Key } from './helpers.js';

const A: Key = { accessKeyId: 'AKIAACCOUNTA0000001', secretAccessKey: 'account-a/secret+0=', accountId: '111111111111' };
/** A second key of account A: a key is not an account. */
const A2: Key = { accessKeyId: 'AKIAACCOUNTA0000002', secretAccessKey: 'account-a-second-key', accountId: '111111111111' };
const B: Key = { accessKeyId: 'AKIAACCOUNTB0000001', secretAccessKey: 'account-b-secret', accountId: '222222222222' };

/** One definition zip for every workflow, so that two CreateWorkflow bodies can be byte-identical. */
const ZIP = cwlZip();
/** Ids that name nothing: same length as the real ones (1000001…), far above them. */
const UNKNOWN = '1999999';
const UNKNOWN_TASK = '1999998';
const LONG = { __omicsd_simulate: { runningMs: 600_000 } };
const QUICK = { __omicsd_simulate: { runningMs: 0 } };
const arnPrefix = (k: Key) => `arn:aws:omics:us-east-1:${k.accountId}:`;

/** A message with the given ids replaced, so that the answers about two ids can be compared. */
const shape = (message: string, ids: string[]) => ids.reduce((m, id) => m.split(id).join('<ID>'), message);

/**
 * `onA` (B's call about A's resource) fails exactly as `onUnknown` (the same call about an id that
 * does not exist): ResourceNotFoundException, 404, and the same message once the ids are blanked.
 */
async function notFoundLikeUnknown(what: string, onA: Promise<unknown>, aIds: string[], onUnknown: Promise<unknown>, unknownIds: string[]) {
  const [eA, eU] = await Promise.all([sdkError(onA), sdkError(onUnknown)]);
  assert.deepEqual([eA.name, eA.status], ['ResourceNotFoundException', 404], `${what}: ${eA.name} ${eA.status} ${eA.message}`);
  assert.deepEqual([eU.name, eU.status], ['ResourceNotFoundException', 404], `${what} (unknown id): ${eU.message}`);
  assert.equal(shape(eA.message, aIds), shape(eU.message, unknownIds), `${what}: another account's id answers like an unknown one`);
}

const runInput = (workflowId: string, o: Partial<StartRunCommandInput> = {}): StartRunCommandInput =>
  ({ workflowId, roleArn: ROLE, outputUri: 's3://acct-out/runs/', parameters: { msg: 'hi', ...LONG }, ...o });

const batchInput = (workflowId: string, o: Partial<StartRunBatchCommandInput> & { sim?: object; runGroupId?: string } = {}): StartRunBatchCommandInput => {
  const { sim = LONG, runGroupId, ...rest } = o;
  return {
    defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://acct-out/batches/', runGroupId, parameters: { msg: 'x', ...sim } },
    batchRunSettings: { inlineSettings: [{ runSettingId: 's1' }, { runSettingId: 's2' }] },
    ...rest,
  };
};

/** Every id a list returns, all pages. */
async function allIds(list: (token?: string) => Promise<{ ids: string[]; next?: string }>) {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await list(token);
    ids.push(...page.ids);
    token = page.next;
  } while (token);
  return ids;
}

describe('two accounts on one server', () => {
  let srv: RunningServer;
  let a: OmicsClient;
  let a2: OmicsClient;
  let b: OmicsClient;
  // A's resources.
  const ra = {} as {
    wf: string; wfArn: string; rg: string; rgArn: string; run: string; runArn: string; quickRun: string; task: string;
    batch: string; batchArn: string; doneBatch: string; doneBatchArn: string;
  };
  // B's resources: some with A's names, some made with A's client tokens.
  const rb = {} as {
    wf: string; wfArn: string; rg: string; run: string; task: string; batch: string;
    tokenWf: { id: string; arn: string }; tokenRg: { id: string; arn: string }; tokenRun: { id: string; arn: string }; tokenBatch: { id: string; arn: string };
  };
  const aCreated: Record<string, { id: string; arn: string }> = {};

  before(async () => {
    srv = await startServer(['--credentials', writeCredentials(tempDir('omicsd-accounts-'), [A, A2, B])]);
    [a, a2, b] = [keyClient(srv.url, A), keyClient(srv.url, A2), keyClient(srv.url, B)];

    // Account A: a workflow, a run group, runs, two batches, all tagged.
    const wf = await a.send(new CreateWorkflowCommand({ name: 'acct-wf', definitionZip: ZIP, requestId: 'shared-wf-token' }));
    ra.wf = wf.id!;
    ra.wfArn = wf.arn!;
    aCreated.wf = { id: wf.id!, arn: wf.arn! };
    await createWorkflow(a, { name: 'acct-wf', definitionZip: ZIP, requestId: 'shared-wf-token' }); // waits until ACTIVE (a replay)
    const rg = await a.send(new CreateRunGroupCommand({ name: 'acct-rg', maxRuns: 50, requestId: 'shared-rg-token' }));
    [ra.rg, ra.rgArn] = [rg.id!, rg.arn!];
    aCreated.rg = { id: rg.id!, arn: rg.arn! };
    const run = await a.send(new StartRunCommand(runInput(ra.wf, { name: 'acct-run', runGroupId: ra.rg, requestId: 'shared-run-token' })));
    [ra.run, ra.runArn] = [run.id!, run.arn!];
    aCreated.run = { id: run.id!, arn: run.arn! };
    ra.quickRun = (await a.send(new StartRunCommand(runInput(ra.wf, { name: 'acct-run-quick', parameters: { msg: 'q', ...QUICK }, requestId: 'a-quick' })))).id!;
    const batch = await a.send(new StartRunBatchCommand(batchInput(ra.wf, { batchName: 'acct-batch', runGroupId: ra.rg, requestId: 'shared-batch-token' })));
    [ra.batch, ra.batchArn] = [batch.id!, batch.arn!];
    aCreated.batch = { id: batch.id!, arn: batch.arn! };
    const done = await a.send(new StartRunBatchCommand(batchInput(ra.wf, { batchName: 'acct-batch-done', sim: QUICK, requestId: 'a-done-batch' })));
    [ra.doneBatch, ra.doneBatchArn] = [done.id!, done.arn!];
    for (const arn of [ra.wfArn, ra.rgArn, ra.runArn, ra.batchArn]) {
      await a.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: 'account-a', secret: 'a-only' } }));
    }

    // Account B: resources named like A's, and resources made with A's client tokens.
    rb.wf = await createWorkflow(b, { name: 'acct-wf', definitionZip: ZIP, requestId: 'b-own-wf' });
    rb.wfArn = (await b.send(new GetWorkflowCommand({ id: rb.wf }))).arn!;
    rb.rg = (await b.send(new CreateRunGroupCommand({ name: 'acct-rg', maxRuns: 50, requestId: 'b-own-rg' }))).id!;
    rb.run = (await b.send(new StartRunCommand(runInput(rb.wf, { name: 'acct-run', runGroupId: rb.rg, requestId: 'b-own-run' })))).id!;
    rb.batch = (await b.send(new StartRunBatchCommand(batchInput(rb.wf, { batchName: 'acct-batch', runGroupId: rb.rg, requestId: 'b-own-batch' })))).id!;
    // Byte-identical bodies to A's where the body names nothing of A's (workflow, run group); B's own workflow otherwise.
    const tw = await b.send(new CreateWorkflowCommand({ name: 'acct-wf', definitionZip: ZIP, requestId: 'shared-wf-token' }));
    rb.tokenWf = { id: tw.id!, arn: tw.arn! };
    const tg = await b.send(new CreateRunGroupCommand({ name: 'acct-rg', maxRuns: 50, requestId: 'shared-rg-token' }));
    rb.tokenRg = { id: tg.id!, arn: tg.arn! };
    const tr = await b.send(new StartRunCommand(runInput(rb.wf, { name: 'acct-run', requestId: 'shared-run-token' })));
    rb.tokenRun = { id: tr.id!, arn: tr.arn! };
    const tb = await b.send(new StartRunBatchCommand(batchInput(rb.wf, { batchName: 'acct-batch', requestId: 'shared-batch-token' })));
    rb.tokenBatch = { id: tb.id!, arn: tb.arn! };

    // Wait for the states the tests rely on: A's long run RUNNING with its task, A's batches submitted / processed.
    ra.task = await eventually(async () => (await a.send(new ListRunTasksCommand({ id: ra.run }))).items?.[0]?.taskId, 20_000, "A's run has a task");
    rb.task = await eventually(async () => (await b.send(new ListRunTasksCommand({ id: rb.run }))).items?.[0]?.taskId, 20_000, "B's run has a task");
    await eventually(async () => (await a.send(new GetRunCommand({ id: ra.quickRun }))).status === 'COMPLETED', 20_000, "A's quick run COMPLETED");
    await waitBatchStatus(a, ra.batch, ['INPROGRESS']);
    await waitBatchStatus(a, ra.doneBatch, ['PROCESSED']);
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  /** What A sees of its own resources; must not change when B acts on them. */
  async function snapshotA() {
    const wf = await a.send(new GetWorkflowCommand({ id: ra.wf }));
    const rg = await a.send(new GetRunGroupCommand({ id: ra.rg }));
    const run = await a.send(new GetRunCommand({ id: ra.run }));
    const quick = await a.send(new GetRunCommand({ id: ra.quickRun }));
    const batch = await a.send(new GetBatchCommand({ batchId: ra.batch }));
    const done = await a.send(new GetBatchCommand({ batchId: ra.doneBatch }));
    const tags = await Promise.all([ra.wfArn, ra.rgArn, ra.runArn, ra.batchArn].map(async (resourceArn) => (await a.send(new ListTagsForResourceCommand({ resourceArn }))).tags));
    return {
      wf: [wf.name, wf.status, wf.description, wf.storageType, wf.storageCapacity],
      rg: [rg.name, rg.maxRuns, rg.maxCpus, rg.maxDuration],
      run: [run.status, run.name], quick: [quick.status, quick.name],
      batch: [batch.status, batch.name, batch.submissionSummary?.successfulStartSubmissionCount, batch.runSummary?.cancelledRunCount],
      done: [done.status, done.runSummary?.deletedRunCount],
      tags,
    };
  }

  test('ARNs name the account that owns the resource; another key of the same account sees it', async () => {
    for (const [what, r] of Object.entries(aCreated)) assert.ok(r.arn.startsWith(arnPrefix(A)), `A's ${what}: ${r.arn}`);
    for (const [what, r] of Object.entries({ wf: rb.tokenWf, rg: rb.tokenRg, run: rb.tokenRun, batch: rb.tokenBatch })) {
      assert.ok(r.arn.startsWith(arnPrefix(B)), `B's ${what}: ${r.arn}`);
    }
    assert.equal((await a.send(new GetWorkflowCommand({ id: ra.wf }))).arn, `${arnPrefix(A)}workflow/${ra.wf}`);
    assert.equal((await a.send(new GetRunCommand({ id: ra.run }))).arn, `${arnPrefix(A)}run/${ra.run}`);
    assert.equal((await a.send(new GetRunGroupCommand({ id: ra.rg }))).arn, `${arnPrefix(A)}runGroup/${ra.rg}`);
    assert.equal((await a.send(new GetBatchCommand({ batchId: ra.batch }))).arn, `${arnPrefix(A)}runBatch/${ra.batch}`);
    const entries = (await a.send(new ListRunsInBatchCommand({ batchId: ra.batch }))).runs ?? [];
    assert.equal(entries.length, 2);
    for (const e of entries) assert.equal(e.runArn, `${arnPrefix(A)}run/${e.runId}`);
    for (const item of (await b.send(new ListRunsCommand({}))).items ?? []) assert.ok(item.arn!.startsWith(arnPrefix(B)), item.arn);
    assert.equal((await b.send(new GetRunCommand({ id: rb.run }))).arn, `${arnPrefix(B)}run/${rb.run}`);
    // A's second key is the same account: same resources, same ARNs.
    assert.equal((await a2.send(new GetWorkflowCommand({ id: ra.wf }))).arn, ra.wfArn);
    assert.equal((await a2.send(new GetBatchCommand({ batchId: ra.batch }))).arn, ra.batchArn);
    assert.deepEqual((await a2.send(new ListTagsForResourceCommand({ resourceArn: ra.runArn }))).tags, { owner: 'account-a', secret: 'a-only' });
  });

  test("B's reads of A's ids: ResourceNotFoundException, answered exactly as for an id that does not exist", async () => {
    await notFoundLikeUnknown('GetWorkflow', b.send(new GetWorkflowCommand({ id: ra.wf })), [ra.wf], b.send(new GetWorkflowCommand({ id: UNKNOWN })), [UNKNOWN]);
    await notFoundLikeUnknown('GetWorkflow workflowOwnerId=A', b.send(new GetWorkflowCommand({ id: ra.wf, workflowOwnerId: A.accountId })), [ra.wf],
      b.send(new GetWorkflowCommand({ id: UNKNOWN, workflowOwnerId: A.accountId })), [UNKNOWN]);
    await notFoundLikeUnknown('GetWorkflow export', b.send(new GetWorkflowCommand({ id: ra.wf, export: ['DEFINITION'] })), [ra.wf],
      b.send(new GetWorkflowCommand({ id: UNKNOWN, export: ['DEFINITION'] })), [UNKNOWN]);
    await notFoundLikeUnknown('GetRun', b.send(new GetRunCommand({ id: ra.run })), [ra.run], b.send(new GetRunCommand({ id: UNKNOWN })), [UNKNOWN]);
    await notFoundLikeUnknown('GetRunGroup', b.send(new GetRunGroupCommand({ id: ra.rg })), [ra.rg], b.send(new GetRunGroupCommand({ id: UNKNOWN })), [UNKNOWN]);
    await notFoundLikeUnknown('GetBatch', b.send(new GetBatchCommand({ batchId: ra.batch })), [ra.batch], b.send(new GetBatchCommand({ batchId: UNKNOWN })), [UNKNOWN]);
    await notFoundLikeUnknown('GetRunTask', b.send(new GetRunTaskCommand({ id: ra.run, taskId: ra.task })), [ra.run, ra.task],
      b.send(new GetRunTaskCommand({ id: UNKNOWN, taskId: UNKNOWN_TASK })), [UNKNOWN, UNKNOWN_TASK]);
    // A's task through B's own run: the task is not B's either.
    await notFoundLikeUnknown("GetRunTask on B's run", b.send(new GetRunTaskCommand({ id: rb.run, taskId: ra.task })), [ra.task],
      b.send(new GetRunTaskCommand({ id: rb.run, taskId: UNKNOWN_TASK })), [UNKNOWN_TASK]);
    await notFoundLikeUnknown('ListRunTasks', b.send(new ListRunTasksCommand({ id: ra.run })), [ra.run], b.send(new ListRunTasksCommand({ id: UNKNOWN })), [UNKNOWN]);
    await notFoundLikeUnknown('ListRunsInBatch', b.send(new ListRunsInBatchCommand({ batchId: ra.batch })), [ra.batch],
      b.send(new ListRunsInBatchCommand({ batchId: UNKNOWN })), [UNKNOWN]);
    await notFoundLikeUnknown('ListRunsInBatch runId filter', b.send(new ListRunsInBatchCommand({ batchId: ra.batch, runId: ra.run })), [ra.batch],
      b.send(new ListRunsInBatchCommand({ batchId: UNKNOWN, runId: ra.run })), [UNKNOWN]);
    // GetWorkflowDefinition (omicsd's own download behind export=DEFINITION), hand-signed as B.
    const definition = async (key: Key, id: string) => send(srv.url, await sign(srv.url, { method: 'GET', path: `/workflow/${id}/definition`, headers: {} }, key));
    const [defA, defU] = [await definition(B, ra.wf), await definition(B, UNKNOWN)];
    assertAwsError(defA, 'ResourceNotFoundException', 404);
    assertAwsError(defU, 'ResourceNotFoundException', 404);
    assert.equal(shape(defA.json.message, [ra.wf]), shape(defU.json.message, [UNKNOWN]));
    assert.equal((await definition(A, ra.wf)).status, 200);
    // And A, for contrast, gets them all.
    assert.equal((await a.send(new GetRunTaskCommand({ id: ra.run, taskId: ra.task }))).taskId, ra.task);
    // B's own task, through A's view: not found either.
    await notFoundLikeUnknown("GetRunTask of B's task by A", a.send(new GetRunTaskCommand({ id: rb.run, taskId: rb.task })), [rb.run, rb.task],
      a.send(new GetRunTaskCommand({ id: UNKNOWN, taskId: UNKNOWN_TASK })), [UNKNOWN, UNKNOWN_TASK]);
  });

  test("B's lists hold none of A's resources, whatever the filter", async () => {
    // Ids are numbered per resource type: A's ids of the listed type.
    const aIds = {
      ListWorkflows: new Set([ra.wf]), ListRunGroups: new Set([ra.rg]), ListBatch: new Set([ra.batch, ra.doneBatch]),
      ListRuns: new Set([ra.run, ra.quickRun, ...(await allIds(async (t) => {
        const p = await a.send(new ListRunsCommand({ startingToken: t }));
        return { ids: (p.items ?? []).map((i) => i.id!), next: p.nextToken };
      }))]),
    };
    assert.equal(aIds.ListRuns.size, 6, "A's runs: two of its own, two in each batch");
    const noneOfA = (what: string, ids: string[], expectB: string[] = []) => {
      const mine = aIds[what.split(' ')[0] as keyof typeof aIds];
      const leaked = ids.filter((id) => mine.has(id));
      assert.deepEqual(leaked, [], `${what}: A's ids in B's list`);
      for (const id of expectB) assert.ok(ids.includes(id), `${what}: B's own ${id} is listed`);
    };
    const wfs = (f: { name?: string }) => allIds(async (t) => {
      const p = await b.send(new ListWorkflowsCommand({ ...f, startingToken: t }));
      for (const i of p.items ?? []) assert.ok(i.arn!.startsWith(arnPrefix(B)), i.arn);
      return { ids: (p.items ?? []).map((i) => i.id!), next: p.nextToken };
    });
    const runs = (f: { name?: string; runGroupId?: string; batchId?: string; status?: any }) => allIds(async (t) => {
      const p = await b.send(new ListRunsCommand({ ...f, startingToken: t }));
      for (const i of p.items ?? []) assert.ok(i.arn!.startsWith(arnPrefix(B)), i.arn);
      return { ids: (p.items ?? []).map((i) => i.id!), next: p.nextToken };
    });
    const groups = (f: { name?: string }) => allIds(async (t) => {
      const p = await b.send(new ListRunGroupsCommand({ ...f, startingToken: t }));
      return { ids: (p.items ?? []).map((i) => i.id!), next: p.nextToken };
    });
    const batches = (f: { name?: string; status?: any; runGroupId?: string }) => allIds(async (t) => {
      const p = await b.send(new ListBatchCommand({ ...f, startingToken: t }));
      return { ids: (p.items ?? []).map((i) => i.id!), next: p.nextToken };
    });
    noneOfA('ListWorkflows', await wfs({}), [rb.wf, rb.tokenWf.id]);
    noneOfA('ListWorkflows name', await wfs({ name: 'acct-wf' }), [rb.wf]);
    noneOfA('ListRuns', await runs({}), [rb.run, rb.tokenRun.id]);
    noneOfA('ListRuns name', await runs({ name: 'acct-run' }), [rb.run]);
    noneOfA('ListRuns name (A only)', await runs({ name: 'acct-run-quick' }));
    assert.deepEqual(await runs({ batchId: ra.batch }), [], "ListRuns batchId=A's batch");
    assert.deepEqual(await runs({ batchId: ra.doneBatch }), [], "ListRuns batchId=A's processed batch");
    assert.deepEqual(await runs({ runGroupId: ra.rg }), [], "ListRuns runGroupId=A's group");
    noneOfA('ListRuns status RUNNING', await runs({ status: 'RUNNING' }), [rb.run]);
    noneOfA('ListRuns status COMPLETED', await runs({ status: 'COMPLETED' }));
    noneOfA('ListRunGroups', await groups({}), [rb.rg, rb.tokenRg.id]);
    noneOfA('ListRunGroups name', await groups({ name: 'acct-rg' }), [rb.rg]);
    noneOfA('ListBatch', await batches({}), [rb.batch, rb.tokenBatch.id]);
    noneOfA('ListBatch name', await batches({ name: 'acct-batch' }), [rb.batch]);
    noneOfA('ListBatch name (A only)', await batches({ name: 'acct-batch-done' }));
    assert.deepEqual(await batches({ runGroupId: ra.rg }), [], "ListBatch runGroupId=A's group");
    noneOfA('ListBatch status PROCESSED', await batches({ status: 'PROCESSED' }));
    noneOfA('ListBatch status INPROGRESS', await batches({ status: 'INPROGRESS' }));
    // And A's lists name A's resources (the filters do match something).
    assert.deepEqual(await allIds(async (t) => {
      const p = await a.send(new ListRunsCommand({ runGroupId: ra.rg, name: 'acct-run', startingToken: t }));
      return { ids: (p.items ?? []).map((i) => i.id!), next: p.nextToken };
    }), [ra.run]);
    const aBatches = (await a.send(new ListBatchCommand({ name: 'acct-batch' }))).items?.map((i) => i.id);
    assert.deepEqual(aBatches, [ra.batch]);
  });

  test("B's cancels, deletes and updates of A's resources: ResourceNotFoundException, and nothing changes", async () => {
    const before = await snapshotA();
    const same = (what: string, onA: Promise<unknown>, aId: string, onUnknown: Promise<unknown>) => notFoundLikeUnknown(what, onA, [aId], onUnknown, [UNKNOWN]);
    await same('CancelRun', b.send(new CancelRunCommand({ id: ra.run })), ra.run, b.send(new CancelRunCommand({ id: UNKNOWN })));
    await same('DeleteRun', b.send(new DeleteRunCommand({ id: ra.quickRun })), ra.quickRun, b.send(new DeleteRunCommand({ id: UNKNOWN })));
    await same('CancelRunBatch', b.send(new CancelRunBatchCommand({ batchId: ra.batch })), ra.batch, b.send(new CancelRunBatchCommand({ batchId: UNKNOWN })));
    await same('DeleteRunBatch', b.send(new DeleteRunBatchCommand({ batchId: ra.doneBatch })), ra.doneBatch, b.send(new DeleteRunBatchCommand({ batchId: UNKNOWN })));
    await same('DeleteBatch', b.send(new DeleteBatchCommand({ batchId: ra.doneBatch })), ra.doneBatch, b.send(new DeleteBatchCommand({ batchId: UNKNOWN })));
    await same('UpdateWorkflow', b.send(new UpdateWorkflowCommand({ id: ra.wf, name: 'hijacked', description: 'hijacked', storageCapacity: 9 })), ra.wf,
      b.send(new UpdateWorkflowCommand({ id: UNKNOWN, name: 'hijacked', description: 'hijacked', storageCapacity: 9 })));
    await same('DeleteWorkflow', b.send(new DeleteWorkflowCommand({ id: ra.wf })), ra.wf, b.send(new DeleteWorkflowCommand({ id: UNKNOWN })));
    await same('UpdateRunGroup', b.send(new UpdateRunGroupCommand({ id: ra.rg, name: 'hijacked', maxRuns: 1, maxCpus: 1 })), ra.rg,
      b.send(new UpdateRunGroupCommand({ id: UNKNOWN, name: 'hijacked', maxRuns: 1, maxCpus: 1 })));
    await same('DeleteRunGroup', b.send(new DeleteRunGroupCommand({ id: ra.rg })), ra.rg, b.send(new DeleteRunGroupCommand({ id: UNKNOWN })));
    assert.deepEqual(await snapshotA(), before, "A's resources are unchanged");
    assert.equal((await a.send(new GetRunCommand({ id: ra.run }))).status, 'RUNNING');
    assert.equal((await a.send(new GetBatchCommand({ batchId: ra.doneBatch }))).status, 'PROCESSED');
  });

  test("B's tagging of A's ARNs: ResourceNotFoundException, and A's tags stay", async () => {
    const before = await snapshotA();
    const arns: [string, string, string][] = [
      [ra.wfArn, `${arnPrefix(A)}workflow/${UNKNOWN}`, 'workflow'], [ra.rgArn, `${arnPrefix(A)}runGroup/${UNKNOWN}`, 'runGroup'],
      [ra.runArn, `${arnPrefix(A)}run/${UNKNOWN}`, 'run'], [ra.batchArn, `${arnPrefix(A)}runBatch/${UNKNOWN}`, 'runBatch'],
    ];
    for (const [arn, unknownArn, type] of arns) {
      await notFoundLikeUnknown(`TagResource ${type}`, b.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: 'b' } })), [arn],
        b.send(new TagResourceCommand({ resourceArn: unknownArn, tags: { owner: 'b' } })), [unknownArn]);
      await notFoundLikeUnknown(`UntagResource ${type}`, b.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['owner', 'secret'] })), [arn],
        b.send(new UntagResourceCommand({ resourceArn: unknownArn, tagKeys: ['owner', 'secret'] })), [unknownArn]);
      await notFoundLikeUnknown(`ListTagsForResource ${type}`, b.send(new ListTagsForResourceCommand({ resourceArn: arn })), [arn],
        b.send(new ListTagsForResourceCommand({ resourceArn: unknownArn })), [unknownArn]);
      // A's id under B's own account in the ARN names nothing either.
      const respelled = arn.replace(A.accountId, B.accountId);
      const unknownB = unknownArn.replace(A.accountId, B.accountId);
      await notFoundLikeUnknown(`ListTagsForResource ${type} (B's account, A's id)`, b.send(new ListTagsForResourceCommand({ resourceArn: respelled })), [respelled],
        b.send(new ListTagsForResourceCommand({ resourceArn: unknownB })), [unknownB]);
      await notFoundLikeUnknown(`TagResource ${type} (B's account, A's id)`, b.send(new TagResourceCommand({ resourceArn: respelled, tags: { owner: 'b' } })), [respelled],
        b.send(new TagResourceCommand({ resourceArn: unknownB, tags: { owner: 'b' } })), [unknownB]);
    }
    assert.deepEqual(await snapshotA(), before, "A's tags are unchanged");
    for (const [arn] of arns) assert.deepEqual((await a.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { owner: 'account-a', secret: 'a-only' });
  });

  test("B cannot start runs or batches from A's workflow or in A's run group", async () => {
    const bRunsBefore = (await b.send(new ListRunsCommand({}))).items?.length;
    const bBatchesBefore = (await b.send(new ListBatchCommand({}))).items?.length;
    await notFoundLikeUnknown("StartRun on A's workflow", b.send(new StartRunCommand(runInput(ra.wf))), [ra.wf],
      b.send(new StartRunCommand(runInput(UNKNOWN))), [UNKNOWN]);
    await notFoundLikeUnknown("StartRun on A's workflow, workflowOwnerId=A", b.send(new StartRunCommand(runInput(ra.wf, { workflowOwnerId: A.accountId }))), [ra.wf],
      b.send(new StartRunCommand(runInput(UNKNOWN, { workflowOwnerId: A.accountId }))), [UNKNOWN]);
    await notFoundLikeUnknown("StartRun in A's run group", b.send(new StartRunCommand(runInput(rb.wf, { runGroupId: ra.rg }))), [ra.rg],
      b.send(new StartRunCommand(runInput(rb.wf, { runGroupId: UNKNOWN }))), [UNKNOWN]);
    await notFoundLikeUnknown("StartRun repeating A's run (runId)", b.send(new StartRunCommand({ runId: ra.run, roleArn: ROLE, outputUri: 's3://acct-out/x/' })), [ra.run],
      b.send(new StartRunCommand({ runId: UNKNOWN, roleArn: ROLE, outputUri: 's3://acct-out/x/' })), [UNKNOWN]);
    await notFoundLikeUnknown("StartRunBatch on A's workflow", b.send(new StartRunBatchCommand(batchInput(ra.wf))), [ra.wf],
      b.send(new StartRunBatchCommand(batchInput(UNKNOWN))), [UNKNOWN]);
    await notFoundLikeUnknown("StartRunBatch in A's run group", b.send(new StartRunBatchCommand(batchInput(rb.wf, { runGroupId: ra.rg }))), [ra.rg],
      b.send(new StartRunBatchCommand(batchInput(rb.wf, { runGroupId: UNKNOWN }))), [UNKNOWN]);
    // Refused at once: nothing was created for B.
    assert.equal((await b.send(new ListRunsCommand({}))).items?.length, bRunsBefore);
    assert.equal((await b.send(new ListBatchCommand({}))).items?.length, bBatchesBefore);
    assert.deepEqual(await allIds(async (t) => {
      const p = await a.send(new ListRunsCommand({ runGroupId: ra.rg, startingToken: t }));
      return { ids: (p.items ?? []).map((i) => i.id!), next: p.nextToken };
    }).then((ids) => ids.filter((id) => id !== ra.run).length), 2, "A's group holds only A's runs (the run and the batch's two)");
  });

  test("client tokens are per account: A's requestId makes B's own resource, replayed per account", async () => {
    const pairs: [string, { id: string; arn: string }, { id: string; arn: string }][] = [
      ['workflow', aCreated.wf, rb.tokenWf], ['run group', aCreated.rg, rb.tokenRg], ['run', aCreated.run, rb.tokenRun], ['batch', aCreated.batch, rb.tokenBatch],
    ];
    for (const [what, ofA, ofB] of pairs) {
      assert.notEqual(ofB.id, ofA.id, `${what}: B got its own resource`);
      assert.ok(ofB.arn.startsWith(arnPrefix(B)), `${what}: ${ofB.arn}`);
    }
    // Replays: each account gets its own resource back.
    const replayA = await a.send(new CreateWorkflowCommand({ name: 'acct-wf', definitionZip: ZIP, requestId: 'shared-wf-token' }));
    const replayB = await b.send(new CreateWorkflowCommand({ name: 'acct-wf', definitionZip: ZIP, requestId: 'shared-wf-token' }));
    assert.deepEqual([replayA.id, replayB.id], [ra.wf, rb.tokenWf.id]);
    const rgA = await a.send(new CreateRunGroupCommand({ name: 'acct-rg', maxRuns: 50, requestId: 'shared-rg-token' }));
    const rgB = await b.send(new CreateRunGroupCommand({ name: 'acct-rg', maxRuns: 50, requestId: 'shared-rg-token' }));
    assert.deepEqual([rgA.id, rgB.id], [ra.rg, rb.tokenRg.id]);
    const runB = await b.send(new StartRunCommand(runInput(rb.wf, { name: 'acct-run', requestId: 'shared-run-token' })));
    assert.equal(runB.id, rb.tokenRun.id);
    const batchB = await b.send(new StartRunBatchCommand(batchInput(rb.wf, { batchName: 'acct-batch', requestId: 'shared-batch-token' })));
    assert.equal(batchB.id, rb.tokenBatch.id);
    // B's differing body under A's token is B's business: a new token for B, no conflict with A's request.
    const other = await b.send(new CreateRunGroupCommand({ name: 'b-other', requestId: 'a-quick' }));
    assert.ok(other.arn!.startsWith(arnPrefix(B)));
    // And B's token reuse changed nothing of A's.
    assert.equal((await a.send(new GetWorkflowCommand({ id: ra.wf }))).name, 'acct-wf');
    const bRun = await b.send(new GetRunCommand({ id: rb.tokenRun.id }));
    assert.equal(bRun.workflowId, rb.wf);
  });

  test("B's page tokens do not page A's lists (nor A's B's)", async () => {
    const invalid = async (what: string, p: Promise<unknown>) => {
      const e = await sdkError(p);
      assert.deepEqual([e.name, e.status], ['ValidationException', 400], `${what}: ${e.name} ${e.message}`);
      assert.match(e.message, /Invalid startingToken/);
    };
    const bWf = await b.send(new ListWorkflowsCommand({ maxResults: 1 }));
    assert.ok(bWf.nextToken, 'B has a second page of workflows');
    await invalid('ListWorkflows', a.send(new ListWorkflowsCommand({ maxResults: 1, startingToken: bWf.nextToken })));
    assert.equal((await b.send(new ListWorkflowsCommand({ maxResults: 1, startingToken: bWf.nextToken }))).items?.length, 1, 'the token pages B');
    const bRuns = await b.send(new ListRunsCommand({ maxResults: 1 }));
    assert.ok(bRuns.nextToken);
    await invalid('ListRuns', a.send(new ListRunsCommand({ maxResults: 1, startingToken: bRuns.nextToken })));
    const bGroups = await b.send(new ListRunGroupsCommand({ maxResults: 1 }));
    assert.ok(bGroups.nextToken);
    await invalid('ListRunGroups', a.send(new ListRunGroupsCommand({ maxResults: 1, startingToken: bGroups.nextToken })));
    const bBatches = await b.send(new ListBatchCommand({ maxItems: 1 }));
    assert.ok(bBatches.nextToken);
    await invalid('ListBatch', a.send(new ListBatchCommand({ maxItems: 1, startingToken: bBatches.nextToken })));
    const bEntries = await b.send(new ListRunsInBatchCommand({ batchId: rb.batch, maxItems: 1 }));
    assert.ok(bEntries.nextToken);
    await invalid('ListRunsInBatch', a.send(new ListRunsInBatchCommand({ batchId: ra.batch, maxItems: 1, startingToken: bEntries.nextToken })));
    // The other way round.
    const aRuns = await a.send(new ListRunsCommand({ maxResults: 1 }));
    assert.ok(aRuns.nextToken);
    await invalid('ListRuns (A → B)', b.send(new ListRunsCommand({ maxResults: 1, startingToken: aRuns.nextToken })));
    const aBatches = await a.send(new ListBatchCommand({ maxItems: 1 }));
    assert.ok(aBatches.nextToken);
    await invalid('ListBatch (A → B)', b.send(new ListBatchCommand({ maxItems: 1, startingToken: aBatches.nextToken })));
    // A's other key shares A's tokens: same account.
    assert.equal((await a2.send(new ListRunsCommand({ maxResults: 1, startingToken: aRuns.nextToken }))).items?.length, 1);
  });

  test("the ids B was refused were live targets: A's own cancels, deletes and updates succeed", async () => {
    assert.equal((await a.send(new CancelRunCommand({ id: ra.run }))).$metadata.httpStatusCode, 202);
    assert.equal((await a.send(new DeleteRunCommand({ id: ra.quickRun }))).$metadata.httpStatusCode, 202);
    assert.equal((await a.send(new CancelRunBatchCommand({ batchId: ra.batch }))).$metadata.httpStatusCode, 202);
    assert.equal((await a.send(new DeleteRunBatchCommand({ batchId: ra.doneBatch }))).$metadata.httpStatusCode, 202);
    await waitBatchStatus(a, ra.doneBatch, ['RUNS_DELETED']);
    assert.equal((await a.send(new DeleteBatchCommand({ batchId: ra.doneBatch }))).$metadata.httpStatusCode, 202);
    assert.equal((await a.send(new UpdateRunGroupCommand({ id: ra.rg, maxRuns: 7 }))).$metadata.httpStatusCode, 202);
    assert.equal((await a.send(new UpdateWorkflowCommand({ id: ra.wf, description: 'by A' }))).$metadata.httpStatusCode, 202);
    // B's own resources were untouched by all of this.
    assert.equal((await b.send(new GetRunCommand({ id: rb.run }))).status, 'RUNNING');
    assert.equal((await b.send(new GetBatchCommand({ batchId: rb.batch }))).status, 'INPROGRESS');
  });
});

describe('quotas are per account', () => {
  test("StartRun rate: A's throttled StartRun does not throttle B's", async () => {
    const srv = await startServer(['--credentials', writeCredentials(tempDir('omicsd-accounts-'), [A, B]), '--start-run-rate', '1', '--start-run-burst', '1']);
    try {
      const [a, b] = [keyClient(srv.url, A), keyClient(srv.url, B)];
      const [wfA, wfB] = await Promise.all([createWorkflow(a, { definitionZip: ZIP }), createWorkflow(b, { definitionZip: ZIP })]);
      // Back to back: the first takes A's only token, the second finds A's bucket empty…
      const [first, second] = await Promise.allSettled([a.send(new StartRunCommand(runInput(wfA))), a.send(new StartRunCommand(runInput(wfA)))]);
      const outcomes = [first, second].map((r) => (r.status === 'fulfilled' ? 201 : (r.reason as any).$metadata?.httpStatusCode)).sort();
      assert.deepEqual(outcomes, [201, 429], 'one of A\'s two StartRuns is throttled');
      const throttled = [first, second].find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal(throttled.reason.name, 'ThrottlingException');
      // …while B's bucket is full: B's StartRun goes through at once, and then B's own bucket is empty.
      assert.equal((await b.send(new StartRunCommand(runInput(wfB)))).$metadata.httpStatusCode, 201);
      assert.equal((await sdkError(b.send(new StartRunCommand(runInput(wfB))))).name, 'ThrottlingException');
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });

  test('maximum runs: A at its quota does not stop B, by StartRun or by batch', async () => {
    const srv = await startServer(['--credentials', writeCredentials(tempDir('omicsd-accounts-'), [A, B]), '--max-runs', '2', '--start-run-rate', '0']);
    try {
      const [a, b] = [keyClient(srv.url, A), keyClient(srv.url, B)];
      const [wfA, wfB] = await Promise.all([createWorkflow(a, { definitionZip: ZIP }), createWorkflow(b, { definitionZip: ZIP })]);
      await a.send(new StartRunCommand(runInput(wfA)));
      await a.send(new StartRunCommand(runInput(wfA)));
      const full = await sdkError(a.send(new StartRunCommand(runInput(wfA))));
      assert.deepEqual([full.name, full.status], ['ServiceQuotaExceededException', 402]);
      assert.match(full.message, /maximum of 2 runs/);
      // A's batch entries fail on A's quota…
      const aBatch = (await a.send(new StartRunBatchCommand(batchInput(wfA)))).id!;
      const aDone = await waitBatchStatus(a, aBatch, ['PROCESSED', 'INPROGRESS']);
      assert.equal(aDone.submissionSummary?.failedStartSubmissionCount, 2);
      const aEntries = (await a.send(new ListRunsInBatchCommand({ batchId: aBatch }))).runs ?? [];
      assert.deepEqual(aEntries.map((e) => e.submissionFailureReason), ['ServiceQuotaExceededException', 'ServiceQuotaExceededException']);
      // …while B has its own 2: a batch of two succeeds, then B's quota is full too.
      const bBatch = (await b.send(new StartRunBatchCommand(batchInput(wfB)))).id!;
      const bDone = await waitBatchStatus(b, bBatch, ['INPROGRESS', 'PROCESSED']);
      assert.equal(bDone.submissionSummary?.successfulStartSubmissionCount, 2);
      assert.equal((await sdkError(b.send(new StartRunCommand(runInput(wfB))))).name, 'ServiceQuotaExceededException');
      // Freeing one of A's runs makes room for A only.
      const aRuns = (await a.send(new ListRunsCommand({}))).items ?? [];
      assert.equal(aRuns.length, 2);
      await a.send(new CancelRunCommand({ id: aRuns[0].id }));
      await eventually(async () => (await a.send(new GetRunCommand({ id: aRuns[0].id }))).status === 'CANCELLED', 10_000, 'cancelled');
      await a.send(new DeleteRunCommand({ id: aRuns[0].id }));
      assert.equal((await sdkError(b.send(new StartRunCommand(runInput(wfB))))).name, 'ServiceQuotaExceededException');
      assert.equal((await a.send(new StartRunCommand(runInput(wfA)))).$metadata.httpStatusCode, 201);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});

describe('an account restricted to its buckets', () => {
  test('names no other bucket in outputUri, inputs, settings files or definitionUri: they answer as missing buckets', async (t) => {
    const C: Key = { accessKeyId: 'AKIAACCOUNTC0000001', secretAccessKey: 'account-c-secret', accountId: '333333333333', buckets: ['bucket-c'] };
    const dir = tempDir();
    const server = await startServer(['--credentials', writeCredentials(dir, [A, C])], dir);
    t.after(() => server.stop());
    const c = keyClient(server.url, C);
    const a = keyClient(server.url, A);
    const wf = await createWorkflow(c, { definitionZip: ZIP });
    const missing = (bucket: string) => (err: Error) => err.name === 'ResourceNotFoundException' && err.message === `The specified bucket does not exist: s3://${bucket}`;
    await assert.rejects(c.send(new StartRunCommand(runInput(wf, { outputUri: 's3://bucket-a/out/' }))), missing('bucket-a'));
    await assert.rejects(c.send(new StartRunCommand(runInput(wf, { outputUri: 's3://bucket-c/out/', parameters: { msg: 's3://bucket-a/secret.txt', ...QUICK } }))), missing('bucket-a'));
    const fromFile = batchInput(wf, { batchRunSettings: { s3UriSettings: 's3://bucket-a/settings.json' } });
    fromFile.defaultRunSetting!.outputUri = 's3://bucket-c/batches/';
    await assert.rejects(c.send(new StartRunBatchCommand(fromFile)), missing('bucket-a'));
    await assert.rejects(c.send(new StartRunBatchCommand(batchInput(wf))), missing('acct-out'));
    await assert.rejects(c.send(new CreateWorkflowCommand({ definitionUri: 's3://bucket-a/wf.zip' })), missing('bucket-a'));
    // Its own bucket works, and an unrestricted account is not limited.
    await c.send(new StartRunCommand(runInput(wf, { outputUri: 's3://bucket-c/out/', parameters: { msg: 's3://bucket-c/in.txt', ...QUICK } })));
    await a.send(new StartRunCommand(runInput(await createWorkflow(a, { definitionZip: ZIP }), { outputUri: 's3://bucket-a/out/', parameters: { msg: 'x', ...QUICK } })));
  });
});
