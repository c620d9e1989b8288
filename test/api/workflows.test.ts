// Workflows through the SDK: docs/workflows.md; pagination docs/api.md; errors docs/errors.md
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateWorkflowCommand,
  DeleteWorkflowCommand,
  GetRunCommand,
  GetWorkflowCommand,
  ListWorkflowsCommand,
  ResourceNotFoundException,
  StartRunCommand,
  UpdateWorkflowCommand,
  ValidationException,
  paginateListWorkflows,
  waitUntilWorkflowActive,
  type WorkflowListItem,
} from '@aws-sdk/client-omics';
import { startServer, type RunningServer } from '../support/server.js';
import { QUICK_WAITER } from '../support/wait.js';
import { cwlZip } from '../support/workflows.js';
import { activeWorkflow, arnOf, DIGITS, expectError, runInput, startRun, uniq, UUID } from './helpers.js';

let srv: RunningServer;
before(async () => {
  srv = await startServer(['--sim-run-ms', '100']);
});
after(async () => {
  assert.equal(await srv.stop(), 0);
});

describe('CreateWorkflow / GetWorkflow', () => {
  test('a CWL zip becomes an ACTIVE workflow with a derived parameter template', async () => {
    const name = uniq('wf-create');
    const created = await srv.client.send(
      new CreateWorkflowCommand({ name, description: 'greets', definitionZip: cwlZip(), tags: { team: 'genomics' } }),
    );
    assert.equal(created.$metadata.httpStatusCode, 201);
    assert.match(created.id!, DIGITS);
    assert.equal(created.arn, arnOf('workflow', created.id!));
    assert.match(created.arn!, /^arn:aws:omics:us-east-1:123456789012:workflow\/[0-9]+$/);
    assert.ok(['CREATING', 'ACTIVE'].includes(created.status!), `status ${created.status}`);
    assert.match(created.uuid!, UUID);
    assert.deepEqual(created.tags, { team: 'genomics' });

    const waited = await waitUntilWorkflowActive({ client: srv.client, maxWaitTime: 20, ...QUICK_WAITER }, { id: created.id });
    assert.equal(waited.state, 'SUCCESS');

    const wf = await srv.client.send(new GetWorkflowCommand({ id: created.id }));
    assert.equal(wf.$metadata.httpStatusCode, 200);
    assert.equal(wf.id, created.id);
    assert.equal(wf.arn, created.arn);
    assert.equal(wf.uuid, created.uuid);
    assert.equal(wf.status, 'ACTIVE');
    assert.equal(wf.type, 'PRIVATE');
    assert.equal(wf.name, name);
    assert.equal(wf.description, 'greets');
    assert.equal(wf.engine, 'CWL');
    assert.equal(wf.main, 'main.cwl');
    assert.equal(typeof wf.digest, 'string');
    assert.ok(wf.digest!.length >= 1);
    assert.ok(wf.creationTime instanceof Date && !isNaN(wf.creationTime.getTime()));
    assert.ok(Math.abs(wf.creationTime.getTime() - Date.now()) < 60_000, 'creationTime is now-ish');
    assert.deepEqual(wf.tags, { team: 'genomics' });
    // Derived from the CWL inputs: `msg: string` is required, `n: int?` is optional.
    assert.deepEqual(Object.keys(wf.parameterTemplate ?? {}).sort(), ['msg', 'n']);
    assert.equal(wf.parameterTemplate!.msg.optional, false);
    assert.equal(wf.parameterTemplate!.n.optional, true);
  });

  test('an explicit parameterTemplate, engine, storage defaults and main are kept', async () => {
    const id = await activeWorkflow(srv.client, uniq('wf-explicit'), {
      engine: 'CWL',
      main: 'main.cwl',
      parameterTemplate: { msg: { description: 'the message', optional: false }, extra: { description: 'x', optional: true } },
      storageType: 'DYNAMIC',
      storageCapacity: 0,
    });
    const wf = await srv.client.send(new GetWorkflowCommand({ id }));
    assert.equal(wf.engine, 'CWL');
    assert.equal(wf.main, 'main.cwl');
    assert.equal(wf.storageType, 'DYNAMIC');
    assert.deepEqual(wf.parameterTemplate, {
      msg: { description: 'the message', optional: false },
      extra: { description: 'x', optional: true },
    });
  });

  test('digest fits its constraint (len 1–64,) in GetWorkflow and ListWorkflows', async () => {
    const name = uniq('wf-digest');
    const id = await activeWorkflow(srv.client, name);
    const wf = await srv.client.send(new GetWorkflowCommand({ id }));
    assert.ok(wf.digest!.length >= 1 && wf.digest!.length <= 64, `digest ${wf.digest} has length ${wf.digest!.length}`);
    const item = (await srv.client.send(new ListWorkflowsCommand({ name }))).items![0];
    assert.equal(item.digest, wf.digest);
  });

  test('GetWorkflow with export=DEFINITION returns the definition', async () => {
    const id = await activeWorkflow(srv.client);
    const plain = await srv.client.send(new GetWorkflowCommand({ id }));
    assert.equal(plain.definition, undefined, 'definition only when exported');
    const wf = await srv.client.send(new GetWorkflowCommand({ id, export: ['DEFINITION'] }));
    assert.equal(wf.$metadata.httpStatusCode, 200);
    assert.equal(wf.id, id);
    assert.equal(typeof wf.definition, 'string', 'definition returned when exported');
    assert.ok(wf.definition!.length >= 1 && wf.definition!.length <= 256, `definition length ${wf.definition!.length}`);
  });

  test('CreateWorkflow with the same requestId and body is idempotent', async () => {
    const input = { name: uniq('wf-idem'), definitionZip: cwlZip(), requestId: uniq('req') };
    const a = await srv.client.send(new CreateWorkflowCommand(input));
    const b = await srv.client.send(new CreateWorkflowCommand(input));
    assert.equal(b.id, a.id);
    const listed = await srv.client.send(new ListWorkflowsCommand({ name: input.name }));
    assert.equal(listed.items?.length, 1);
  });

  test('CreateWorkflow validation errors name the field', async () => {
    const c = srv.client;
    await expectError(c.send(new CreateWorkflowCommand({ name: 'x'.repeat(129), definitionZip: cwlZip() })), ValidationException, 400, /name/);
    await expectError(c.send(new CreateWorkflowCommand({ description: 'd'.repeat(257), definitionZip: cwlZip() })), ValidationException, 400, /description/);
    await expectError(c.send(new CreateWorkflowCommand({ engine: 'COBOL' as any, definitionZip: cwlZip() })), ValidationException, 400, /engine/);
    await expectError(c.send(new CreateWorkflowCommand({ storageType: 'FLOPPY' as any, definitionZip: cwlZip() })), ValidationException, 400, /storageType/);
    await expectError(c.send(new CreateWorkflowCommand({ storageCapacity: 100001, definitionZip: cwlZip() })), ValidationException, 400, /storageCapacity/);
    await expectError(c.send(new CreateWorkflowCommand({ requestId: 'r'.repeat(129), definitionZip: cwlZip() })), ValidationException, 400, /requestId/);
    await expectError(c.send(new CreateWorkflowCommand({ workflowBucketOwnerId: '12', definitionZip: cwlZip() })), ValidationException, 400, /workflowBucketOwnerId/);
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    await expectError(c.send(new CreateWorkflowCommand({ tags: tooMany, definitionZip: cwlZip() })), ValidationException, 400, /tags/);
    // No definition source at all.
    await expectError(c.send(new CreateWorkflowCommand({ name: uniq('wf-nodef') })), ValidationException, 400, /definition/i);
  });

  test('GetWorkflow: a malformed id is a ValidationException, an unknown one ResourceNotFoundException', async () => {
    await expectError(srv.client.send(new GetWorkflowCommand({ id: 'abc' })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new GetWorkflowCommand({ id: '1'.repeat(19) })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new GetWorkflowCommand({ id: '987654321' })), ResourceNotFoundException, 404, /987654321/);
    await expectError(srv.client.send(new GetWorkflowCommand({ id: '1', export: ['EVERYTHING' as any] })), ValidationException, 400, /export/);
    await expectError(srv.client.send(new GetWorkflowCommand({ id: '1', type: 'PUBLIC' as any })), ValidationException, 400, /type/);
  });
});

