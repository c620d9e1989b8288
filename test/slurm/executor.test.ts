/*
 * The Slurm executor against a real single-node Slurm cluster (test/support/slurm.ts): runs go to
 * Slurm as one job each through the official SDK, fail with Slurm's reasons, are cancelled with
 * scancel, survive kill -9 of omicsd, and Toil can submit each step as a job of its own.
 */
import { before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  CancelRunBatchCommand, CreateRunCacheCommand, GetBatchCommand, GetRunCommand, ListRunsInBatchCommand, ListRunTasksCommand, StartRunBatchCommand,
  StartRunCommand,
  type GetRunCommandOutput, type OmicsClient,
} from '@aws-sdk/client-omics';
import { assertWorks, needs } from '../executors/harness.js';
import { ROLE } from '../support/client.js';
import { cancelJobsOf, jobIdOf, jobNameOf, jobs, SLURM_ENV, slurm, slurmSkip, privateSlurmConf, startSlurm, submissions } from '../support/slurm.js';
import { startServer, tempDir, type RunningServer } from '../support/server.js';
import { eventually, sleep } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

/**
 * omicsd on Slurm, polling it often so the tests do not wait on the default 5 s. Stopped after the
 * test, and its jobs left in the queue cancelled (they outlive omicsd by design).
 */
async function slurmServer(t: TestContext, args: string[] = [], dataDir = tempDir(), env: NodeJS.ProcessEnv = SLURM_ENV): Promise<RunningServer> {
  const server = await startServer(
    ['--executor', 'slurm', '--slurm-poll-interval', '0.5', '--start-run-rate', '100', '--log-level', 'info', '--log-format', 'json', ...args],
    dataDir, { env },
  );
  t.after(async () => {
    await server.stop();
    cancelJobsOf(dataDir);
  });
  return server;
}

/** A CWL tool writing its `msg` to out.txt after `seconds`. */
const echoTool = (seconds: number) => definitionZip({
  'main.cwl': cwlTool(['sh', '-c', `sleep ${seconds}; echo "$0" > out.txt`], {
    inputs: { msg: { type: 'string', inputBinding: { position: 1 } } },
    outputs: { result: { type: 'File', outputBinding: { glob: 'out.txt' } } },
  }),
});

const failingTool = () => definitionZip({
  'main.cwl': cwlTool(['sh', '-c', 'echo "sample is corrupt: $0" >&2; exit 3'], { inputs: { msg: { type: 'string', inputBinding: { position: 1 } } } }),
});

const sleepTool = (seconds: number) => definitionZip({ 'main.cwl': cwlTool(['sleep', String(seconds)]) });

