// Run groups (docs/runs.md) and tagging through the SDK.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelRunCommand,
  ConflictException,
  CreateRunGroupCommand,
  DeleteRunGroupCommand,
  GetRunCommand,
  GetRunGroupCommand,
  GetWorkflowCommand,
  ListRunGroupsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  StartRunCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateRunGroupCommand,
  ValidationException,
  paginateListRunGroups,
  type RunGroupListItem,
} from '@aws-sdk/client-omics';
import { startServer, type RunningServer } from '../support/server.js';
import { sleep } from '../support/wait.js';
import { activeWorkflow, arnOf, DIGITS, expectError, LONG, runInput, startRun, uniq, waitStatus } from './helpers.js';

let srv: RunningServer;
let wf: string;
before(async () => {
  srv = await startServer(['--sim-run-ms', '100']);
  wf = await activeWorkflow(srv.client);
});
after(async () => {
  assert.equal(await srv.stop(), 0);
});

describe('run groups', () => {
  test('create, get, update, list, delete', async () => {
    const name = uniq('rg');
    const created = await srv.client.send(
      new CreateRunGroupCommand({ name, maxCpus: 64, maxRuns: 5, maxDuration: 600, maxGpus: 2, tags: { owner: 'lab' } }),
    );
    assert.equal(created.$metadata.httpStatusCode, 201);
    assert.match(created.id!, DIGITS);
    assert.equal(created.arn, arnOf('runGroup', created.id!));
    assert.deepEqual(created.tags, { owner: 'lab' });

    const got = await srv.client.send(new GetRunGroupCommand({ id: created.id }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.equal(got.id, created.id);
    assert.equal(got.arn, created.arn);
    assert.equal(got.name, name);
    assert.equal(got.maxCpus, 64);
    assert.equal(got.maxRuns, 5);
    assert.equal(got.maxDuration, 600);
    assert.equal(got.maxGpus, 2);
    assert.deepEqual(got.tags, { owner: 'lab' });
    assert.ok(got.creationTime instanceof Date && Math.abs(got.creationTime.getTime() - Date.now()) < 60_000);

    const newName = uniq('rg-renamed');
    const upd = await srv.client.send(new UpdateRunGroupCommand({ id: created.id, name: newName, maxRuns: 9 }));
    assert.equal(upd.$metadata.httpStatusCode, 202);
    const after = await srv.client.send(new GetRunGroupCommand({ id: created.id }));
    assert.equal(after.name, newName);
    assert.equal(after.maxRuns, 9);
    assert.equal(after.maxCpus, 64, 'members not in the update are kept');

    const listed = await srv.client.send(new ListRunGroupsCommand({ name: newName }));
    assert.equal(listed.$metadata.httpStatusCode, 200);
    assert.equal(listed.items?.length, 1);
    const item = listed.items![0];
    assert.equal(item.id, created.id);
    assert.equal(item.arn, created.arn);
    assert.equal(item.name, newName);
    assert.equal(item.maxCpus, 64);
    assert.equal(item.maxRuns, 9);
    assert.equal(item.maxDuration, 600);
    assert.equal(item.maxGpus, 2);
    assert.ok(item.creationTime instanceof Date);

    const del = await srv.client.send(new DeleteRunGroupCommand({ id: created.id }));
    assert.equal(del.$metadata.httpStatusCode, 202);
    await expectError(srv.client.send(new GetRunGroupCommand({ id: created.id })), ResourceNotFoundException, 404);
    assert.deepEqual((await srv.client.send(new ListRunGroupsCommand({ name: newName }))).items ?? [], []);
    await expectError(srv.client.send(new DeleteRunGroupCommand({ id: created.id })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new UpdateRunGroupCommand({ id: created.id, name: 'x' })), ResourceNotFoundException, 404);
    // A deleted run group cannot take new runs.
    await expectError(srv.client.send(new StartRunCommand(runInput(wf, { runGroupId: created.id }))), ResourceNotFoundException, 404);
  });

  test('ListRunGroups paginates to the end', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await srv.client.send(new CreateRunGroupCommand({ name: uniq('rg-page') }))).id!);
    const all: RunGroupListItem[] = [];
    let last: string | undefined = 'x';
    let pages = 0;
    for await (const page of paginateListRunGroups({ client: srv.client, pageSize: 2 }, {})) {
      pages++;
      assert.ok((page.items?.length ?? 0) <= 2);
      all.push(...(page.items ?? []));
      last = page.nextToken;
    }
    assert.equal(last, undefined);
    assert.ok(pages >= 3);
    const seen = all.map((g) => g.id!);
    assert.equal(new Set(seen).size, seen.length);
    for (const id of ids) assert.ok(seen.includes(id));
  });

  test('CreateRunGroup with the same requestId and body is idempotent', async () => {
    const input = { name: uniq('rg-idem'), maxRuns: 3, requestId: uniq('req') };
    const a = await srv.client.send(new CreateRunGroupCommand(input));
    const b = await srv.client.send(new CreateRunGroupCommand(input));
    assert.equal(b.id, a.id);
    assert.equal((await srv.client.send(new ListRunGroupsCommand({ name: input.name }))).items?.length, 1);
  });

  test('DeleteRunGroup with an active run is a conflict; after the run ends it succeeds', async () => {
    const group = await srv.client.send(new CreateRunGroupCommand({ name: uniq('rg-busy') }));
    const { id } = await startRun(srv.client, wf, { runGroupId: group.id, parameters: LONG() });
    await waitStatus(srv.client, id!, 'RUNNING');
    await expectError(srv.client.send(new DeleteRunGroupCommand({ id: group.id })), ConflictException, 409);
    await srv.client.send(new CancelRunCommand({ id }));
    await waitStatus(srv.client, id!, 'CANCELLED');
    await srv.client.send(new DeleteRunGroupCommand({ id: group.id }));
    await expectError(srv.client.send(new GetRunGroupCommand({ id: group.id })), ResourceNotFoundException, 404);
    // The run itself is untouched.
    assert.equal((await srv.client.send(new GetRunCommand({ id }))).status, 'CANCELLED');
  });

  test('a run group at its maxRuns keeps further runs PENDING until a slot frees', async () => {
    const group = await srv.client.send(new CreateRunGroupCommand({ name: uniq('rg-limit'), maxRuns: 1 }));
    const first = await startRun(srv.client, wf, { runGroupId: group.id, parameters: LONG() });
    await waitStatus(srv.client, first.id!, 'RUNNING');
    const second = await startRun(srv.client, wf, { runGroupId: group.id, parameters: LONG() });
    await sleep(500);
    assert.equal((await srv.client.send(new GetRunCommand({ id: second.id }))).status, 'PENDING', 'waits while the group is full');
    await srv.client.send(new CancelRunCommand({ id: first.id }));
    await waitStatus(srv.client, second.id!, 'RUNNING');
    await srv.client.send(new CancelRunCommand({ id: second.id }));
    await waitStatus(srv.client, second.id!, 'CANCELLED');
  });

  test('validation errors name the field; unknown ids are 404', async () => {
    const c = srv.client;
    await expectError(c.send(new CreateRunGroupCommand({ name: 'n'.repeat(129) })), ValidationException, 400, /name/);
    await expectError(c.send(new CreateRunGroupCommand({ maxCpus: 0 })), ValidationException, 400, /maxCpus/);
    await expectError(c.send(new CreateRunGroupCommand({ maxRuns: 100001 })), ValidationException, 400, /maxRuns/);
    await expectError(c.send(new CreateRunGroupCommand({ maxDuration: 0 })), ValidationException, 400, /maxDuration/);
    await expectError(c.send(new CreateRunGroupCommand({ maxGpus: 100001 })), ValidationException, 400, /maxGpus/);
    await expectError(c.send(new CreateRunGroupCommand({ requestId: 'r'.repeat(129) })), ValidationException, 400, /requestId/);
    const g = await c.send(new CreateRunGroupCommand({ name: uniq('rg-val') }));
    await expectError(c.send(new UpdateRunGroupCommand({ id: g.id, maxCpus: 0 })), ValidationException, 400, /maxCpus/);
    await expectError(c.send(new UpdateRunGroupCommand({ id: g.id, name: 'n'.repeat(129) })), ValidationException, 400, /name/);
    await expectError(c.send(new GetRunGroupCommand({ id: 'abc' })), ValidationException, 400, /id/);
    await expectError(c.send(new DeleteRunGroupCommand({ id: 'abc' })), ValidationException, 400, /id/);
    await expectError(c.send(new GetRunGroupCommand({ id: '987654321' })), ResourceNotFoundException, 404, /987654321/);
    await expectError(c.send(new ListRunGroupsCommand({ maxResults: 0 })), ValidationException, 400, /maxResults/);
    await expectError(c.send(new ListRunGroupsCommand({ maxResults: 101 })), ValidationException, 400, /maxResults/);
    await expectError(c.send(new ListRunGroupsCommand({ name: 'n'.repeat(129) })), ValidationException, 400, /name/);
    await expectError(c.send(new ListRunGroupsCommand({ startingToken: 'garbage' })), ValidationException, 400, /startingToken|token/i);
  });
});

