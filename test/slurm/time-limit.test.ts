/*
 * A run whose Slurm job reaches its time limit fails with SLURM_TIMEOUT. Apart from the other Slurm
 * tests so that its minute-long wait overlaps theirs (Slurm's time limits are whole minutes).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetRunCommand, StartRunCommand } from '@aws-sdk/client-omics';
import { assertWorks, needs } from '../executors/harness.js';
import { ROLE } from '../support/client.js';
import { cancelJobsOf, SLURM_ENV, slurm, slurmSkip, startSlurm, submittedJobs } from '../support/slurm.js';
import { startServer, tempDir } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

describe('Slurm executor: time limits', { skip: slurmSkip || needs('cwltool') }, () => {
  before(() => {
    assertWorks('cwltool');
    startSlurm();
  });

  test('a job over its time limit (--slurm-sbatch-args "--time=1") fails its run with SLURM_TIMEOUT', async (t) => {
    const dataDir = tempDir();
    const server = await startServer(['--executor', 'slurm', '--slurm-poll-interval', '0.5', '--slurm-sbatch-args', '--time=1 --comment="omicsd time limit test"'], dataDir, { env: SLURM_ENV });
    t.after(async () => {
      await server.stop();
      cancelJobsOf(dataDir);
    });
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: definitionZip({ 'main.cwl': cwlTool(['sleep', '600']) }), engine: 'CWL' });
    const run = await c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/timeout/' }));
    const ended = await eventually(async () => {
      const r = await c.send(new GetRunCommand({ id: run.id }));
      return r.status !== 'STARTING' && r.status !== 'RUNNING' && r.status !== 'PENDING' ? r : undefined;
    }, 200_000, 'the run to end');
    const jobId = submittedJobs(dataDir, run.id!)[0];
    assert.equal(ended.status, 'FAILED');
    assert.equal(ended.failureReason, 'SLURM_TIMEOUT');
    assert.match(ended.statusMessage!, new RegExp(`Slurm job ${jobId} reached its time limit`));
    const shown = slurm('scontrol', ['show', 'job', jobId, '--oneliner']);
    assert.match(shown, /JobState=TIMEOUT /);
    assert.match(shown, /TimeLimit=00:01:00 /, 'the sbatch arguments reached Slurm');
    assert.match(shown, /Comment=omicsd time limit test /, 'quoted sbatch arguments stay one word');
  });
});