/** The file under a run's output as omicsd's embedded object store keeps it. */
function output(dataDir: string, runOutputUri: string, name: string): string {
  const local = runOutputUri.replace(/^s3:\/\/([^/]+)\//, (_m, bucket) => path.join(dataDir, 'objects', bucket, 'data') + '/');
  return fs.readFileSync(path.join(local, 'out', name), 'utf8');
}

async function finished(c: OmicsClient, id: string, ms = 120_000): Promise<GetRunCommandOutput> {
  return eventually(async () => {
    const r = await c.send(new GetRunCommand({ id }));
    return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(r.status!) ? r : undefined;
  }, ms, `run ${id} to finish`);
}

async function batchRuns(c: OmicsClient, batchId: string, n: number): Promise<string[]> {
  return eventually(async () => {
    const runs = (await c.send(new ListRunsInBatchCommand({ batchId, maxItems: 100 }))).runs ?? [];
    return runs.filter((r) => r.runId).length === n && runs.map((r) => r.runId!);
  }, 60_000, `the batch to submit its ${n} runs`);
}

const runDone = (s?: string) => s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED';

describe('Slurm executor', { skip: slurmSkip || needs('cwltool') }, () => {
  before(() => {
    assertWorks('cwltool');
    startSlurm();
  });

  test('a CWL batch of 20 runs: every run COMPLETED with its outputs, one Slurm job each, never more at once than allowed', async (t) => {
    const server = await slurmServer(t, ['--max-concurrent-runs', '4']);
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: echoTool(1), engine: 'CWL' });
    const ids = Array.from({ length: 20 }, (_, i) => `sample-${String(i + 1).padStart(2, '0')}`);
    const started = Date.now();
    const batch = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/slurm20/' },
      batchRunSettings: { inlineSettings: ids.map((runSettingId) => ({ runSettingId, parameters: { msg: runSettingId } })) },
    }));
    const runIds = await batchRuns(c, batch.id!, 20);
    const names = new Set(runIds.map((id) => jobNameOf(server.dataDir, id)));
    // Sample Slurm's queue while the batch runs: omicsd's jobs not yet ended never exceed the limit.
    let most = 0;
    for (;;) {
      const live = jobs().filter((j) => names.has(j.name) && ['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING'].includes(j.state));
      most = Math.max(most, live.length);
      const b = await c.send(new GetBatchCommand({ batchId: batch.id }));
      if (b.status === 'PROCESSED') break;
      assert.ok(Date.now() - started < 240_000, `the batch is PROCESSED within 4 minutes (${b.status})`);
      await sleep(200);
    }
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`20-run CWL batch through Slurm: ${seconds.toFixed(1)} s, at most ${most} jobs at once`);
    assert.ok(most <= 4, `at most 4 jobs queued or running at once (--max-concurrent-runs 4), saw ${most}`);
    assert.ok(most >= 2, `jobs ran side by side (saw ${most})`);

    const jobIds = new Set<string>();
    const runs = (await c.send(new ListRunsInBatchCommand({ batchId: batch.id, maxItems: 100 }))).runs!;
    for (const r of runs) {
      const run = await c.send(new GetRunCommand({ id: r.runId }));
      assert.equal(run.status, 'COMPLETED', `${r.runSettingId}: ${run.failureReason} ${run.statusMessage}`);
      assert.equal(output(server.dataDir, run.runOutputUri!, 'out.txt'), `${r.runSettingId}\n`, 'its own output under runOutputUri');
      const jobId = jobIdOf(server.dataDir, run.id!);
      assert.ok(jobId, `run ${run.id} recorded its Slurm job`);
      jobIds.add(jobId);
      assert.equal(submissions(server.dataDir, run.id!), 1, `run ${run.id} was submitted once`);
      const shown = slurm('scontrol', ['show', 'job', jobId, '--oneliner']);
      assert.match(shown, new RegExp(`JobName=${jobNameOf(server.dataDir, run.id!)} `), 'Slurm knows the job by the run id');
      assert.match(shown, /JobState=COMPLETED /);
    }
    assert.equal(jobIds.size, 20, 'one Slurm job per run');
  });

  test('a failing tool fails its run with the tool\'s message; a job cancelled behind omicsd\'s back fails with a reason that says so', async (t) => {
    const server = await slurmServer(t);
    const c = server.client;
    const bad = await createWorkflow(c, { definitionZip: failingTool(), engine: 'CWL' });
    const slow = await createWorkflow(c, { definitionZip: sleepTool(120), engine: 'CWL' });
    const failing = await c.send(new StartRunCommand({ workflowId: bad, roleArn: ROLE, outputUri: 's3://out/fail/', parameters: { msg: 'NA12878' } }));
    const victim = await c.send(new StartRunCommand({ workflowId: slow, roleArn: ROLE, outputUri: 's3://out/victim/' }));

    const failed = await finished(c, failing.id!);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.failureReason, 'ENGINE_FAILED');
    assert.match(failed.statusMessage!, /sample is corrupt: NA12878/);

    await eventually(async () => (await c.send(new GetRunCommand({ id: victim.id }))).status === 'RUNNING', 60_000, 'the victim to run');
    const jobId = jobIdOf(server.dataDir, victim.id!)!;
    slurm('scancel', [jobId]);
    const cancelled = await finished(c, victim.id!);
    assert.equal(cancelled.status, 'FAILED');
    assert.equal(cancelled.failureReason, 'SLURM_JOB_CANCELLED');
    assert.match(cancelled.statusMessage!, new RegExp(`Slurm job ${jobId} was cancelled outside omicsd`));
  });

  test('a run cache on Slurm: the second run of the same input reuses the step the first one ran as a job', async (t) => {
    const server = await slurmServer(t);
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: echoTool(3), engine: 'CWL' });
    const cache = await c.send(new CreateRunCacheCommand({ cacheS3Location: 's3://out/slurm-cache/', cacheBehavior: 'CACHE_ALWAYS' }));
    const start = async () => (await c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/cached/', parameters: { msg: 'same' }, cacheId: cache.id }))).id!;
    const first = await finished(c, await start());
    assert.equal(first.status, 'COMPLETED', first.statusMessage);
    const second = await finished(c, await start());
    assert.equal(second.status, 'COMPLETED', second.statusMessage);
    const [task] = (await c.send(new ListRunTasksCommand({ id: second.id }))).items!;
    assert.equal(task.cacheHit, true);
    assert.match(task.cacheS3Uri!, /^s3:\/\/out\/slurm-cache\/cwltool\/[0-9a-f]{32}\/$/);
    assert.equal(output(server.dataDir, second.runOutputUri!, 'out.txt').trim(), 'same');
    assert.ok(jobIdOf(server.dataDir, second.id!), 'the cached run was a Slurm job too');
  });

  test('CancelRunBatch with jobs queued in Slurm and running: every run CANCELLED and no job left in the queue', async (t) => {
    // Twelve one-CPU jobs on the test node's 8 CPUs: some run, the rest wait in Slurm's queue.
    const server = await slurmServer(t, ['--max-concurrent-runs', '0']);
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: sleepTool(300), engine: 'CWL' });
    const batch = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/cancel/' },
      batchRunSettings: { inlineSettings: Array.from({ length: 12 }, (_, i) => ({ runSettingId: `s${i}` })) },
    }));
    const runIds = await batchRuns(c, batch.id!, 12);
    const names = new Set(runIds.map((id) => jobNameOf(server.dataDir, id)));
    await eventually(() => {
      const mine = jobs().filter((j) => names.has(j.name));
      return mine.length === 12 && mine.some((j) => j.state === 'RUNNING') && mine.some((j) => j.state === 'PENDING');
    }, 90_000, 'jobs both running and queued in Slurm');
    // Runs whose jobs wait in Slurm's queue stay STARTING; those whose jobs run are RUNNING.
    await eventually(async () => {
      const statuses = await Promise.all(runIds.map(async (id) => (await c.send(new GetRunCommand({ id }))).status));
      return statuses.includes('STARTING') && statuses.includes('RUNNING');
    }, 30_000, 'runs both STARTING (queued in Slurm) and RUNNING');

    await c.send(new CancelRunBatchCommand({ batchId: batch.id }));
    for (const id of runIds) assert.equal((await finished(c, id, 30_000)).status, 'CANCELLED');
    await eventually(() => {
      const left = jobs().filter((j) => names.has(j.name) && j.state !== 'CANCELLED');
      return left.length === 0;
    }, 60_000, 'every job of the batch to leave Slurm\'s queue as CANCELLED');
  });

  test('kill -9 while runs are in Slurm: after the restart the same runs finish COMPLETED, one job each', async (t) => {
    const dataDir = tempDir();
    let server = await slurmServer(t, ['--max-concurrent-runs', '4'], dataDir);
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: echoTool(6), engine: 'CWL' });
    const batch = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/crash/' },
      batchRunSettings: { inlineSettings: ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ runSettingId: id, parameters: { msg: id } })) },
    }));
    const runIds = await batchRuns(c, batch.id!, 6);
    await eventually(async () => (await Promise.all(runIds.map((id) => c.send(new GetRunCommand({ id }))))).some((r) => r.status === 'RUNNING'), 60_000, 'a run to be RUNNING');

    await server.kill();
    // Long enough for the running jobs to end while omicsd is down: their outcome is read after the restart.
    await sleep(8000);
    server = await slurmServer(t, ['--max-concurrent-runs', '4'], dataDir);
    for (const id of runIds) {
      const run = await finished(server.client, id);
      assert.equal(run.status, 'COMPLETED', `${id}: ${run.failureReason} ${run.statusMessage}`);
      assert.equal(submissions(dataDir, id), 1, `run ${id} was submitted to Slurm once`);
      assert.equal(jobs().filter((j) => j.name === jobNameOf(dataDir, id)).length, 1, `run ${id} has one Slurm job`);
      assert.equal(output(dataDir, run.runOutputUri!, 'out.txt').trim().length > 0, true);
    }
    assert.match(server.stderr(), /recovery: run \d+: (its engine \(cwltool\) ended while omicsd was down|re-attached to cwltool \(Slurm job \d+\))/);
    const done = await eventually(async () => {
      const b = await server.client.send(new GetBatchCommand({ batchId: batch.id }));
      return b.status === 'PROCESSED' && b;
    }, 30_000, 'the batch to be PROCESSED');
    assert.equal(done.runSummary?.completedRunCount, 6);
  });

  test('omicsd killed between sbatch and recording the job id: the restart adopts the job instead of submitting again', async (t) => {
    const dataDir = tempDir();
    let server = await slurmServer(t, [], dataDir);
    const wf = await createWorkflow(server.client, { definitionZip: echoTool(8), engine: 'CWL' });
    const run = await server.client.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/adopt/', parameters: { msg: 'adopted' } }));
    await eventually(async () => (await server.client.send(new GetRunCommand({ id: run.id }))).status === 'RUNNING', 60_000, 'the run to be RUNNING');
    await server.kill();
    // What a crash right after sbatch leaves: the record written before the submission, without the job id.
    const recordFile = path.join(dataDir, 'runs', run.id!, 'engine.pid');
    const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as { jobId?: string };
    const jobId = record.jobId;
    delete record.jobId;
    fs.writeFileSync(recordFile, JSON.stringify(record));
    server = await slurmServer(t, [], dataDir);
    const done = await finished(server.client, run.id!);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.equal(output(dataDir, done.runOutputUri!, 'out.txt'), 'adopted\n');
    assert.equal(jobs().filter((j) => j.name === jobNameOf(dataDir, run.id!)).length, 1, 'still one Slurm job for the run');
    assert.equal(jobIdOf(dataDir, run.id!), jobId, 'the record names the adopted job again');
  });

  test('restarted with --executor slurm while a local run is active: the run fails EXECUTOR_CHANGED, and the local executor stops its engine later', async (t) => {
    const dataDir = tempDir();
    // A sleep this test alone runs: its fractional seconds tell it apart in /proc.
    const seconds = `300.${Date.now() % 100000}`;
    const local = await startServer(['--executor', 'local', '--log-level', 'info', '--log-format', 'json'], dataDir);
    const wf = await createWorkflow(local.client, { definitionZip: definitionZip({ 'main.cwl': cwlTool(['sleep', seconds]) }), engine: 'CWL' });
    const run = await local.client.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/switch/' }));
    const sleeping = () => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).some((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${seconds}\0`;
      } catch {
        return false;
      }
    });
    await eventually(sleeping, 60_000, 'the local tool to run');
    await local.kill();

    const slurmSide = await slurmServer(t, [], dataDir);
    const failed = await finished(slurmSide.client, run.id!);
    assert.equal(failed.failureReason, 'EXECUTOR_CHANGED');
    assert.match(failed.statusMessage!, /started by --executor local, and omicsd now runs with --executor slurm/);
    assert.ok(sleeping(), 'the Slurm executor leaves the local engine alone');
    await slurmSide.stop();

    const again = await startServer(['--executor', 'local'], dataDir);
    t.after(() => again.stop());
    await eventually(() => !sleeping(), 30_000, 'the local executor to stop its orphaned engine');
  });

  test('the controller down while runs are submitted: sbatch is retried with backoff, and the runs complete once it is back', async (t) => {
    // Down for this omicsd only: the other test files share the cluster.
    const conf = privateSlurmConf(tempDir());
    const server = await slurmServer(t, [], tempDir(), conf.env);
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: echoTool(1), engine: 'CWL' });
    conf.cut();
    const ids: string[] = [];
    for (const msg of ['x', 'y', 'z']) ids.push((await c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/outage/', parameters: { msg } }))).id!);
    await eventually(() => /the Slurm controller is busy; submitting again in/.test(server.stderr()), 60_000, 'omicsd to back off');
    for (const id of ids) assert.equal((await c.send(new GetRunCommand({ id }))).status, 'STARTING', 'a busy controller does not fail runs');
    conf.restore();
    for (const id of ids) {
      const run = await finished(c, id);
      assert.equal(run.status, 'COMPLETED', `${id}: ${run.failureReason} ${run.statusMessage}`);
      assert.equal(submissions(server.dataDir, id), 1, `run ${id} has one job`);
    }
  });

  test('Toil with --slurm-toil-steps: each step of a two-step CWL workflow runs as a Slurm job of its own', { skip: needs('toil-cwl-runner') }, async (t) => {
    assertWorks('toil-cwl-runner');
    // The steps run as the sandbox's user outside the sandbox: the data dir must be open to it.
    const dataDir = tempDir();
    fs.chmodSync(dataDir, 0o755);
    const server = await slurmServer(t, ['--engine-cwl', 'toil-cwl-runner', '--slurm-toil-steps'], dataDir);
    const c = server.client;
    const tool = (name: string, script: string, input: object) => cwlTool(['sh', '-c', script], {
      inputs: input, outputs: { out: { type: 'File', outputBinding: { glob: `${name}.txt` } } },
    });
    const zip = definitionZip({
      'main.cwl': [
        'cwlVersion: v1.2', 'class: Workflow', 'inputs:', '  msg: string', 'outputs:', '  result: {type: File, outputSource: second/out}',
        'steps:', '  first:', '    run: first.cwl', '    in: {msg: msg}', '    out: [out]',
        '  second:', '    run: second.cwl', '    in: {inp: first/out}', '    out: [out]', '',
      ].join('\n'),
      'first.cwl': tool('first', 'echo "first: $0" > first.txt', { msg: { type: 'string', inputBinding: { position: 1 } } }),
      'second.cwl': tool('second', 'cat "$0" > second.txt; echo second >> second.txt', { inp: { type: 'File', inputBinding: { position: 1 } } }),
    });
    const wf = await createWorkflow(c, { definitionZip: zip, engine: 'CWL', main: 'main.cwl' });
    const before = new Set(jobs().map((j) => j.id));
    const run = await c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/toil/', parameters: { msg: 'hi' } }));
    const done = await finished(c, run.id!, 180_000);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.equal(output(server.dataDir, done.runOutputUri!, 'second.txt'), 'first: hi\nsecond\n');
    const runJob = jobIdOf(server.dataDir, run.id!);
    const steps = jobs().filter((j) => !before.has(j.id) && j.name.startsWith('toil_job_'));
    t.diagnostic(`run job ${runJob}; step jobs: ${steps.map((j) => `${j.id} ${j.name} (${j.user})`).join(', ')}`);
    for (const step of ['first', 'second']) {
      assert.ok(steps.some((j) => j.name.includes(`.${step}.cwl`)), `step ${step} ran as a Slurm job of its own, apart from the run's job ${runJob}`);
    }
    assert.ok(steps.every((j) => j.state === 'COMPLETED' && j.id !== runJob));
    // The steps are the sandbox's user, not omicsd's.
    assert.ok(steps.every((j) => j.user === 'nobody'), steps.map((j) => j.user).join(' '));
    assert.ok(runDone(done.status));
  });
});
