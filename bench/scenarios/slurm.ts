import { execFile } from 'node:child_process';
import { GetBatchCommand, StartRunBatchCommand, StartRunCommand } from '@aws-sdk/client-omics';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { percentile } from '../lib/stats.js';
import { tempDir } from '../lib/temp-dirs.js';
import { ROLE } from '../../test/support/client.js';
import { startServer } from '../../test/support/server.js';
import { cancelJobsOf, jobs, SLURM_ENV, slurm, slurmSkip, slurmTag, startSlurm } from '../../test/support/slurm.js';
import { createWorkflow, cwlTool, definitionZip } from '../../test/support/workflows.js';
import { sleep } from '../../test/support/wait.js';
import type { Profile } from '../profile.js';

/**
 * The Slurm executor on the test cluster (scripts/slurm/start.sh):
 *  - submission: a batch whose jobs are held (`--hold`, so nothing runs and only sbatch is
 *    measured) until every run has its job, beside bare `sbatch --hold` calls, 4 at a time as
 *    omicsd makes them, in the same run;
 *  - tracking: one squeue call for all jobs with that many in the queue;
 *  - a small CWL batch of real cwltool runs through Slurm beside the same batch on the local
 *    executor, with the same concurrency.
 */
const RAW_NAME = 'omicsd-bench-raw';

function sbatchHeld(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sbatch', ['--parsable', '--hold', `--job-name=${RAW_NAME}`, '--output=/dev/null', '--wrap=true'], { env: { ...process.env, ...SLURM_ENV } }, (err) => (err ? reject(err) : resolve()));
  });
}

async function rawRate(n: number): Promise<number> {
  const t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < n) {
      next++;
      await sbatchHeld();
    }
  }));
  const rate = n / ((performance.now() - t) / 1000);
  const ids = jobs().filter((j) => j.name === RAW_NAME).map((j) => j.id);
  if (ids.length) slurm('scancel', ids);
  return rate;
}

const echoTool = () => definitionZip({
  'main.cwl': cwlTool(['sh', '-c', 'sleep 1; echo "$0" > out.txt'], {
    inputs: { msg: { type: 'string', inputBinding: { position: 1 } } },
    outputs: { result: { type: 'File', outputBinding: { glob: 'out.txt' } } },
  }),
});

/**
 * `n` runs in batches of up to 100 (inline settings), from the first StartRunBatch until `done` says
 * so; seconds. With `warmUp`, one run goes first, until `warmUp` says it is through: the engine's
 * one-time probe at start is not counted.
 */
async function timedBatch(
  executorArgs: string[], n: number, done: (dataDir: string, statuses: (string | undefined)[]) => boolean,
  env = {}, warmUp?: (dataDir: string) => boolean,
) {
  const dataDir = tempDir('slurm');
  const server = await startServer(['--log-level', 'warn', '--start-run-rate', '0', '--api-rate', '0', ...executorArgs], dataDir, { env, startMs: 30_000 });
  try {
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: echoTool(), engine: 'CWL' });
    if (warmUp) {
      await c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/warm/', parameters: { msg: 'warm' } }));
      while (!warmUp(dataDir)) await sleep(200);
    }
    const t = performance.now();
    const batchIds: string[] = [];
    for (let first = 0; first < n; first += 100) {
      const settings = Array.from({ length: Math.min(100, n - first) }, (_, i) => ({ runSettingId: `s${first + i}`, parameters: { msg: `s${first + i}` } }));
      const batch = await c.send(new StartRunBatchCommand({
        defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/bench/' }, batchRunSettings: { inlineSettings: settings },
      }));
      batchIds.push(batch.id!);
    }
    for (;;) {
      const statuses = await Promise.all(batchIds.map(async (batchId) => (await c.send(new GetBatchCommand({ batchId }))).status));
      if (done(dataDir, statuses)) break;
      if (statuses.includes('FAILED') || performance.now() - t > 900_000) throw new Error(`batches ${statuses.join(' ')} after ${((performance.now() - t) / 1000).toFixed(0)} s`);
      // Not faster: every check asks squeue, which competes with sbatch for the controller.
      await sleep(500);
    }
    return { seconds: (performance.now() - t) / 1000, dataDir };
  } finally {
    await server.stop();
    if (executorArgs.includes('slurm')) cancelJobsOf(dataDir);
  }
}

const allProcessed = (_d: string, statuses: (string | undefined)[]) => statuses.every((s) => s === 'PROCESSED');

export async function slurmBench(p: Profile) {
  const figs = new Figures('slurm');
  if (slurmSkip) {
    log('slurm', `skipped: ${slurmSkip}`);
    return { figures: figs.list, details: { skipped: slurmSkip } };
  }
  startSlurm();
  const { held, raw, batch } = p.slurm;

  const rawPerSecond = await rawRate(raw);
  const submitted = (dataDir: string) => {
    const tag = slurmTag(dataDir);
    return tag ? jobs().filter((j) => j.name.startsWith(`omicsd-${tag}-`)).length : 0;
  };
  let squeueMs: number[] = [];
  const heldRun = await timedBatch(
    ['--executor', 'slurm', '--slurm-sbatch-args', '--hold', '--slurm-submit-rate', '100000', '--max-concurrent-runs', '0', '--slurm-poll-interval', '1'],
    held,
    (dataDir) => {
      if (submitted(dataDir) < held + 1) return false;
      squeueMs = Array.from({ length: 5 }, () => {
        const t = performance.now();
        slurm('squeue', ['--noheader', '--states=all', '--format=%i|%T|%r']);
        return performance.now() - t;
      });
      return true;
    },
    SLURM_ENV,
    (dataDir) => submitted(dataDir) >= 1,
  );
  const omicsdPerSecond = held / heldRun.seconds;
  figs.add({ figure: `runs submitted to Slurm (${held} held jobs)`, value: omicsdPerSecond, unit: 'jobs/s', limit: rawPerSecond, limitLabel: 'bare sbatch, 4 at a time', target: '≥ 10 jobs/s (the default --slurm-submit-rate)', pass: omicsdPerSecond >= 10 });
  const squeue = percentile(squeueMs, 50);
  figs.add({ figure: `one squeue for all jobs (${held} in the queue)`, value: squeue, unit: 'ms', target: '< 1,000 ms (once per poll interval, 5 s by default)', pass: squeue < 1000 });

  const local = await timedBatch(['--executor', 'local', '--max-concurrent-runs', '8'], batch, allProcessed);
  const viaSlurm = await timedBatch(['--executor', 'slurm', '--max-concurrent-runs', '8', '--slurm-poll-interval', '1'], batch, allProcessed, SLURM_ENV);
  figs.add({ figure: `${batch}-run CWL batch through Slurm, accepted → PROCESSED`, value: viaSlurm.seconds, unit: 's', limit: local.seconds, limitLabel: 'same batch, local executor', target: '≤ 2× local', pass: viaSlurm.seconds <= 2 * local.seconds });
  log('slurm', `sbatch ${rawPerSecond.toFixed(1)}/s bare, omicsd ${omicsdPerSecond.toFixed(1)} jobs/s; squeue ${squeue.toFixed(0)} ms with ${held} jobs; ${batch}-run batch ${viaSlurm.seconds.toFixed(1)} s on Slurm, ${local.seconds.toFixed(1)} s local`);
  return { figures: figs.list, details: { rawPerSecond, omicsdPerSecond, heldSeconds: heldRun.seconds, squeueMs, batchSlurmSeconds: viaSlurm.seconds, batchLocalSeconds: local.seconds } };
}
