// restJson1 on the wire, with plain HTTP (docs/api.md routing and codes, host prefix,
// request decoding, response encoding, errors, pagination tokens).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ListRunsCommand, ListWorkflowsCommand, ValidationException } from '@aws-sdk/client-omics';
import { ROLE } from '../support/client.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { cwlZip } from '../support/workflows.js';
import { arnOf, assertWireError, expectError, nullPaths, OUT, raw, RFC3339, uniq, UUID, waitCompleted } from './helpers.js';

let srv: RunningServer;
const zip64 = () => Buffer.from(cwlZip()).toString('base64');

before(async () => {
  srv = await startServer(['--sim-run-ms', '100']);
});
after(async () => {
  assert.equal(await srv.stop(), 0);
});

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => raw(srv.url, method, path, body, headers);

/** Every response carries a request id and an accurate Date (docs/api.md). */
function assertCommonHeaders(r: Awaited<ReturnType<typeof raw>>) {
  assert.match(r.headers.get('x-amzn-requestid') ?? '', UUID, 'x-amzn-RequestId is a UUID');
  const date = r.headers.get('date');
  assert.ok(date, 'Date header');
  assert.ok(Math.abs(Date.parse(date!) - Date.now()) < 5000, `Date header ${date} is accurate`);
}

function assertJson(r: Awaited<ReturnType<typeof raw>>, status: number) {
  assert.equal(r.status, status, r.text);
  assertCommonHeaders(r);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(r.json && typeof r.json === 'object' && !Array.isArray(r.json), r.text);
  assert.deepEqual(nullPaths(r.json), [], 'members without a value are omitted, not null');
  return r.json;
}

function assertEmpty(r: Awaited<ReturnType<typeof raw>>, status: number) {
  assert.equal(r.status, status, r.text);
  assertCommonHeaders(r);
  assert.equal(r.text, '', `Unit output has an empty body, got ${r.text}`);
}

function assertTimestamps(obj: Record<string, unknown>, keys: string[]) {
  for (const k of keys) {
    if (obj[k] === undefined) continue;
    assert.equal(typeof obj[k], 'string', `${k} must be an RFC 3339 string, got ${JSON.stringify(obj[k])}`);
    assert.match(obj[k] as string, RFC3339, `${k}=${obj[k]}`);
    assert.ok((obj[k] as string).endsWith('Z'), `${k}=${obj[k]} is UTC with Z`);
  }
}

