// Workflow versions, run caches, configurations, shares and presigned links through the SDK
// (docs/workflow-versions.md, docs/run-caches.md, docs/configurations.md, docs/shares.md,
// docs/workflows.md "Definition and readme links"), and references checked alike by StartRun and
// StartRunBatch (docs/runs.md, "References").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import {
  AcceptShareCommand, ConflictException, DeleteWorkflowCommand, CreateConfigurationCommand, CreateRunCacheCommand, CreateShareCommand, CreateWorkflowVersionCommand,
  DeleteConfigurationCommand, DeleteRunCacheCommand, DeleteShareCommand, DeleteWorkflowVersionCommand, GetConfigurationCommand, GetRunCacheCommand,
  GetRunCommand, GetShareCommand, GetWorkflowCommand, GetWorkflowVersionCommand, ListConfigurationsCommand, ListRunCachesCommand,
  ListSharesCommand, ListTagsForResourceCommand, ListWorkflowVersionsCommand, ResourceNotFoundException, StartRunBatchCommand, StartRunCommand,
  TagResourceCommand, UpdateRunCacheCommand, UpdateWorkflowVersionCommand, ValidationException, paginateListRunCaches,
  paginateListWorkflowVersions, waitUntilWorkflowVersionActive, type OmicsClient,
} from '@aws-sdk/client-omics';
import { ROLE } from '../support/client.js';
import { startServer, tempDir, type RunningServer } from '../support/server.js';
import { QUICK_WAITER, sleep } from '../support/wait.js';
import { cwlTool, cwlZip, definitionZip } from '../support/workflows.js';
import { keyClient, writeCredentials, type Key } from '../security/helpers.js';
import { activeWorkflow, DIGITS, expectError, OUT, runInput, uniq, UUID } from './helpers.js';

const A: Key = { accessKeyId: 'AKIAOWNER0000000001', secretAccessKey: 'owner-secret-0123456789', accountId: '111111111111' };
const B: Key = { accessKeyId: 'AKIASUBSCRIBER00001', secretAccessKey: 'subscriber-secret-012345', accountId: '222222222222' };
const C: Key = { accessKeyId: 'AKIAOTHER0000000001', secretAccessKey: 'other-secret-0123456789', accountId: '333333333333' };

let srv: RunningServer;
let owner: OmicsClient;
let subscriber: OmicsClient;
let other: OmicsClient;
before(async () => {
  const dir = tempDir();
  srv = await startServer(['--sim-run-ms', '100', '--credentials', writeCredentials(dir, [A, B, C]), '--link-expiry', '3']);
  owner = keyClient(srv.url, A);
  subscriber = keyClient(srv.url, B);
  other = keyClient(srv.url, C);
});
after(async () => {
  assert.equal(await srv.stop(), 0);
});

/** A CWL tool zip whose `echo` prints `word` first: two versions of one workflow differ by it. */
const echoZip = (word: string) => definitionZip({ 'main.cwl': cwlTool(['echo', word], { inputs: { msg: { type: 'string', inputBinding: { position: 1 } } } }) });

async function version(client: OmicsClient, workflowId: string, versionName: string, extra: Record<string, unknown> = {}) {
  const created = await client.send(new CreateWorkflowVersionCommand({ workflowId, versionName, definitionZip: echoZip(versionName), requestId: uniq('req'), ...extra }));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.equal(created.status, 'CREATING');
  const waited = await waitUntilWorkflowVersionActive({ client, maxWaitTime: 20, ...QUICK_WAITER }, { workflowId, versionName });
  assert.equal(waited.state, 'SUCCESS');
  return created;
}

