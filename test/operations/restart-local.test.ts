// Restarts lose no run (docs/operations.md, "Restarts"): runs executing in cwltool when the server
// gets SIGTERM, or kill -9, finish COMPLETED after it starts again, each launched exactly once.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { GetBatchCommand, GetRunCommand, ListRunsInBatchCommand, StartRunBatchCommand, StartRunCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { assertWorks, needs } from '../executors/harness.js';
import { ROLE } from '../support/client.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';


/** A CWL tool that works for `seconds`, then writes `done.txt` (its output). */
const slowTool = (seconds: number) => definitionZip({
  'main.cwl': cwlTool(['sh', '-c', `sleep ${seconds}; echo done > done.txt`], { outputs: { result: { type: 'File', outputBinding: { glob: 'done.txt' } } } }),
});

const local = (dataDir: string) => startServer(['--executor', 'local', '--max-concurrent-runs', '4', '--log-level', 'info', '--log-format', 'json'], dataDir);

async function status(c: OmicsClient, id: string) {
  return (await c.send(new GetRunCommand({ id }))).status;
}

/** The engine log's launch lines (`omicsd: <time> run <id>: <command>`): one per engine start. */
const launches = (dataDir: string, runId: string) =>
  (fs.readFileSync(path.join(dataDir, 'runs', runId, 'engine.log'), 'utf8').match(/^omicsd: \S+ run \d+: /gm) ?? []).length;

/** Whether a process running `sleep <seconds>` exists (the tool inside an engine). */
const toolRunning = (seconds: number) => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).some((pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${seconds}\0`;
  } catch {
    return false;
  }
});

async function runsRunning(c: OmicsClient, ids: string[], seconds: number) {
  await eventually(async () => (await Promise.all(ids.map((id) => status(c, id)))).every((s) => s === 'RUNNING'), 30000, 'the runs to be RUNNING');
  await eventually(() => toolRunning(seconds), 30000, 'the tools to run');
}

async function assertCompletedOnce(server: RunningServer, ids: string[]) {
  for (const id of ids) {
    const run = await eventually(async () => {
      const r = await server.client.send(new GetRunCommand({ id }));
      return r.status === 'COMPLETED' || r.status === 'FAILED' ? r : undefined;
    }, 60000, `run ${id} to finish`);
    assert.equal(run.status, 'COMPLETED', `${id}: ${run.failureReason} ${run.statusMessage}`);
    assert.equal(launches(server.dataDir, id), 1, `run ${id} launched once`);
    const out = run.runOutputUri!.replace(/^s3:\/\/([^/]+)\//, (_m, bucket) => path.join(server.dataDir, 'objects', bucket, 'data') + '/');
    assert.equal(fs.readFileSync(path.join(out, 'out', 'done.txt'), 'utf8'), 'done\n');
  }
}

describe('restarts with runs executing in cwltool', { skip: needs('cwltool') }, () => {
  before(() => assertWorks('cwltool'));
  test('SIGTERM: the engines keep running, and after the restart the same runs finish COMPLETED', async (t) => {
    const dataDir = tempDir();
    let server = await local(dataDir);
    t.after(() => server.stop());
    const wf = await createWorkflow(server.client, { definitionZip: slowTool(5), engine: 'CWL' });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await server.client.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/restart/' }))).id!);
    await runsRunning(server.client, ids, 5);

    assert.equal(await server.stop(), 0, 'SIGTERM stops omicsd cleanly');
    assert.ok(toolRunning(5), 'the tools outlive the stopped server');
    server = await local(dataDir);
    await assertCompletedOnce(server, ids);
    assert.match(server.stderr(), /recovery: 2 runs were active/);
  });

  test('kill -9 during a batch: its runs finish COMPLETED after the restart, one engine each, the batch PROCESSED', async (t) => {
    const dataDir = tempDir();
    let server = await local(dataDir);
    t.after(() => server.stop());
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: slowTool(6), engine: 'CWL' });
    const batch = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/crash/' },
      batchRunSettings: { inlineSettings: ['a', 'b', 'c'].map((runSettingId) => ({ runSettingId })) },
    }));
    const ids = await eventually(async () => {
      const runs = (await c.send(new ListRunsInBatchCommand({ batchId: batch.id }))).runs ?? [];
      return runs.length === 3 && runs.map((r) => r.runId!);
    }, 30000, 'the batch to submit its runs');
    await runsRunning(c, ids, 6);

    await server.kill();
    assert.ok(toolRunning(6), 'the tools outlive the killed server');
    server = await local(dataDir);
    await assertCompletedOnce(server, ids);
    const done = await eventually(async () => {
      const b = await server.client.send(new GetBatchCommand({ batchId: batch.id }));
      return b.status === 'PROCESSED' && b;
    }, 30000, 'the batch to be PROCESSED');
    assert.equal(done.runSummary?.completedRunCount, 3);
    assert.equal(done.submissionSummary?.successfulStartSubmissionCount, 3);
  });
});
