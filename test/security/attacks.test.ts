// The attacks found by probing omicsd from outside (docs/security.md), each now refused, as
// regression tests against the real server. Authentication, transport and the tools' sandbox have
// their own files (auth, transport, test/executors/sandbox).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { onPostgres } from '../support/store.js';
import {
  CreateWorkflowCommand, DeleteRunCommand, GetRunCommand, GetWorkflowCommand, ListRunsInBatchCommand, StartRunBatchCommand,
  StartRunCommand, TagResourceCommand, ThrottlingException, ValidationException, type OmicsClient,
} from '@aws-sdk/client-omics';
import type { DocumentType } from '@smithy/types';
import { needs, assertWorks } from '../executors/harness.js';
import { waitBatchStatus } from '../support/batches.js';
import { s3cp } from '../support/cli.js';
import { ROLE } from '../support/client.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

let server: RunningServer;
let c: OmicsClient;
/** A CWL workflow with a File input, a Directory input and a string: what host-file attacks aim at. */
let wf: string;

before(async () => {
  server = await startServer(['--sim-run-ms', '50']);
  c = server.client;
  wf = await createWorkflow(c, {
    definitionZip: definitionZip({ 'main.cwl': cwlTool('cat', { inputs: { input: 'File', folder: 'Directory?', label: 'string?' } }) }), engine: 'CWL',
  });
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

const startRun = (parameters: DocumentType, outputUri = 's3://out/attacks/') =>
  c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri, parameters }));

/** A raw HTTP request to the server (for bodies the SDK would never send). */
function raw(method: string, pathname: string, body?: string): Promise<{ status: number; type?: string; json: { message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${pathname}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['x-amzn-errortype'] as string | undefined, json: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('run parameters cannot read host files', () => {
  for (const [what, parameters] of [
    ['an absolute path', { input: '/etc/shadow' }],
    ['a relative path that climbs out', { input: '../../../../../etc/passwd' }],
    ['a file: URI in a File object', { input: { class: 'File', location: 'file:///etc/shadow' } }],
    ['a host folder as a Directory', { input: 's3://in/x.txt', folder: '/root' }],
    ['a file: URI in a string parameter', { input: 's3://in/x.txt', label: 'file:///etc/passwd' }],
  ] as const) {
    test(`${what} is refused at StartRun`, async () => {
      await assert.rejects(startRun(parameters), (err: Error) => err instanceof ValidationException && /is not an s3:\/\/ URI/.test(err.message));
    });
  }

  test('engine directives in parameter names are refused (cwl:requirements)', async () => {
    await assert.rejects(startRun({ input: 's3://in/x.txt', 'cwl:requirements': [{ class: 'EnvVarRequirement', envDef: { X: 'y' } }] }), ValidationException);
  });

  test('a batch entry naming a host file fails alone; the other entries run', async () => {
    const batch = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/attacks-batch/' },
      batchRunSettings: { inlineSettings: [{ runSettingId: 'ok', parameters: { input: 's3://in/x.txt' } }, { runSettingId: 'evil', parameters: { input: '/etc/shadow' } }] },
    }));
    const done = await waitBatchStatus(c, batch.id!, ['PROCESSED']);
    assert.equal(done.submissionSummary?.failedStartSubmissionCount, 1);
    const evil = (await c.send(new ListRunsInBatchCommand({ batchId: batch.id, runSettingId: 'evil' }))).runs![0];
    assert.equal(evil.submissionStatus, 'FAILED');
    assert.equal(evil.submissionFailureReason, 'ValidationException');
  });
});