describe('workflow versions', () => {
  test('create, get, list with pagination, update and delete', async () => {
    const wf = await activeWorkflow(owner);
    const v1 = await version(owner, wf, 'v1', { description: 'first', tags: { stage: 'dev' }, readmeMarkdown: '# v1\nreads' });
    assert.equal(v1.arn, `arn:aws:omics:us-east-1:111111111111:workflow/${wf}/version/v1`);
    assert.equal(v1.workflowId, wf);
    assert.match(v1.uuid!, UUID);
    const got = await owner.send(new GetWorkflowVersionCommand({ workflowId: wf, versionName: 'v1' }));
    assert.equal(got.status, 'ACTIVE');
    assert.equal(got.engine, 'CWL');
    assert.equal(got.main, 'main.cwl');
    assert.equal(got.description, 'first');
    assert.deepEqual(got.tags, { stage: 'dev' });
    assert.deepEqual(got.parameterTemplate, { msg: { description: '', optional: false } });
    assert.match(got.digest!, /^[0-9a-f]{64}$/);
    assert.equal(got.type, 'PRIVATE');
    assert.ok(got.readme && got.readme.length <= 256, `readme link ${got.readme}`);
    assert.equal(await (await fetch(got.readme!)).text(), '# v1\nreads');

    for (const name of ['v2', 'v3']) await version(owner, wf, name);
    const names: string[] = [];
    for await (const page of paginateListWorkflowVersions({ client: owner, pageSize: 2 }, { workflowId: wf })) {
      assert.ok(page.items!.length <= 2);
      names.push(...page.items!.map((i) => i.versionName!));
    }
    assert.deepEqual(names, ['v3', 'v2', 'v1']);

    await owner.send(new UpdateWorkflowVersionCommand({ workflowId: wf, versionName: 'v2', description: 'second' }));
    assert.equal((await owner.send(new GetWorkflowVersionCommand({ workflowId: wf, versionName: 'v2' }))).description, 'second');
    const deleted = await owner.send(new DeleteWorkflowVersionCommand({ workflowId: wf, versionName: 'v3' }));
    assert.equal(deleted.$metadata.httpStatusCode, 202);
    await expectError(owner.send(new GetWorkflowVersionCommand({ workflowId: wf, versionName: 'v3' })), ResourceNotFoundException, 404);
    const left = await owner.send(new ListWorkflowVersionsCommand({ workflowId: wf }));
    assert.deepEqual(left.items!.map((i) => i.versionName), ['v2', 'v1']);
    // The name is free again once its version is deleted.
    await version(owner, wf, 'v3');
    // A workflow is deleted only once its versions are.
    await expectError(owner.send(new DeleteWorkflowCommand({ id: wf })), ConflictException, 409, /versions/);
    for (const v of ['v3', 'v2', 'v1']) await owner.send(new DeleteWorkflowVersionCommand({ workflowId: wf, versionName: v }));
    assert.equal((await owner.send(new DeleteWorkflowCommand({ id: wf }))).$metadata.httpStatusCode, 202);
  });

  test('conflict, not found, validation and other accounts', async () => {
    const wf = await activeWorkflow(owner);
    await version(owner, wf, 'dup');
    await expectError(owner.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: 'dup', definitionZip: cwlZip(), requestId: uniq('req') })),
      ConflictException, 409, /dup/);
    await expectError(owner.send(new CreateWorkflowVersionCommand({ workflowId: '999999999', versionName: 'x', definitionZip: cwlZip(), requestId: uniq('req') })),
      ResourceNotFoundException, 404);
    await expectError(owner.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: '-bad', definitionZip: cwlZip(), requestId: uniq('req') })),
      ValidationException, 400, /versionName/);
    await expectError(owner.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: 'none', requestId: uniq('req') })), ValidationException, 400);
    await expectError(other.send(new GetWorkflowVersionCommand({ workflowId: wf, versionName: 'dup' })), ResourceNotFoundException, 404);
    await expectError(other.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: 'mine', definitionZip: cwlZip(), requestId: uniq('req') })),
      ResourceNotFoundException, 404);
    // A definition that cannot be read ends FAILED with why; the waiter says FAILURE.
    await owner.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: 'broken', definitionZip: definitionZip({ 'notes.txt': 'no workflow' }), requestId: uniq('req') }));
    await assert.rejects(waitUntilWorkflowVersionActive({ client: owner, maxWaitTime: 10, ...QUICK_WAITER }, { workflowId: wf, versionName: 'broken' }));
    const broken = await owner.send(new GetWorkflowVersionCommand({ workflowId: wf, versionName: 'broken' }));
    assert.equal(broken.status, 'FAILED');
    assert.ok(broken.statusMessage);
  });

  test('a run of a version shows its name and its digest, and is refused on an unknown one', async () => {
    const wf = await activeWorkflow(owner);
    await version(owner, wf, 'v2');
    const v = await owner.send(new GetWorkflowVersionCommand({ workflowId: wf, versionName: 'v2' }));
    const base = await owner.send(new GetWorkflowCommand({ id: wf }));
    assert.notEqual(v.digest, base.digest);
    const run = await owner.send(new StartRunCommand({ ...runInput(wf), workflowVersionName: 'v2', requestId: uniq('req') }));
    const got = await owner.send(new GetRunCommand({ id: run.id, export: ['DEFINITION'] }));
    assert.equal(got.workflowVersionName, 'v2');
    assert.equal(got.digest, v.digest);
    assert.equal(got.startedBy, `arn:aws:iam::111111111111:user/${A.accessKeyId}`);
    const zip = unzipSync(new Uint8Array(await (await fetch(got.definition!)).arrayBuffer()));
    assert.match(Buffer.from(zip['main.cwl']).toString(), /- v2/);
    await expectError(owner.send(new StartRunCommand({ ...runInput(wf), workflowVersionName: 'nope', requestId: uniq('req') })),
      ResourceNotFoundException, 404, /nope/);
  });
});