describe('ListWorkflows', () => {
  test('the paginator walks every page with maxResults 2, and the name filter finds one workflow', async () => {
    const prefix = uniq('wf-list');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await activeWorkflow(srv.client, `${prefix}-${i}`));

    const items: WorkflowListItem[] = [];
    let pages = 0;
    let lastHadToken = true;
    for await (const page of paginateListWorkflows({ client: srv.client, pageSize: 2 }, {})) {
      pages++;
      assert.ok((page.items?.length ?? 0) <= 2, `page of ${page.items?.length}`);
      items.push(...(page.items ?? []));
      lastHadToken = page.nextToken !== undefined;
    }
    assert.equal(lastHadToken, false, 'the last page has no nextToken');
    assert.ok(pages >= 3, `${pages} pages for ≥ 5 workflows at 2 per page`);
    const seen = items.map((w) => w.id!);
    assert.equal(new Set(seen).size, seen.length, 'no workflow listed twice');
    for (const id of ids) assert.ok(seen.includes(id), `workflow ${id} listed`);

    const mine = items.find((w) => w.id === ids[2])!;
    assert.equal(mine.arn, arnOf('workflow', ids[2]));
    assert.equal(mine.name, `${prefix}-2`);
    assert.equal(mine.status, 'ACTIVE');
    assert.equal(mine.type, 'PRIVATE');
    assert.equal(typeof mine.digest, 'string');
    assert.ok(mine.creationTime instanceof Date);

    const byName = await srv.client.send(new ListWorkflowsCommand({ name: `${prefix}-3` }));
    assert.deepEqual(byName.items?.map((w) => w.id), [ids[3]]);
    const none = await srv.client.send(new ListWorkflowsCommand({ name: uniq('no-such-workflow') }));
    assert.deepEqual(none.items ?? [], []);
    assert.equal(none.nextToken, undefined);
  });

  test('maxResults outside 1..100, a bad type or a too-long name are ValidationExceptions', async () => {
    await expectError(srv.client.send(new ListWorkflowsCommand({ maxResults: 0 })), ValidationException, 400, /maxResults/);
    await expectError(srv.client.send(new ListWorkflowsCommand({ maxResults: 101 })), ValidationException, 400, /maxResults/);
    await expectError(srv.client.send(new ListWorkflowsCommand({ type: 'SHARED' as any })), ValidationException, 400, /type/);
    await expectError(srv.client.send(new ListWorkflowsCommand({ name: 'n'.repeat(129) })), ValidationException, 400, /name/);
    await expectError(srv.client.send(new ListWorkflowsCommand({ startingToken: 't'.repeat(129) })), ValidationException, 400, /startingToken/);
    await expectError(srv.client.send(new ListWorkflowsCommand({ startingToken: 'not-a-token-we-issued' })), ValidationException, 400, /startingToken|token/i);
  });
});