describe('success codes, bodies and headers of every operation', () => {
  test('workflows, runs, tasks, run groups and tags', async () => {
    // CreateWorkflow 201
    const cw = assertJson(await call('POST', '/workflow', { name: uniq('wire-wf'), definitionZip: zip64(), requestId: uniq('r') }), 201);
    assert.equal(cw.arn, arnOf('workflow', cw.id));
    assert.match(cw.uuid, UUID);
    const wfId: string = cw.id;
    // GetWorkflow 200 (wait for ACTIVE; every answer is checked)
    const gw = await eventually(async () => {
      const got = assertJson(await call('GET', `/workflow/${wfId}`), 200);
      return got.status === 'ACTIVE' && got;
    }, 5000, `workflow ${wfId} ACTIVE`, { failFast: true });
    assert.equal(gw.status, 'ACTIVE');
    assert.ok(gw.creationTime, 'creationTime present');
    assertTimestamps(gw, ['creationTime']);
    // Repeated query keys for list members.
    assertJson(await call('GET', `/workflow/${wfId}?export=DEFINITION&export=README`), 200);
    // ListWorkflows 200
    const lw = assertJson(await call('GET', '/workflow?maxResults=100'), 200);
    assert.ok(Array.isArray(lw.items));
    for (const it of lw.items) assertTimestamps(it, ['creationTime']);
    // UpdateWorkflow 202, empty
    assertEmpty(await call('POST', `/workflow/${wfId}`, { description: 'wire' }), 202);

    // CreateRunGroup 201 / GetRunGroup 200 / ListRunGroups 200 / UpdateRunGroup 202
    const cg = assertJson(await call('POST', '/runGroup', { name: uniq('wire-rg'), maxRuns: 2, requestId: uniq('r') }), 201);
    assert.equal(cg.arn, arnOf('runGroup', cg.id));
    const gg = assertJson(await call('GET', `/runGroup/${cg.id}`), 200);
    assert.equal(gg.maxRuns, 2);
    assertTimestamps(gg, ['creationTime']);
    assert.equal(typeof gg.creationTime, 'string');
    const lg = assertJson(await call('GET', '/runGroup'), 200);
    for (const it of lg.items) assertTimestamps(it, ['creationTime']);
    assertEmpty(await call('POST', `/runGroup/${cg.id}`, { maxRuns: 3 }), 202);

    // StartRun 201 — document parameters kept verbatim.
    const params = { msg: 'wire', n: 2, __omicsd_simulate: { outcome: 'COMPLETED', runningMs: 50, nested: { a: [1, 2], b: true } } };
    const sr = assertJson(
      await call('POST', '/run', { workflowId: wfId, roleArn: ROLE, outputUri: OUT, parameters: params, runGroupId: cg.id, requestId: uniq('r') }),
      201,
    );
    assert.equal(sr.status, 'PENDING');
    assert.equal(sr.arn, arnOf('run', sr.id));
    const runId: string = sr.id;
    await waitCompleted(srv.client, runId);
    // GetRun 200
    const gr = assertJson(await call('GET', `/run/${runId}`), 200);
    assert.deepEqual(gr.parameters, params);
    assert.equal(gr.status, 'COMPLETED');
    for (const k of ['creationTime', 'startTime', 'stopTime']) assert.equal(typeof gr[k], 'string', k);
    assertTimestamps(gr, ['creationTime', 'startTime', 'stopTime']);
    // ListRuns 200
    const lr = assertJson(await call('GET', `/run?runGroupId=${cg.id}`), 200);
    assert.deepEqual(lr.items.map((i: any) => i.id), [runId]);
    assertTimestamps(lr.items[0], ['creationTime', 'startTime', 'stopTime']);
    assert.equal(typeof lr.items[0].creationTime, 'string');
    // ListRunTasks 200 / GetRunTask 200
    const lt = assertJson(await call('GET', `/run/${runId}/task`), 200);
    assert.ok(lt.items.length >= 1);
    for (const t of lt.items) assertTimestamps(t, ['creationTime', 'startTime', 'stopTime']);
    const gt = assertJson(await call('GET', `/run/${runId}/task/${lt.items[0].taskId}`), 200);
    assert.equal(typeof gt.creationTime, 'string');
    assertTimestamps(gt, ['creationTime', 'startTime', 'stopTime']);

    // Tagging: the ARN label arrives percent-encoded.
    const tagPath = `/tags/${encodeURIComponent(arnOf('run', runId))}`;
    assertEmpty(await call('POST', tagPath, { tags: { x: '1', y: '2' } }), 204);
    assertEmpty(await call('DELETE', `${tagPath}?tagKeys=x&tagKeys=zz`), 204);
    assert.deepEqual(assertJson(await call('GET', tagPath), 200), { tags: { y: '2' } });
    // tagKeys is required on UntagResource; tags is required on TagResource.
    assertWireError(await call('DELETE', tagPath), 'ValidationException', 400, /tagKeys/);
    assertWireError(await call('POST', tagPath, {}), 'ValidationException', 400, /tags/);

    // CancelRun 202 on a long run; DeleteRun 202; DeleteRunGroup 202; DeleteWorkflow 202 — all empty.
    const long = assertJson(
      await call('POST', '/run', {
        workflowId: wfId, roleArn: ROLE, outputUri: OUT, requestId: uniq('r'),
        parameters: { msg: 'x', __omicsd_simulate: { outcome: 'COMPLETED', runningMs: 60000 } },
      }),
      201,
    );
    assertEmpty(await call('POST', `/run/${long.id}/cancel`), 202);
    await eventually(async () => (await call('GET', `/run/${long.id}`)).json.status === 'CANCELLED', 5000, `run ${long.id} CANCELLED`, { failFast: true });
    assertEmpty(await call('DELETE', `/run/${long.id}`), 202);
    assertEmpty(await call('DELETE', `/run/${runId}`), 202);
    assertEmpty(await call('DELETE', `/runGroup/${cg.id}`), 202);
    assertEmpty(await call('DELETE', `/workflow/${wfId}`), 202);
  });
});