describe('hostile shapes cannot stop the service', () => {
  test('JSON nested 10,000 deep is a ValidationException, not a 500', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const res = await raw('POST', '/run', `{"workflowId":"${wf}","roleArn":"${ROLE}","outputUri":"s3://o/x/","parameters":${deep}}`);
    assert.equal(res.status, 400);
    assert.equal(res.type, 'ValidationException');
    assert.match(res.json.message!, /nests deeper than 64 levels/);
  });

  test('one settings-file entry nested 10,000 deep fails that entry; the batch finishes', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'deep.json');
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    fs.writeFileSync(file, JSON.stringify([{ runSettingId: 'a', parameters: { input: 's3://in/a.txt' } }]).replace(/]$/, `,{"runSettingId":"deep","parameters":{"input":"s3://in/b.txt","label":${deep}}}]`));
    await s3cp(file, 's3://settings/deep.json', server.dataDir);
    const batch = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/deep/' }, batchRunSettings: { s3UriSettings: 's3://settings/deep.json' },
    }));
    const done = await waitBatchStatus(c, batch.id!, ['PROCESSED', 'FAILED'], 30000);
    assert.equal(done.status, 'PROCESSED');
    assert.equal(done.submissionSummary?.successfulStartSubmissionCount, 1);
    const entry = (await c.send(new ListRunsInBatchCommand({ batchId: batch.id, runSettingId: 'deep' }))).runs![0];
    assert.equal(entry.submissionFailureReason, 'ValidationException');
    assert.match(entry.submissionFailureMessage!, /nests deeper than 64 levels/);
  });

  test('tags stop at 50 per resource, however many TagResource calls add them', async () => {
    const run = await startRun({ input: 's3://in/x.txt' });
    for (let i = 0; i < 5; i++) {
      await c.send(new TagResourceCommand({ resourceArn: run.arn, tags: Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`k${i}-${j}`, 'v'])) }));
    }
    await assert.rejects(c.send(new TagResourceCommand({ resourceArn: run.arn, tags: { one: 'more' } })),
      (err: Error) => err instanceof ValidationException && /would have 51 tags; a resource has at most 50/.test(err.message));
    await c.send(new TagResourceCommand({ resourceArn: run.arn, tags: { 'k0-0': 'replaced' } }));
  });

  test('outputUri is checked when the run is requested', async () => {
    for (const outputUri of ['s3://', 's3:///prefix', 's3://b/../../etc/', 's3://b/a/./b/']) {
      await assert.rejects(startRun({ input: 's3://in/x.txt' }, outputUri), ValidationException, outputUri);
    }
  });

  test('an id with leading zeros names nothing', async () => {
    const run = await startRun({ input: 's3://in/x.txt' });
    const res = await raw('GET', `/run/000${run.id}`);
    assert.equal(res.status, 404);
    assert.equal(res.type, 'ResourceNotFoundException');
  });

  test('the definition link is built from omicsd\'s own address, not from the Host header', async () => {
    const port = new URL(server.url).port;
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `/workflow/${wf}?export=DEFINITION`, headers: { host: `localhost:${port}` } }, (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => resolve(t));
      }).on('error', reject);
    });
    const link = new URL(JSON.parse(body).definition);
    assert.equal(link.origin, server.url, 'omicsd\'s own address');
    assert.equal(link.pathname, `/links/workflow/${wf}/definition`);
  });

  test('a zip bomb fails its workflow at the size limit, answering requests meanwhile, in bounded memory', async () => {
    const bomb = definitionZip({ 'main.cwl': new Uint8Array(400 * 1024 * 1024) });
    assert.ok(bomb.length < 4 * 1024 * 1024, `${bomb.length} bytes`);
    const created = await c.send(new CreateWorkflowCommand({ name: 'bomb', definitionZip: bomb }));
    // Inflating 128 MiB takes a while: requests answered meanwhile see the workflow still CREATING.
    const seen = new Set<string>();
    const failed = await eventually(async () => {
      const w = await c.send(new GetWorkflowCommand({ id: created.id }));
      seen.add(w.status!);
      return w.status === 'FAILED' && w;
    }, 60000, 'the bomb to fail', { everyMs: 10 });
    assert.ok(seen.has('CREATING'), `statuses seen: ${[...seen].join(', ')}`);
    assert.match(failed.statusMessage!, /expands to more than 134217728 bytes/);
    // Peak resident memory of the server: the 400 MiB never materialised (it was 2 GB before the limit).
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]);
    assert.ok(peakKb < 700 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MiB`);
  });

  test('zip entries that clash (a file and a folder of one name) fail the workflow cleanly', async () => {
    const created = await c.send(new CreateWorkflowCommand({ definitionZip: definitionZip({ 'main.cwl': cwlTool('true'), main: 'x', 'main/b': 'y' }), main: 'main.cwl' }));
    const failed = await eventually(async () => {
      const w = await c.send(new GetWorkflowCommand({ id: created.id }));
      return w.status !== 'CREATING' && w;
    }, 15000, 'the workflow to be inspected');
    assert.equal(failed.status, 'FAILED');
    assert.match(failed.statusMessage!, /"main" is both a file and a folder/);
  });

  test('a write lock held by another process is a retryable ThrottlingException, not a 500', { skip: onPostgres && 'a SQLite write lock' }, async () => {
    const db = new Database(path.join(server.dataDir, 'omicsd.sqlite'));
    try {
      db.prepare('BEGIN IMMEDIATE').run();
      await assert.rejects(startRun({ input: 's3://in/x.txt' }), ThrottlingException);
    } finally {
      db.prepare('ROLLBACK').run();
      db.close();
    }
    await startRun({ input: 's3://in/x.txt' });
  });

  test('a client that never finishes its headers is cut off with 408', async () => {
    const port = Number(new URL(server.url).port);
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write(`GET /run HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `));
      let text = '';
      sock.on('data', (d) => (text += d));
      sock.on('close', () => resolve(text));
    });
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.match(answer, /RequestTimeoutException/);
  });
});

describe('a deleted run leaves nothing on disk', { skip: needs('cwltool') }, () => {
  test('DeleteRun removes the run folder of a local run', async (t) => {
    assertWorks('cwltool');
    const local = await startServer(['--executor', 'local']);
    t.after(() => local.stop());
    const workflowId = await createWorkflow(local.client, { definitionZip: definitionZip({ 'main.cwl': cwlTool(['echo', 'hi']) }), engine: 'CWL' });
    const run = await local.client.send(new StartRunCommand({ workflowId, roleArn: ROLE, outputUri: 's3://out/deleted/' }));
    await eventually(async () => (await local.client.send(new GetRunCommand({ id: run.id }))).status === 'COMPLETED', 60000, 'the run to complete');
    const dir = path.join(local.dataDir, 'runs', run.id!);
    assert.ok(fs.existsSync(dir));
    await local.client.send(new DeleteRunCommand({ id: run.id }));
    await eventually(() => !fs.existsSync(dir), 10000, 'the run folder to be removed');
  });
});
