// A real single-node Slurm cluster for the Slurm executor's tests, started by scripts/slurm/start.sh
// (idempotent, so every test file may ask for it; scripts/slurm/stop.sh stops it, .ci/run does so at
// the end). Without the Debian packages the tests are skipped outside CI, and fail in CI.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

const DIR = process.env.OMICSD_SLURM_DIR ?? '/var/tmp/omicsd-slurm';
export const SLURM_CONF = path.join(DIR, 'slurm.conf');
export const SLURM_ENV = { SLURM_CONF };

const installed = fs.existsSync('/usr/sbin/slurmctld') && fs.existsSync('/usr/sbin/munged');
const isRoot = process.getuid?.() === 0;

/** The `skip` option of the Slurm tests: false where a cluster can be started, else why (never in CI: there they must run). */
export const slurmSkip: false | string = process.env.CI ? false
  : !installed ? 'Slurm is not installed: apt-get install slurm-wlm munge (CI installs them)'
    : !isRoot ? 'starting the test cluster (scripts/slurm/start.sh) needs root' : false;

/** Starts the test cluster unless it runs already. */
export function startSlurm() {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/slurm/start.sh')], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`scripts/slurm/start.sh failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** A Slurm command's output, run against the test cluster. */
export function slurm(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...SLURM_ENV } });
}

export interface SlurmJob {
  id: string;
  name: string;
  state: string;
  user: string;
}

/** Every job the cluster still knows (any state, any user). */
export function jobs(): SlurmJob[] {
  return slurm('squeue', ['--noheader', '--states=all', '--format=%i|%j|%T|%u']).split('\n').filter(Boolean).map((line) => {
    const [id, name, state, user] = line.trim().split('|');
    return { id, name, state, user };
  });
}

/** The Slurm job id omicsd recorded for a run (its engine record in the run folder). */
export function jobIdOf(dataDir: string, runId: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dataDir, 'runs', runId, 'engine.pid'), 'utf8')) as { jobId?: string }).jobId;
  } catch {
    return undefined;
  }
}

/** The Slurm jobs omicsd submitted for the run, by its log's `submitted as Slurm job N` lines. */
export function submittedJobs(dataDir: string, runId: string): string[] {
  const log = fs.readFileSync(path.join(dataDir, 'runs', runId, 'engine.log'), 'utf8');
  return [...log.matchAll(/^omicsd: \S+ submitted as Slurm job (\d+)/gm)].map((m) => m[1]);
}

/** How many times omicsd submitted a job for the run. */
export const submissions = (dataDir: string, runId: string) => submittedJobs(dataDir, runId).length;

/** The tag omicsd put in its job names for this data dir, or undefined before it made one. */
export function slurmTag(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dataDir, 'slurm-tag'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The Slurm job name omicsd gives a run of the data dir (`omicsd-<data dir tag>-<run id>`). */
export function jobNameOf(dataDir: string, runId: string): string {
  return `omicsd-${slurmTag(dataDir)}-${runId}`;
}

/** Cancels whatever of a data dir's jobs is still queued or running: a failed test leaves none to starve the next. */
export function cancelJobsOf(dataDir: string) {
  const tag = slurmTag(dataDir);
  if (!tag) return;
  const ids = jobs().filter((j) => j.name.startsWith(`omicsd-${tag}-`) && !/COMPLETED|FAILED|CANCELLED|TIMEOUT/.test(j.state)).map((j) => j.id);
  if (ids.length) slurm('scancel', ids);
}

/**
 * A private copy of the cluster's slurm.conf for one omicsd. cut() points it at a port nobody
 * listens on, so that this omicsd alone finds the controller down while the cluster stays up for the
 * test files running beside it; restore() points it back.
 */
export function privateSlurmConf(dir: string) {
  const file = path.join(dir, 'slurm.conf');
  const real = fs.readFileSync(SLURM_CONF, 'utf8');
  const write = (text: string) => {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  };
  write(real);
  return { env: { SLURM_CONF: file }, cut: () => write(`${real}\nSlurmctldPort=1\n`), restore: () => write(real) };
}
