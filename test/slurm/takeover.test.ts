/*
 * Two omicsd instances with the Slurm executor on one PostgreSQL database (docs/scale-out.md, "Slurm
 * runs of a dead instance"): the instance that submitted the jobs is killed with kill -9, the other
 * takes its runs over and finishes them from their jobs; the dead one, restarted, leaves them alone,
 * and a cancel made through it reaches the job through the instance that follows the run now.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CancelRunCommand, GetRunCommand, StartRunCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { assertWorks, needs } from '../executors/harness.js';
import { ROLE } from '../support/client.js';
import { cancelJobsOf, jobIdOf, slurm, SLURM_ENV, slurmSkip, startSlurm, submissions } from '../support/slurm.js';
import { startS3rver, type S3Server } from '../support/s3rver.js';
import { startServer, tempDir, type RunningServer } from '../support/server.js';
import { dropTestDatabase, testDatabase } from '../support/store.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

/** A CWL tool writing its `msg` to out.txt after `seconds`. */
const echoTool = (seconds: number) => definitionZip({
  'main.cwl': cwlTool(['sh', '-c', `sleep ${seconds}; echo "$0" > out.txt`], {
    inputs: { msg: { type: 'string', inputBinding: { position: 1 } } },
    outputs: { result: { type: 'File', outputBinding: { glob: 'out.txt' } } },
  }),
});

const status = async (c: OmicsClient, id: string) => (await c.send(new GetRunCommand({ id }))).status;

describe('Slurm runs of a dead instance', { skip: slurmSkip || needs('cwltool') }, () => {
  let objects: S3Server;

  before(async () => {
    assertWorks('cwltool');
    startSlurm();
    objects = await startS3rver(['out']);
  });
  after(() => objects.close());

  test('kill -9 of the instance that submitted the jobs: another takes the runs over and finishes them, each from its one job', async (t) => {
    const [dirA, dirB] = [tempDir(), tempDir()];
    const url = await testDatabase(dirA);
    const args = ['--database-url', url, '--s3-endpoint', objects.endpoint, '--lease-seconds', '2', '--executor', 'slurm', '--slurm-poll-interval', '0.5',
      '--start-run-rate', '100', '--log-level', 'info', '--log-format', 'json'];
    const env = { ...objects.env, ...SLURM_ENV };
    const servers: RunningServer[] = [];
    const db = new pg.Client({ connectionString: url });
    t.after(async () => {
      await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
      await db.end();
      cancelJobsOf(dirA);
      await dropTestDatabase(url);
    });
    // A alone first, so that it is A that starts the runs and submits their jobs.
    let a = await startServer(args, dirA, { env });
    servers.push(a);
    await db.connect();
    const wf = await createWorkflow(a.client, { definitionZip: echoTool(12), engine: 'CWL' });
    const samples = ['NA12878', 'NA12891', 'NA12892'];
    const ids: string[] = [];
    for (const msg of samples) {
      ids.push((await a.client.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: `s3://out/${msg}/`, parameters: { msg } }))).id!);
    }
    await eventually(async () => (await Promise.all(ids.map((id) => status(a.client, id)))).every((s) => s === 'RUNNING'), 90_000, 'the jobs to run');
    const owner = async () => (await db.query('SELECT id::text, instance_id FROM runs ORDER BY id')).rows.map((r) => r.instance_id as string);
    const idA = (await owner())[0];
    assert.deepEqual(await owner(), [idA, idA, idA], 'A runs all three');

    const b = await startServer(args, dirB, { env });
    servers.push(b);
    await a.kill();
    servers.splice(servers.indexOf(a), 1);
    const killedAt = Date.now();
    const idB = await eventually(async () => {
      const o = await owner();
      return o.every((i) => i !== idA) && o[0];
    }, 20_000, 'B to take the runs over');
    const tookMs = Date.now() - killedAt;
    t.diagnostic(`runs taken over ${(tookMs / 1000).toFixed(1)} s after kill -9 (lease 2 s)`);
    assert.deepEqual(await owner(), [idB, idB, idB]);
    assert.notEqual(idB, idA);
    await eventually(() => b.stderr().includes(`took over 3 runs of instance ${idA}`), 5000, 'B to say it took them over');

    // A comes back while B follows its jobs: it must leave them running, and a cancel made through it reaches its job.
    a = await startServer(args, dirA, { env });
    servers.push(a);
    const cancelled = ids[2];
    const cancelledJob = jobIdOf(dirA, cancelled)!;
    await a.client.send(new CancelRunCommand({ id: cancelled }));
    await eventually(() => /JobState=CANCELLED /.test(slurm('scontrol', ['show', 'job', cancelledJob, '--oneliner'])), 30_000,
      'the cancelled run\'s job to be cancelled by B');

    for (const [i, id] of ids.slice(0, 2).entries()) {
      const run = await eventually(async () => {
        const r = await b.client.send(new GetRunCommand({ id }));
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(r.status!) && r;
      }, 120_000, `run ${id} to finish`);
      assert.equal(run.status, 'COMPLETED', `${run.failureReason} ${run.statusMessage}`);
      assert.equal(submissions(dirA, id), 1, `run ${id} had one job`);
      assert.match(fs.readFileSync(path.join(dirA, 'runs', id, 'engine.log'), 'utf8'), /took it over: re-attached to \S+ \(Slurm job \d+\)/,
        'its log says who follows it now');
      assert.match(slurm('scontrol', ['show', 'job', jobIdOf(dirA, id)!, '--oneliner']), /JobState=COMPLETED /, 'its one job ran to its end');
      const key = `${run.runOutputUri!.replace(/^s3:\/\/out\//, '').replace(/\/?$/, '/')}out/out.txt`;
      const out = await objects.s3.send(new GetObjectCommand({ Bucket: 'out', Key: key }));
      assert.equal(await out.Body!.transformToString(), `${samples[i]}\n`, 'its outputs exported by the instance that took it over');
    }
    assert.equal(await status(a.client, cancelled), 'CANCELLED');
    // The restarted A stopped none of B's jobs as orphans.
    assert.doesNotMatch(a.stderr(), /stopped the engine of run/);
  });
});