describe('run caches', () => {
  test('create, get, list with pagination, update, tag and delete', async () => {
    const created = await owner.send(new CreateRunCacheCommand({
      cacheS3Location: 's3://omicsd-test-bucket/caches/a', name: 'c-a', description: 'first', tags: { team: 'x' }, requestId: uniq('req'),
    }));
    assert.equal(created.$metadata.httpStatusCode, 201);
    assert.match(created.id!, DIGITS);
    assert.equal(created.status, 'ACTIVE');
    assert.equal(created.arn, `arn:aws:omics:us-east-1:111111111111:runCache/${created.id}`);
    const got = await owner.send(new GetRunCacheCommand({ id: created.id }));
    assert.equal(got.cacheBehavior, 'CACHE_ON_FAILURE');
    assert.equal(got.cacheS3Uri, 's3://omicsd-test-bucket/caches/a/');
    assert.equal(got.name, 'c-a');
    assert.ok(got.creationTime instanceof Date);
    await owner.send(new UpdateRunCacheCommand({ id: created.id, cacheBehavior: 'CACHE_ALWAYS', name: 'c-a2' }));
    const updated = await owner.send(new GetRunCacheCommand({ id: created.id }));
    assert.equal(updated.cacheBehavior, 'CACHE_ALWAYS');
    assert.equal(updated.name, 'c-a2');
    assert.equal(updated.description, 'first');
    await owner.send(new TagResourceCommand({ resourceArn: created.arn, tags: { more: 'y' } }));
    assert.deepEqual((await owner.send(new ListTagsForResourceCommand({ resourceArn: created.arn }))).tags, { team: 'x', more: 'y' });

    for (let i = 0; i < 3; i++) await owner.send(new CreateRunCacheCommand({ cacheS3Location: `s3://omicsd-test-bucket/caches/p${i}`, requestId: uniq('req') }));
    const ids: string[] = [];
    for await (const page of paginateListRunCaches({ client: owner, pageSize: 2 }, {})) ids.push(...page.items!.map((i) => i.id!));
    assert.equal(ids.length, 4);
    assert.equal(new Set(ids).size, 4);
    assert.equal((await other.send(new ListRunCachesCommand({}))).items!.length, 0, 'another account lists none');
    await expectError(other.send(new GetRunCacheCommand({ id: created.id })), ResourceNotFoundException, 404);

    await owner.send(new DeleteRunCacheCommand({ id: created.id }));
    await expectError(owner.send(new GetRunCacheCommand({ id: created.id })), ResourceNotFoundException, 404);
    await expectError(owner.send(new DeleteRunCacheCommand({ id: created.id })), ResourceNotFoundException, 404);
    await expectError(owner.send(new CreateRunCacheCommand({ cacheS3Location: 'file:///tmp', requestId: uniq('req') })), ValidationException, 400, /cacheS3Location/);
    await expectError(owner.send(new CreateRunCacheCommand({ cacheS3Location: 's3://omicsd-test-bucket/x', cacheBehavior: 'SOMETIMES' as any, requestId: uniq('req') })),
      ValidationException, 400, /cacheBehavior/);
    const token = uniq('req');
    const again = await owner.send(new CreateRunCacheCommand({ cacheS3Location: 's3://omicsd-test-bucket/idem', requestId: token }));
    assert.equal((await owner.send(new CreateRunCacheCommand({ cacheS3Location: 's3://omicsd-test-bucket/idem', requestId: token }))).id, again.id);
    await expectError(owner.send(new CreateRunCacheCommand({ cacheS3Location: 's3://omicsd-test-bucket/other', requestId: token })), ConflictException, 409);
  });
});