describe('errors on the wire', () => {
  test('404 ResourceNotFoundException carries header, __type and message', async () => {
    for (const path of ['/run/987654321', '/workflow/987654321', '/runGroup/987654321', '/run/987654321/task']) {
      const r = await call('GET', path);
      assertWireError(r, 'ResourceNotFoundException', 404);
      assertCommonHeaders(r);
    }
  });

  test('malformed JSON, a non-object body and an empty body are ValidationExceptions', async () => {
    const bad = await call('POST', '/run', '{"workflowId": "1", ', { 'content-type': 'application/json' });
    assertWireError(bad, 'ValidationException', 400);
    assertWireError(await call('POST', '/workflow', '[1,2,3]', { 'content-type': 'application/json' }), 'ValidationException', 400);
    assertWireError(await call('POST', '/runGroup', '"just a string"', { 'content-type': 'application/json' }), 'ValidationException', 400);
    // Empty body = {} → the required members are missing.
    assertWireError(await call('POST', '/run', undefined, { 'content-type': 'application/json' }), 'ValidationException', 400, /roleArn|outputUri|requestId|workflowId/);
    // A non-numeric or out-of-range integer in the query.
    assertWireError(await call('GET', '/run?maxResults=abc'), 'ValidationException', 400, /maxResults/);
    assertWireError(await call('GET', '/workflow?maxResults=0'), 'ValidationException', 400, /maxResults/);
    // An empty label is not the list route.
    assertWireError(await call('GET', '/run/'), 'ValidationException', 400);
    assertWireError(await call('GET', '/workflow/'), 'ValidationException', 400);
  });

  test('unknown paths and methods get a JSON error, never HTML', async () => {
    for (const [method, path] of [['GET', '/no/such/thing'], ['GET', '/'], ['PUT', '/run'], ['PATCH', '/workflow/1'], ['GET', '/RUN']]) {
      const r = await call(method, path);
      assert.equal(r.status, 404, `${method} ${path} → ${r.status} ${r.text}`);
      assert.doesNotMatch(r.text, /<html|<!doctype/i);
      assertWireError(r, 'UnknownOperationException', 404);
    }
  });
});

