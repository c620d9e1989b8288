import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateWorkflowCommand, GetBatchCommand, GetWorkflowCommand, StartRunBatchCommand, paginateListRunsInBatch, waitUntilWorkflowActive,
} from '@aws-sdk/client-omics';
import { ROLE, cwlZip, eventually, startServer, tempDir, writeSettingsFile, type RunningServer } from '../support/server.js';

// A real S3-protocol server on 127.0.0.1; omicsd reaches it through --s3-endpoint and the standard credential chain.
const creds = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
let s3server: S3rver;
let s3: S3Client;
let omicsd: RunningServer;

before(async () => {
  s3server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: tempDir('omicsd-s3rver-'), configureBuckets: [{ name: 'cohort', configs: [] }] });
  const addr: AddressInfo = await s3server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  s3 = new S3Client({
    endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  omicsd = await startServer(['--sim-run-ms', '0', '--start-run-rate', '0', '--s3-endpoint', endpoint], tempDir(), creds);
});
after(async () => {
  await omicsd.stop();
  s3.destroy();
  await s3server.close();
});

test('settings file and workflow definition from an S3-compatible server', async () => {
  const client = omicsd.client;
  await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'defs/wf.zip', Body: Buffer.from(cwlZip()) }));
  const wf = await client.send(new CreateWorkflowCommand({ name: 'from-s3', definitionUri: 's3://cohort/defs/wf.zip' }));
  await waitUntilWorkflowActive({ client, maxWaitTime: 20, minDelay: 1 }, { id: wf.id });
  assert.equal((await client.send(new GetWorkflowCommand({ id: wf.id }))).engine, 'CWL');

  const file = path.join(tempDir(), 'settings.json');
  await writeSettingsFile(file, 1500, (i) => ({ runSettingId: `s3-${i}`, parameters: { n: i }, name: `sample ${i}` }));
  await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'settings/1500.json', Body: fs.readFileSync(file) }));
  const res = await client.send(new StartRunBatchCommand({
    defaultRunSetting: { workflowId: wf.id, roleArn: ROLE, outputUri: 's3://cohort/out/', parameters: { msg: 'm' } },
    batchRunSettings: { s3UriSettings: 's3://cohort/settings/1500.json' },
  }));
  const b = await eventually(async () => {
    const x = await client.send(new GetBatchCommand({ batchId: res.id }));
    return ['PROCESSED', 'FAILED'].includes(x.status!) && x;
  }, 60000, 'batch done');
  assert.equal(b.status, 'PROCESSED', b.failureReason);
  assert.equal(b.totalRuns, 1500);
  assert.equal(b.submissionSummary!.successfulStartSubmissionCount, 1500);
  const ids = [];
  for await (const p of paginateListRunsInBatch({ client, pageSize: 100 }, { batchId: res.id })) ids.push(...p.runs!.map((e) => e.runSettingId));
  assert.deepEqual(ids, Array.from({ length: 1500 }, (_, i) => `s3-${i}`));
});

test('a missing settings object is ResourceNotFoundException at once; a changed one fails the batch', async () => {
  const client = omicsd.client;
  const wf = await client.send(new CreateWorkflowCommand({ definitionZip: cwlZip() }));
  await waitUntilWorkflowActive({ client, maxWaitTime: 20, minDelay: 1 }, { id: wf.id });
  const defaults = { workflowId: wf.id, roleArn: ROLE, outputUri: 's3://cohort/out/', parameters: { msg: 'm' } };
  await assert.rejects(
    client.send(new StartRunBatchCommand({ defaultRunSetting: defaults, batchRunSettings: { s3UriSettings: 's3://cohort/missing.json' } })),
    (e: any) => e.name === 'ResourceNotFoundException',
  );
  const bad = await (async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'settings/bad.json', Body: '[{"runSettingId":"a"}, oops]' }));
    return client.send(new StartRunBatchCommand({ defaultRunSetting: defaults, batchRunSettings: { s3UriSettings: 's3://cohort/settings/bad.json' } }));
  })();
  const failed = await eventually(async () => {
    const x = await client.send(new GetBatchCommand({ batchId: bad.id }));
    return x.status === 'FAILED' && x;
  }, 20000, 'FAILED');
  assert.equal(failed.failureReason, 'Invalid JSON format in run configurations');
});