describe('configurations', () => {
  test('create, get, list with pagination, delete; a VPC run needs one', async () => {
    const name = uniq('cfg');
    const vpcConfig = { securityGroupIds: ['sg-0123abcd'], subnetIds: ['subnet-0a1b2c3d'] };
    const created = await owner.send(new CreateConfigurationCommand({ name, description: 'vpc', runConfigurations: { vpcConfig }, requestId: uniq('req') }));
    assert.equal(created.$metadata.httpStatusCode, 201);
    assert.equal(created.arn, `arn:aws:omics:us-east-1:111111111111:configuration/${name}`);
    assert.equal(created.status, 'ACTIVE');
    const got = await owner.send(new GetConfigurationCommand({ name }));
    assert.deepEqual(got.runConfigurations?.vpcConfig, vpcConfig);
    assert.match(got.uuid!, UUID);
    await expectError(owner.send(new CreateConfigurationCommand({ name, runConfigurations: {}, requestId: uniq('req') })), ConflictException, 409);
    await expectError(owner.send(new CreateConfigurationCommand({ name: '_bad', runConfigurations: {}, requestId: uniq('req') })), ValidationException, 400, /name/);
    for (let i = 0; i < 11; i++) await owner.send(new CreateConfigurationCommand({ name: `${name}-${i}`, runConfigurations: {}, requestId: uniq('req') }));
    const first = await owner.send(new ListConfigurationsCommand({}));
    assert.equal(first.items!.length, 10, 'at most 10 per page');
    assert.ok(first.nextToken);
    const second = await owner.send(new ListConfigurationsCommand({ startingToken: first.nextToken }));
    assert.equal(second.items!.length, 2);
    await expectError(owner.send(new ListConfigurationsCommand({ maxResults: 11 })), ValidationException, 400, /maxResults/);

    const wf = await activeWorkflow(owner);
    await expectError(owner.send(new StartRunCommand({ ...runInput(wf), networkingMode: 'VPC', requestId: uniq('req') })), ValidationException, 400, /configurationName/);
    const run = await owner.send(new StartRunCommand({ ...runInput(wf), networkingMode: 'VPC', configurationName: name, requestId: uniq('req') }));
    const r = await owner.send(new GetRunCommand({ id: run.id }));
    assert.deepEqual(r.configuration, { name, arn: created.arn, uuid: got.uuid });
    assert.deepEqual(r.vpcConfig, vpcConfig);
    await owner.send(new DeleteConfigurationCommand({ name }));
    await expectError(owner.send(new GetConfigurationCommand({ name })), ResourceNotFoundException, 404);
    await expectError(other.send(new GetConfigurationCommand({ name: `${name}-0` })), ResourceNotFoundException, 404);
  });
});