describe('request decoding', () => {
  let wfId: string;
  before(async () => {
    const cw = await call('POST', '/workflow', { name: uniq('wire-dec'), definitionZip: zip64(), requestId: uniq('r') });
    wfId = cw.json.id;
    await eventually(async () => (await call('GET', `/workflow/${wfId}`)).json.status === 'ACTIVE', 5000, `workflow ${wfId} ACTIVE`, { failFast: true });
  });

  test('null members are absent and unknown members are ignored', async () => {
    const r = await call('POST', '/run', {
      workflowId: wfId, roleArn: ROLE, outputUri: OUT, parameters: { msg: 'x' }, requestId: uniq('r'),
      name: null, runGroupId: null, priority: null, someFutureMember: { x: 1 },
    });
    assertJson(r, 201);
    const got = assertJson(await call('GET', `/run/${r.json.id}`), 200);
    assert.equal(got.name, undefined);
    assert.equal(got.runGroupId, undefined);
    assert.equal(got.someFutureMember, undefined);
  });

  test('query values are percent-decoded, and + is a space', async () => {
    const name = `${uniq('wire name')}/x`;
    const r = await call('POST', '/run', { workflowId: wfId, roleArn: ROLE, outputUri: OUT, parameters: { msg: 'x' }, requestId: uniq('r'), name });
    assertJson(r, 201);
    const enc = assertJson(await call('GET', `/run?name=${encodeURIComponent(name)}`), 200);
    assert.deepEqual(enc.items.map((i: any) => i.id), [r.json.id]);
    const plus = assertJson(await call('GET', `/run?name=${encodeURIComponent(name).replace(/%20/g, '+')}`), 200);
    assert.deepEqual(plus.items.map((i: any) => i.id), [r.json.id]);
  });

  test('the workflows- and tags- host prefixes are accepted', async () => {
    const port = new URL(srv.url).port;
    const viaHost = (host: string, method: string, path: string, body?: unknown) =>
      new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request(
          {
            host: '127.0.0.1', port, method, path,
            headers: { host: `${host}:${port}`, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
          },
          (res) => {
            let b = '';
            res.on('data', (d) => (b += d));
            res.on('end', () => resolve({ status: res.statusCode!, body: b, headers: res.headers }));
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    const got = await viaHost('workflows-localhost', 'GET', `/workflow/${wfId}`);
    assert.equal(got.status, 200, got.body);
    assert.equal(JSON.parse(got.body).id, wfId);
    const rg = await viaHost('workflows-localhost', 'POST', '/runGroup', { name: uniq('wire-host'), requestId: uniq('r') });
    assert.equal(rg.status, 201, rg.body);
    const tags = await viaHost('tags-localhost', 'GET', `/tags/${encodeURIComponent(arnOf('workflow', wfId))}`);
    assert.equal(tags.status, 200, tags.body);
    assert.ok(JSON.parse(tags.body).tags);
    const missing = await viaHost('workflows-localhost', 'GET', '/run/987654321');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-amzn-errortype'], 'ResourceNotFoundException');
  });

  test('a tampered startingToken is a ValidationException', async () => {
    for (let i = 0; i < 3; i++) {
      await call('POST', '/run', { workflowId: wfId, roleArn: ROLE, outputUri: OUT, parameters: { msg: 'x' }, requestId: uniq('r') });
    }
    const first = await srv.client.send(new ListRunsCommand({ maxResults: 1 }));
    const token = first.nextToken!;
    assert.equal(typeof token, 'string');
    assert.ok(token.length >= 1 && token.length <= 128, `token length ${token.length}`);
    // The genuine token works.
    const second = await srv.client.send(new ListRunsCommand({ maxResults: 1, startingToken: token }));
    assert.equal(second.items?.length, 1);
    assert.notEqual(second.items![0].id, first.items![0].id);

    const mid = Math.floor(token.length / 2);
    const flipped = token.slice(0, mid) + (token[mid] === 'A' ? 'B' : 'A') + token.slice(mid + 1);
    await expectError(srv.client.send(new ListRunsCommand({ maxResults: 1, startingToken: flipped })), ValidationException, 400, /startingToken|token/i);
    assertWireError(await call('GET', `/run?startingToken=${encodeURIComponent(flipped)}`), 'ValidationException', 400);
    // A token from one list operation is not valid for another.
    await expectError(srv.client.send(new ListWorkflowsCommand({ startingToken: token })), ValidationException, 400, /startingToken|token/i);
    // …nor for the same operation with other filters.
    await expectError(srv.client.send(new ListRunsCommand({ maxResults: 1, startingToken: token, status: 'COMPLETED' })), ValidationException, 400, /startingToken|token/i);
  });

  test('a startingToken with characters appended is a ValidationException', async () => {
    const first = await srv.client.send(new ListRunsCommand({ maxResults: 1 }));
    assert.ok(first.nextToken, 'more than one run exists');
    for (const extra of ['x', 'xy', '=']) {
      await expectError(
        srv.client.send(new ListRunsCommand({ maxResults: 1, startingToken: first.nextToken + extra })),
        ValidationException, 400, /startingToken|token/i,
      );
    }
  });
});