describe('tagging', () => {
  async function roundTrip(arn: string, initial: Record<string, string>) {
    const c = srv.client;
    assert.deepEqual((await c.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, initial);

    const tag = await c.send(new TagResourceCommand({ resourceArn: arn, tags: { a: '1', b: '2', c: '' } }));
    assert.equal(tag.$metadata.httpStatusCode, 204);
    const listed = await c.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.equal(listed.$metadata.httpStatusCode, 200);
    assert.deepEqual(listed.tags, { ...initial, a: '1', b: '2', c: '' });

    await c.send(new TagResourceCommand({ resourceArn: arn, tags: { a: 'overwritten' } }));
    const untag = await c.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['b', 'c', 'not-there'] }));
    assert.equal(untag.$metadata.httpStatusCode, 204);
    assert.deepEqual((await c.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { ...initial, a: 'overwritten' });
    return { ...initial, a: 'overwritten' };
  }

  test('workflow ARN: tags from CreateWorkflow, Tag/Untag/List, visible on GetWorkflow', async () => {
    const id = await activeWorkflow(srv.client, uniq('wf-tags'), { tags: { init: 'yes' } });
    const final = await roundTrip(arnOf('workflow', id), { init: 'yes' });
    assert.deepEqual((await srv.client.send(new GetWorkflowCommand({ id }))).tags, final);
  });

  test('run ARN: Tag/Untag/List, visible on GetRun', async () => {
    const { id } = await startRun(srv.client, wf, { tags: { init: 'run' } });
    const final = await roundTrip(arnOf('run', id!), { init: 'run' });
    assert.deepEqual((await srv.client.send(new GetRunCommand({ id }))).tags, final);
  });

  test('run group ARN: Tag/Untag/List, visible on GetRunGroup', async () => {
    const g = await srv.client.send(new CreateRunGroupCommand({ name: uniq('rg-tags'), tags: { init: 'rg' } }));
    const final = await roundTrip(g.arn!, { init: 'rg' });
    assert.deepEqual((await srv.client.send(new GetRunGroupCommand({ id: g.id }))).tags, final);
  });

  test('tagging errors: unknown resource → 404, malformed ARN / bad tags → 400', async () => {
    const c = srv.client;
    const missing = arnOf('run', '987654321');
    await expectError(c.send(new ListTagsForResourceCommand({ resourceArn: missing })), ResourceNotFoundException, 404);
    await expectError(c.send(new TagResourceCommand({ resourceArn: missing, tags: { a: 'b' } })), ResourceNotFoundException, 404);
    await expectError(c.send(new UntagResourceCommand({ resourceArn: missing, tagKeys: ['a'] })), ResourceNotFoundException, 404);
    await expectError(c.send(new ListTagsForResourceCommand({ resourceArn: 'not-an-arn' })), ValidationException, 400, /resourceArn/);
    await expectError(c.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:omics:us-east-1:123456789012:run/${'1'.repeat(140)}` })), ValidationException, 400, /resourceArn/);

    const { id } = await startRun(c, wf);
    const arn = arnOf('run', id!);
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    await expectError(c.send(new TagResourceCommand({ resourceArn: arn, tags: tooMany })), ValidationException, 400, /tags/);
    await expectError(c.send(new TagResourceCommand({ resourceArn: arn, tags: { ['k'.repeat(129)]: 'v' } })), ValidationException, 400, /tags|key/i);
    await expectError(c.send(new TagResourceCommand({ resourceArn: arn, tags: { k: 'v'.repeat(257) } })), ValidationException, 400, /tags|value/i);
    await expectError(c.send(new TagResourceCommand({ resourceArn: arn } as any)), ValidationException, 400, /tags/);
    await expectError(c.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['k'.repeat(129)] })), ValidationException, 400, /tagKeys/);
    await expectError(c.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: Array.from({ length: 51 }, (_, i) => `k${i}`) })), ValidationException, 400, /tagKeys/);
  });
});