describe('references are checked alike by StartRun and StartRunBatch', () => {
  test('unknown version, cache or configuration → ResourceNotFoundException; READY2RUN → ValidationException', async () => {
    const wf = await activeWorkflow(owner);
    const cases: [Record<string, unknown>, typeof ResourceNotFoundException | typeof ValidationException, number, RegExp][] = [
      [{ workflowVersionName: 'missing' }, ResourceNotFoundException, 404, /missing/],
      [{ cacheId: '999999999' }, ResourceNotFoundException, 404, /999999999/],
      [{ configurationName: 'nowhere' }, ResourceNotFoundException, 404, /nowhere/],
      [{ workflowType: 'READY2RUN' }, ValidationException, 400, /Ready2Run/],
    ];
    for (const [extra, cls, status, message] of cases) {
      await expectError(owner.send(new StartRunCommand({ ...runInput(wf), ...extra, requestId: uniq('req') })), cls, status, message);
      await expectError(owner.send(new StartRunBatchCommand({
        defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: OUT, parameters: { msg: 'x' }, ...extra },
        batchRunSettings: { inlineSettings: [{ runSettingId: 's1' }] }, requestId: uniq('req'),
      })), cls, status, message);
    }
  });
});

describe('shares', () => {
  test('a workflow shared from A to B is run by B naming its owner; C sees nothing', async () => {
    const wf = await activeWorkflow(owner);
    const wfArn = `arn:aws:omics:us-east-1:111111111111:workflow/${wf}`;
    await expectError(subscriber.send(new StartRunCommand({ ...runInput(wf), workflowOwnerId: A.accountId, requestId: uniq('req') })), ResourceNotFoundException, 404);
    const share = await owner.send(new CreateShareCommand({ resourceArn: wfArn, principalSubscriber: B.accountId, shareName: 'to-b' }));
    assert.equal(share.status, 'PENDING');
    assert.equal(share.shareName, 'to-b');
    await expectError(owner.send(new CreateShareCommand({ resourceArn: wfArn, principalSubscriber: B.accountId })), ConflictException, 409);
    await expectError(owner.send(new CreateShareCommand({ resourceArn: wfArn, principalSubscriber: A.accountId })), ValidationException, 400);
    await expectError(other.send(new CreateShareCommand({ resourceArn: wfArn, principalSubscriber: B.accountId })), ValidationException, 400);

    const offered = await subscriber.send(new ListSharesCommand({ resourceOwner: 'OTHER' }));
    assert.deepEqual(offered.shares!.map((s) => s.shareId), [share.shareId]);
    assert.equal(offered.shares![0].ownerId, A.accountId);
    assert.equal(offered.shares![0].resourceId, wf);
    assert.equal((await owner.send(new ListSharesCommand({ resourceOwner: 'SELF', filter: { status: ['PENDING'] } }))).shares!.length, 1);
    assert.equal((await owner.send(new ListSharesCommand({ resourceOwner: 'SELF', filter: { type: ['VARIANT_STORE'] } }))).shares!.length, 0);
    assert.equal((await other.send(new ListSharesCommand({ resourceOwner: 'OTHER' }))).shares!.length, 0);
    await expectError(other.send(new GetShareCommand({ shareId: share.shareId })), ResourceNotFoundException, 404);
    await expectError(owner.send(new AcceptShareCommand({ shareId: share.shareId })), ResourceNotFoundException, 404, /Share/);

    // Pending: not usable yet.
    await expectError(subscriber.send(new StartRunCommand({ ...runInput(wf), workflowOwnerId: A.accountId, requestId: uniq('req') })), ResourceNotFoundException, 404);
    assert.equal((await subscriber.send(new AcceptShareCommand({ shareId: share.shareId }))).status, 'ACTIVE');
    assert.equal((await owner.send(new GetShareCommand({ shareId: share.shareId }))).share!.status, 'ACTIVE');
    const seen = await subscriber.send(new GetWorkflowCommand({ id: wf, workflowOwnerId: A.accountId, export: ['DEFINITION'] }));
    assert.equal(seen.arn, wfArn);
    assert.equal(seen.definition, undefined, 'a shared workflow is not exported');
    assert.ok((await owner.send(new GetWorkflowCommand({ id: wf, export: ['DEFINITION'] }))).definition, 'its owner exports it');
    await expectError(subscriber.send(new GetWorkflowCommand({ id: wf })), ResourceNotFoundException, 404);
    const run = await subscriber.send(new StartRunCommand({ ...runInput(wf), workflowOwnerId: A.accountId, requestId: uniq('req') }));
    const got = await subscriber.send(new GetRunCommand({ id: run.id }));
    assert.equal(got.workflowOwnerId, A.accountId);
    assert.match(got.arn!, /:222222222222:run\//, 'the run is the subscriber\'s');
    assert.equal((await subscriber.send(new GetRunCommand({ id: run.id, export: ['DEFINITION'] }))).definition, undefined, 'nor through its runs');
    await expectError(owner.send(new DeleteWorkflowCommand({ id: wf })), ConflictException, 409, /shared/);
    await expectError(other.send(new StartRunCommand({ ...runInput(wf), workflowOwnerId: A.accountId, requestId: uniq('req') })), ResourceNotFoundException, 404);

    assert.equal((await subscriber.send(new DeleteShareCommand({ shareId: share.shareId }))).status, 'DELETED');
    await expectError(subscriber.send(new StartRunCommand({ ...runInput(wf), workflowOwnerId: A.accountId, requestId: uniq('req') })), ResourceNotFoundException, 404);
    await expectError(owner.send(new GetShareCommand({ shareId: share.shareId })), ResourceNotFoundException, 404);
  });
});

describe('presigned definition and readme links', () => {
  test('download with a plain HTTP client; refused when tampered with or expired', async () => {
    const wf = await activeWorkflow(owner, uniq('wf'), { readmeMarkdown: '# Pipeline\nHow to run it.' });
    const got = await owner.send(new GetWorkflowCommand({ id: wf, export: ['DEFINITION'] }));
    for (const link of [got.definition!, got.readme!]) assert.ok(link.length <= 256, `${link.length} characters`);
    const zip = unzipSync(new Uint8Array(await (await fetch(got.definition!)).arrayBuffer()));
    assert.ok(zip['main.cwl'], 'the definition zip');
    const readme = await fetch(got.readme!);
    assert.equal(readme.status, 200);
    assert.equal(await readme.text(), '# Pipeline\nHow to run it.');

    const url = new URL(got.definition!);
    const forged = new URL(url);
    forged.pathname = forged.pathname.replace(`/${wf}/`, `/${Number(wf) + 1}/`);
    const longer = new URL(url);
    longer.searchParams.set('Expires', String(Number(url.searchParams.get('Expires')) + 3600));
    const unsigned = new URL(url);
    unsigned.search = '';
    for (const [bad, code] of [[forged, 'SignatureDoesNotMatch'], [longer, 'SignatureDoesNotMatch'], [unsigned, 'AccessDenied']] as const) {
      const res = await fetch(bad);
      assert.equal(res.status, 403, bad.toString());
      assert.match(await res.text(), new RegExp(`<Code>${code}</Code>`));
    }
    await sleep(4200); // --link-expiry 3
    const expired = await fetch(got.definition!);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /Request has expired/);
  });
});
