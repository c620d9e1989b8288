import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  CreateWorkflowCommand, GetBatchCommand, StartRunBatchCommand, paginateListRuns, paginateListRunsInBatch, waitUntilWorkflowActive,
  type OmicsClient,
} from '@aws-sdk/client-omics';
import { ROLE, cwlZip, eventually, s3cp, startServer, tempDir, writeSettingsFile } from '../support/server.js';

async function workflow(client: OmicsClient) {
  const wf = await client.send(new CreateWorkflowCommand({ definitionZip: cwlZip() }));
  await waitUntilWorkflowActive({ client, maxWaitTime: 20, minDelay: 1 }, { id: wf.id });
  return wf.id!;
}

/** Every entry of the batch and every run carrying its id: the exactly-once evidence. */
async function audit(client: OmicsClient, batchId: string) {
  const entries = [];
  for await (const p of paginateListRunsInBatch({ client, pageSize: 100 }, { batchId })) entries.push(...p.runs!);
  const runs = [];
  for await (const p of paginateListRuns({ client, pageSize: 100 }, { batchId })) runs.push(...p.items!);
  return { entries, runs };
}

test('kill -9 during submission, three times: every runSettingId gets exactly one run and the counts are exact', async () => {
  const dataDir = tempDir();
  const total = 4000;
  const file = path.join(tempDir(), 'settings.json');
  await writeSettingsFile(file, total, (i) => ({ runSettingId: `sample-${i}`, parameters: { n: i } }));
  await s3cp(file, 's3://cohort/settings.json', dataDir);
  const args = ['--sim-run-ms', '0', '--start-run-rate', '1500', '--start-run-burst', '50'];
  let server = await startServer(args, dataDir);
  const workflowId = await workflow(server.client);
  const res = await server.client.send(new StartRunBatchCommand({
    defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://out/', parameters: { msg: 'm' } },
    batchRunSettings: { s3UriSettings: 's3://cohort/settings.json' },
  }));
  const progress = async () => (await server.client.send(new GetBatchCommand({ batchId: res.id }))).submissionSummary?.successfulStartSubmissionCount ?? 0;
  const kills: number[] = [];
  for (const atLeast of [300, 1500, 2800]) {
    const seen = await eventually(async () => {
      const n = await progress();
      return n >= atLeast && n;
    }, 30000, `${atLeast} runs submitted`);
    await server.kill();
    kills.push(seen);
    server = await startServer(args, dataDir);
  }
  try {
    const b = await eventually(async () => {
      const x = await server.client.send(new GetBatchCommand({ batchId: res.id }));
      return x.status === 'PROCESSED' && x;
    }, 60000, 'PROCESSED after restarts');
    assert.ok(kills.every((k) => k < total), `killed mid-submission (${kills.join(', ')})`);
    assert.equal(b.totalRuns, total);
    assert.deepEqual(b.submissionSummary, { successfulStartSubmissionCount: total, failedStartSubmissionCount: 0, pendingStartSubmissionCount: 0 });
    assert.equal(b.runSummary!.completedRunCount, total);
    const { entries, runs } = await audit(server.client, res.id!);
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
  await writeSettingsFile(file, total, (i) => ({ runSettingId: `s${i}`, parameters: { n: i }, runTags: { sample: `s${i}` } }));
  await s3cp(file, 's3://cohort/100k.json', dataDir);
  const server = await startServer(['--sim-run-ms', '0', '--start-run-rate', '0'], dataDir);
  try {
    const workflowId = await workflow(server.client);
    const started = Date.now();
    const res = await server.client.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://out/', parameters: { msg: 'm' } },
      batchRunSettings: { s3UriSettings: 's3://cohort/100k.json' },
    }));
    const b = await eventually(async () => {
      const x = await server.client.send(new GetBatchCommand({ batchId: res.id }));
      assert.notEqual(x.status, 'FAILED', x.failureReason);
      return x.status === 'PROCESSED' && x;
    }, 240000, '100k batch PROCESSED');
    const seconds = (Date.now() - started) / 1000;
    assert.equal(b.totalRuns, total);
    assert.equal(b.submissionSummary!.successfulStartSubmissionCount, total);
    assert.equal(b.runSummary!.completedRunCount, total);
    let count = 0;
    const ids = new Set<string>();
    for await (const p of paginateListRunsInBatch({ client: server.client, pageSize: 100 }, { batchId: res.id })) {
      for (const e of p.runs!) {
        count++;
        ids.add(e.runId!);
      }
    }
    assert.equal(count, total);
    assert.equal(ids.size, total);
    console.log(`# 100k batch: ${seconds.toFixed(1)} s to PROCESSED`);
  } finally {
    await server.stop();
  }
});