describe('UpdateWorkflow / DeleteWorkflow', () => {
  test('UpdateWorkflow changes name and description; validation and not-found errors', async () => {
    const id = await activeWorkflow(srv.client);
    const newName = uniq('wf-renamed');
    const upd = await srv.client.send(new UpdateWorkflowCommand({ id, name: newName, description: 'updated' }));
    assert.equal(upd.$metadata.httpStatusCode, 202);
    const wf = await srv.client.send(new GetWorkflowCommand({ id }));
    assert.equal(wf.name, newName);
    assert.equal(wf.description, 'updated');
    assert.ok(['ACTIVE', 'UPDATING'].includes(wf.status!), wf.status);

    await expectError(srv.client.send(new UpdateWorkflowCommand({ id, name: 'x'.repeat(129) })), ValidationException, 400, /name/);
    await expectError(srv.client.send(new UpdateWorkflowCommand({ id, storageType: 'TAPE' as any })), ValidationException, 400, /storageType/);
    await expectError(srv.client.send(new UpdateWorkflowCommand({ id: 'abc', name: 'x' })), ValidationException, 400, /id/);
    await expectError(srv.client.send(new UpdateWorkflowCommand({ id: '987654322', name: 'x' })), ResourceNotFoundException, 404);
  });

  test('DeleteWorkflow answers 202; afterwards the workflow is gone, runs of it are untouched', async () => {
    const id = await activeWorkflow(srv.client);
    const run = await startRun(srv.client, id);

    const del = await srv.client.send(new DeleteWorkflowCommand({ id }));
    assert.equal(del.$metadata.httpStatusCode, 202);
    await expectError(srv.client.send(new GetWorkflowCommand({ id })), ResourceNotFoundException, 404);
    const listed = await srv.client.send(new ListWorkflowsCommand({ maxResults: 100 }));
    assert.ok(!(listed.items ?? []).some((w) => w.id === id && w.status !== 'DELETED'), 'deleted workflow not listed as live');

    // Deleting a workflow does not affect runs already using it…
    const r = await srv.client.send(new GetRunCommand({ id: run.id }));
    assert.equal(r.workflowId, id);
    // …but no new run can start from it (StartRun needs an ACTIVE workflow).
    await expectError(srv.client.send(new StartRunCommand(runInput(id))), ResourceNotFoundException, 404);

    await expectError(srv.client.send(new DeleteWorkflowCommand({ id })), ResourceNotFoundException, 404);
    await expectError(srv.client.send(new DeleteWorkflowCommand({ id: 'abc' })), ValidationException, 400, /id/);
  });
});
