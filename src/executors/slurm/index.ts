import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Executor } from '../executor.js';
import { EngineExecutor, type LocalExecutorOptions } from '../local/index.js';
import { shellWord } from './job-script.js';
import { findSlurmTools, runSlurm, type SlurmTools } from './slurm-commands.js';
import { SlurmExecutor } from './slurm-executor.js';
import { SlurmHost, slurmAnswers, type SlurmHostOptions } from './slurm-host.js';

/** `--executor slurm`'s own options (docs/slurm.md). */
export type SlurmOptions = Omit<SlurmHostOptions, 'tools' | 'log' | 'dataDir'>;

/** What omicsd cannot start the Slurm executor without. */
export class SlurmSetupError extends Error {}

/**
 * The Slurm executor: the local executor's engines, sandbox and staging, with each run's engine
 * submitted as one Slurm job (slurm-host.ts). Needs Slurm's client tools on PATH; the data dir must
 * be on a filesystem the nodes share, which a small probe job checks in the background at start.
 */
export function createSlurmExecutor(opts: LocalExecutorOptions & { slurm: SlurmOptions }): Executor {
  const tools = slurmTools();
  // Another instance's runs are followed in its data dir, under its job names (slurm-executor.ts).
  const forDataDir = (dataDir: string, log = opts.log, resumedBecause?: string) =>
    new EngineExecutor({ ...opts, dataDir, log, resumedBecause, host: new SlurmHost({ ...opts.slurm, tools, log, dataDir }) });
  void checkCluster(tools, opts);
  return new SlurmExecutor(forDataDir(opts.dataDir), (dataDir) =>
    forDataDir(dataDir, opts.log.child({ takenOverFrom: dataDir }), `the omicsd instance following this run died; ${hostname()} took it over`));
}

/** Slurm's client commands, or the error to refuse to start with (checked before the data dir is touched). */
export function slurmTools(): SlurmTools {
  const tools = findSlurmTools();
  if (typeof tools === 'string') {
    throw new SlurmSetupError(`--executor slurm needs Slurm's client commands on PATH, and ${tools} is not there: `
      + 'install them (Debian: apt-get install slurm-client) and point them at the cluster (SLURM_CONF or /etc/slurm/slurm.conf)');
  }
  return tools;
}

/** How long the shared-filesystem probe job may take before omicsd says it could not tell. */
const PROBE_TIMEOUT_MS = 10 * 60_000;

/**
 * Says at start whether Slurm answers and whether a job on a node sees the data dir: a tiny job
 * copies a file omicsd wrote there to another name. Only logged: runs fail with a clear reason
 * anyway when their jobs cannot reach their folders (SLURM_JOB_FAILED).
 */
async function checkCluster(tools: SlurmTools, opts: LocalExecutorOptions & { slurm: SlurmOptions }) {
  const { log } = opts;
  const problem = await slurmAnswers(tools);
  if (problem) {
    log.error(`Slurm does not answer (${problem}); runs wait in STARTING until it does`);
    return;
  }
  const dir = path.resolve(opts.dataDir, 'slurm-probe');
  fs.mkdirSync(dir, { recursive: true });
  const token = randomBytes(8).toString('hex');
  const sent = path.join(dir, `${token}.in`);
  const seen = path.join(dir, `${token}.out`);
  fs.writeFileSync(sent, token);
  let jobId: string;
  try {
    jobId = (await runSlurm(tools.sbatch, [
      '--parsable', '--job-name=omicsd-probe', '--time=1', '--mem=16M', `--output=${path.join(dir, `${token}.log`)}`,
      ...(opts.slurm.partition ? [`--partition=${opts.slurm.partition}`] : []), ...(opts.slurm.account ? [`--account=${opts.slurm.account}`] : []),
      `--wrap=cp ${shellWord(sent)} ${shellWord(seen)}`,
    ])).trim().split(';')[0];
  } catch (err) {
    log.error(`Slurm refused omicsd's probe job (${(err as Error).message}): check --slurm-partition, --slurm-account and the user omicsd runs as`);
    return;
  }
  const until = Date.now() + PROBE_TIMEOUT_MS;
  for (;;) {
    if (fs.existsSync(seen)) {
      log.info({ jobId, dataDir: path.resolve(opts.dataDir) }, 'slurm: a probe job read and wrote the data dir: the cluster shares it');
      break;
    }
    const state = (await runSlurm(tools.squeue, ['--noheader', '--states=all', `--jobs=${jobId}`, '--format=%T']).catch(() => '')).trim();
    if (state && !/PENDING|CONFIGURING|RUNNING|COMPLETING/.test(state)) {
      if (!fs.existsSync(seen)) {
        log.error({ jobId, state, dataDir: path.resolve(opts.dataDir) }, 'slurm: a probe job could not reach the data dir: '
          + 'it must be on a filesystem every node shares (at the same path), or every run will fail');
      }
      break;
    }
    if (Date.now() > until) {
      log.warn({ jobId }, 'slurm: the probe job did not run within 10 minutes; whether the nodes share the data dir is not known yet');
      break;
    }
    await new Promise((r) => setTimeout(r, 2000).unref());
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
