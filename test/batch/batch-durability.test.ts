import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { StartRunBatchCommand } from '@aws-sdk/client-omics';
import { submitted, waitBatch } from '../support/batches.js';
import { s3cp } from '../support/cli.js';
import { ROLE } from '../support/client.js';
import { allBatchEntries, allRuns } from '../support/lists.js';
import { tempDir } from '../support/paths.js';
import { startServer } from '../support/server.js';
import { writeSettingsFile } from '../support/settings-file.js';
import { createWorkflow } from '../support/workflows.js';

test('kill -9 during submission, three times: every runSettingId gets exactly one run and the counts are exact', async () => {
  const dataDir = tempDir();
  const total = 4000;
  const file = path.join(tempDir(), 'settings.json');
  writeSettingsFile(file, total, (i) => ({ runSettingId: `sample-${i}`, parameters: { n: i } }));
  await s3cp(file, 's3://cohort/settings.json', dataDir);
  const args = ['--sim-run-ms', '0', '--start-run-rate', '1500', '--start-run-burst', '50'];
  let server = await startServer(args, dataDir);
  const workflowId = await createWorkflow(server.client);
  const res = await server.client.send(new StartRunBatchCommand({
    defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://out/', parameters: { msg: 'm' } },
    batchRunSettings: { s3UriSettings: 's3://cohort/settings.json' },
  }));
  const kills: number[] = [];
  for (const atLeast of [300, 1500, 2800]) {
    const seen = submitted(await waitBatch(server.client, res.id!, (b) => submitted(b) >= atLeast, 30000, `${atLeast} runs submitted`));
    await server.kill();
    kills.push(seen);
    server = await startServer(args, dataDir);
  }
  try {
    const b = await waitBatch(server.client, res.id!, (x) => x.status === 'PROCESSED', 60000, 'PROCESSED after restarts');
    assert.ok(kills.every((k) => k < total), `killed mid-submission (${kills.join(', ')})`);
    assert.equal(b.totalRuns, total);
    assert.deepEqual(b.submissionSummary, { successfulStartSubmissionCount: total, failedStartSubmissionCount: 0, pendingStartSubmissionCount: 0 });
    assert.equal(b.runSummary!.completedRunCount, total);
    // Every entry of the batch and every run carrying its id: the exactly-once evidence.
    const entries = await allBatchEntries(server.client, res.id!);
    const runs = await allRuns(server.client, { batchId: res.id });
    assert.equal(entries.length, total);
    assert.equal(new Set(entries.map((e) => e.runSettingId)).size, total, 'one entry per runSettingId');
    assert.equal(runs.length, total, 'one run per entry, none twice');
    assert.deepEqual(new Set(entries.map((e) => e.runId)), new Set(runs.map((r) => r.id)));
  } finally {
    await server.stop();
  }
});

test('a 100,000-entry settings file runs end to end at an uncapped rate', async () => {
  const dataDir = tempDir();
  const total = 100_000;
  const file = path.join(tempDir(), 'settings.json');
  writeSettingsFile(file, total, (i) => ({ runSettingId: `s${i}`, parameters: { n: i }, runTags: { sample: `s${i}` } }));
  await s3cp(file, 's3://cohort/100k.json', dataDir);
  const server = await startServer(['--sim-run-ms', '0', '--start-run-rate', '0'], dataDir);
  try {
    const workflowId = await createWorkflow(server.client);
    const started = Date.now();
    const res = await server.client.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://out/', parameters: { msg: 'm' } },
      batchRunSettings: { s3UriSettings: 's3://cohort/100k.json' },
    }));
    const b = await waitBatch(server.client, res.id!, (x) => {
      assert.notEqual(x.status, 'FAILED', x.failureReason);
      return x.status === 'PROCESSED';
    }, 240000, '100k batch PROCESSED');
    const seconds = (Date.now() - started) / 1000;
    assert.equal(b.totalRuns, total);
    assert.equal(b.submissionSummary!.successfulStartSubmissionCount, total);
    assert.equal(b.runSummary!.completedRunCount, total);
    const entries = await allBatchEntries(server.client, res.id!);
    assert.equal(entries.length, total);
    assert.equal(new Set(entries.map((e) => e.runId)).size, total);
    console.log(`# 100k batch: ${seconds.toFixed(1)} s to PROCESSED`);
  } finally {
    await server.stop();
  }
});
