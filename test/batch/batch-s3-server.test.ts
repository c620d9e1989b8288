import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetWorkflowCommand, StartRunBatchCommand } from '@aws-sdk/client-omics';
import { waitBatch, waitBatchStatus } from '../support/batches.js';
import { ROLE } from '../support/client.js';
import { allBatchEntries } from '../support/lists.js';
import { tempDir } from '../support/paths.js';
import { startS3rver, type S3Server } from '../support/s3rver.js';
import { startServer, type RunningServer } from '../support/server.js';
import { writeSettingsFile } from '../support/settings-file.js';
import { createWorkflow, cwlZip } from '../support/workflows.js';

// A real S3-protocol server on 127.0.0.1; omicsd reaches it through --s3-endpoint and the standard credential chain.
let s3server: S3Server;
let s3: S3Client;
let omicsd: RunningServer;
let endpointUrl = '';

before(async () => {
  s3server = await startS3rver(['cohort']);
  ({ s3, endpoint: endpointUrl } = s3server);
  omicsd = await startServer(['--sim-run-ms', '0', '--start-run-rate', '0', '--s3-endpoint', endpointUrl], tempDir(), { env: s3server.env });
});
after(async () => {
  await omicsd.stop();
  await s3server.close();
});

test('settings file and workflow definition from an S3-compatible server', async () => {
  const client = omicsd.client;
  await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'defs/wf.zip', Body: Buffer.from(cwlZip()) }));
  const wf = await createWorkflow(client, { name: 'from-s3', definitionUri: 's3://cohort/defs/wf.zip' });
  assert.equal((await client.send(new GetWorkflowCommand({ id: wf }))).engine, 'CWL');

  const file = path.join(tempDir(), 'settings.json');
  writeSettingsFile(file, 1500, (i) => ({ runSettingId: `s3-${i}`, parameters: { n: i }, name: `sample ${i}` }));
  await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'settings/1500.json', Body: fs.readFileSync(file) }));
  const res = await client.send(new StartRunBatchCommand({
    defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://cohort/out/', parameters: { msg: 'm' } },
    batchRunSettings: { s3UriSettings: 's3://cohort/settings/1500.json' },
  }));
  const b = await waitBatchStatus(client, res.id!, ['PROCESSED', 'FAILED'], 60000);
  assert.equal(b.status, 'PROCESSED', b.failureReason);
  assert.equal(b.totalRuns, 1500);
  assert.equal(b.submissionSummary!.successfulStartSubmissionCount, 1500);
  const ids = (await allBatchEntries(client, res.id!)).map((e) => e.runSettingId);
  assert.deepEqual(ids, Array.from({ length: 1500 }, (_, i) => `s3-${i}`));
});

test('a missing settings object is ResourceNotFoundException at once; a changed one fails the batch', async () => {
  const client = omicsd.client;
  const wf = await createWorkflow(client);
  const defaults = { workflowId: wf, roleArn: ROLE, outputUri: 's3://cohort/out/', parameters: { msg: 'm' } };
  await assert.rejects(
    client.send(new StartRunBatchCommand({ defaultRunSetting: defaults, batchRunSettings: { s3UriSettings: 's3://cohort/missing.json' } })),
    (e: any) => e.name === 'ResourceNotFoundException',
  );
  const bad = await (async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'settings/bad.json', Body: '[{"runSettingId":"a"}, oops]' }));
    return client.send(new StartRunBatchCommand({ defaultRunSetting: defaults, batchRunSettings: { s3UriSettings: 's3://cohort/settings/bad.json' } }));
  })();
  const failed = await waitBatchStatus(client, bad.id!, ['FAILED'], 20000);
  assert.equal(failed.failureReason, 'Invalid JSON format in run configurations');
});

test('with --s3-endpoint, the definition link of a workflow from definitionUri is an S3 presigned URL of that object', async () => {
  const client = omicsd.client;
  const zip = Buffer.from(cwlZip());
  await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'defs/presigned.zip', Body: zip }));
  const wf = await createWorkflow(client, { name: 'presigned', definitionUri: 's3://cohort/defs/presigned.zip' });
  const got = await client.send(new GetWorkflowCommand({ id: wf, export: ['DEFINITION'] }));
  const link = new URL(got.definition!);
  assert.equal(link.origin, endpointUrl, 'served by the S3 store itself');
  assert.equal(link.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
  assert.equal(link.searchParams.get('X-Amz-Expires'), '900');
  const res = await fetch(link);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), zip);
  // s3rver does not verify signatures, so tamper-evidence of these links is the S3 store's own.
  assert.match(link.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
});

