import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { EngineAccess, EngineHost, EngineLaunch, LaunchRefusal } from '../local/engine-host.js';
import { readOutcome, writeRecord, type EngineFiles, type EngineOutcome, type EngineRecord } from '../local/engine-process.js';
import { MARKER_ENV } from '../local/process-tree.js';
import { sandboxEnv } from '../local/sandbox.js';
import { endedBySlurm, phaseOf } from './job-states.js';
import { jobScript } from './job-script.js';
import { JobTracker } from './job-tracker.js';
import { splitCommand } from '../local/engine.js';
import { runSlurm, SlurmCommandError, type SlurmTools } from './slurm-commands.js';
import { SubmitQueue } from './submit-queue.js';

export interface SlurmHostOptions {
  tools: SlurmTools;
  log: Logger;
  /** `--slurm-partition`, `--slurm-account`: passed to every sbatch when set. */
  partition?: string;
  account?: string;
  /** `--slurm-sbatch-args "…"`: further sbatch options, split as a shell would (quotes group words). */
  sbatchArgs?: string;
  /** `--slurm-submit-rate`: sbatch calls per second at most. */
  submitRate: number;
  /** How often squeue is asked about all jobs (ms). */
  pollMs: number;
  /** The data dir (on the filesystem the nodes share). */
  dataDir: string;
  /**
   * `--slurm-toil-steps`: Toil engines submit each workflow step as a Slurm job of its own (Toil's
   * `--batchSystem slurm`) instead of running every step inside the run's allocation.
   */
  toilSteps?: boolean;
}

/**
 * How long a job Slurm reports ended may go without its exit file appearing: NFS caches a folder's
 * attributes for up to 60 s by default (acdirmax).
 */
const EXIT_FILE_GRACE_MS = 90_000;
/** scancel attempts when the controller is busy, and the pause between them. */
const CANCEL_ATTEMPTS = 3;
const CANCEL_RETRY_MS = 2000;
/** scancel calls gather the jobs cancelled within this long (a CancelRunBatch cancels thousands at once). */
const CANCEL_GATHER_MS = 100;
const CANCEL_CHUNK = 1000;

/** SlurmUser of the cluster's slurm.conf (Slurm's tools look it up by name), Debian's `slurm` when unreadable. */
function slurmUser(conf: string): string {
  try {
    return /^\s*SlurmUser\s*=\s*(\S+)/im.exec(fs.readFileSync(conf, 'utf8'))?.[1] ?? 'root';
  } catch {
    return 'slurm';
  }
}

/**
 * The tag in the job names of one data dir's runs, made once and kept there: run ids restart at
 * 1000001 in every data dir, so two omicsd services on one cluster would otherwise name jobs alike.
 */
export function dataDirTag(dataDir: string): string {
  const file = path.join(dataDir, 'slurm-tag');
  try {
    const tag = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{8}$/.test(tag)) return tag;
  } catch {
    // first start with --executor slurm
  }
  const tag = randomBytes(4).toString('hex');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${tag}\n`);
  return tag;
}

/** The claim folder of a run's folder (job-script.ts): the first job to make it runs the engine. */
const claimDir = (runDir: string) => path.join(runDir, 'slurm-claim');

/** The job that claimed the run, if one did. */
function claimant(runDir: string): string | undefined {
  try {
    const id = fs.readFileSync(path.join(claimDir(runDir), 'job'), 'utf8').trim();
    return /^\d+$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Engines as Slurm jobs, one per run (docs/slurm.md): the run's job script (job-script.ts) is
 * submitted with sbatch through the SubmitQueue, and every job is followed by the JobTracker. The
 * job id goes into the run's record (engine.pid) before omicsd reports anything of it, so a restarted
 * omicsd re-attaches to the same job; a record without one (omicsd stopped during sbatch) is matched
 * to the job that claimed the run, or to its job by name, before anything is submitted again.
 */
export class SlurmHost implements EngineHost {
  readonly name = 'slurm';
  /**
   * A run's log is read, and its job's state looked up, once per squeue poll: with thousands of jobs
   * running, reading every log more often would load the shared filesystem for nothing new.
   */
  readonly pollMs: number;
  private tracker: JobTracker;
  private queue: SubmitQueue;
  private extraArgs: string[];
  /** Jobs to scancel in one call, and when. */
  private pendingCancel?: {
    ids: Set<string>; steps: Set<string>; timer: NodeJS.Timeout; done: Promise<void>; resolve: () => void; reject: (err: Error) => void;
  };
  private endedSince = new Map<string, number>();
  /** Jobs whose end was reported or that omicsd cancelled: nothing of them runs any more. */
  private done = new Set<string>();
  /** Job names are `omicsd-<tag>-<runId>`: how omicsd finds a run's job again, and how people find it in squeue. */
  private namePrefix: string;
  private closed = false;
  /** Resolves when close() starts: waits of recovery end at once. */
  private closing: Promise<void>;
  private markClosing!: () => void;

  constructor(private opts: SlurmHostOptions) {
    this.tracker = new JobTracker(opts.tools, opts.pollMs, opts.log);
    this.queue = new SubmitQueue(opts.tools.sbatch, opts.submitRate, opts.log);
    this.extraArgs = opts.sbatchArgs ? splitCommand(opts.sbatchArgs) : [];
    this.namePrefix = `omicsd-${dataDirTag(opts.dataDir)}-`;
    this.pollMs = opts.pollMs;
    this.closing = new Promise((r) => (this.markClosing = r));
  }

  private jobName(runId: string) {
    return `${this.namePrefix}${runId}`;
  }

  /** The newest job of that name Slurm still knows, in any state. */
  private async newestJob(name: string): Promise<string | undefined> {
    return (await this.tracker.jobsNamed(name)).map((j) => j.id).sort((a, b) => Number(b) - Number(a))[0];
  }

  /**
   * With toilSteps, a Toil leader reaches Slurm from its sandbox: the host network, munge's socket
   * and the cluster's configuration, read-only (docs/slurm.md, "Toil steps as Slurm jobs").
   */
  access(engineId: string, runId: string): EngineAccess | undefined {
    if (!this.opts.toilSteps || !engineId.startsWith('toil-')) return undefined;
    const conf = process.env.SLURM_CONF;
    const readOnly = ['/run/munge', conf ? path.dirname(path.resolve(conf)) : '/etc/slurm'].filter((p) => fs.existsSync(p));
    // The steps carry the run's job name as their comment: how omicsd finds and cancels them (stepJobs).
    const native = [
      `--comment=${this.jobName(runId)}`,
      ...(this.opts.partition ? [`--partition=${this.opts.partition}`] : []), ...(this.opts.account ? [`--account=${this.opts.account}`] : []),
    ];
    return {
      // --disableChaining: Toil would otherwise run a step's successor in the same job.
      args: ['--batchSystem', 'slurm', '--disableChaining', '--statePollingWait', String(Math.max(1, Math.round(this.opts.pollMs / 1000)))],
      env: { ...(conf ? { SLURM_CONF: path.resolve(conf) } : {}), TOIL_SLURM_ARGS: native.join(' ') },
      readOnly,
      shareNetwork: true,
      users: ['root', slurmUser(conf ?? '/etc/slurm/slurm.conf')],
    };
  }

  async launch(l: EngineLaunch, stopped: () => boolean): Promise<EngineRecord | LaunchRefusal | undefined> {
    const runDir = path.dirname(l.files.log);
    const script = path.join(runDir, 'slurm-job.sh');
    fs.writeFileSync(script, jobScript({
      runId: l.run.id, engine: l.record.engine, command: l.record.command, cwd: l.cwd, log: l.files.log, exit: l.files.exit,
      claim: claimDir(runDir), env: sandboxEnv(process.env, { ...l.env, [MARKER_ENV]: l.record.marker }),
    }), { mode: 0o755 });
    writeRecord(l.files.record, l.record);
    fs.rmSync(l.files.exit, { force: true });
    const name = this.jobName(l.run.id);
    const resources = l.resources();
    const args = [
      '--parsable', `--job-name=${name}`, `--chdir=${l.cwd}`, `--output=${l.files.log}`, `--error=${l.files.log}`, '--open-mode=append',
      ...(this.opts.partition ? [`--partition=${this.opts.partition}`] : []),
      ...(this.opts.account ? [`--account=${this.opts.account}`] : []),
      ...(resources ? [`--cpus-per-task=${resources.cpus}`, `--mem=${resources.memory}G`] : []),
      ...this.extraArgs,
      script,
    ];
    const result = await this.queue.submit(args, stopped, () => this.newestJob(name));
    if (!result) return undefined;
    if ('refused' in result) {
      return { code: 'SLURM_SUBMIT_FAILED', message: `Slurm refused the job of this run: ${result.refused}` };
    }
    const rec: EngineRecord = { ...l.record, jobId: result.jobId };
    writeRecord(l.files.record, rec);
    fs.appendFileSync(l.files.log, `omicsd: ${new Date().toISOString()} submitted as Slurm job ${result.jobId} (${name})\n`);
    this.tracker.track(result.jobId);
    return rec;
  }

  running(rec: EngineRecord): boolean {
    const s = rec.jobId ? this.tracker.state(rec.jobId) : undefined;
    return s !== undefined && (s === 'gone' || phaseOf(s.state) !== 'waiting');
  }

  async ended(rec: EngineRecord, files: EngineFiles): Promise<EngineOutcome | undefined> {
    const jobId = rec.jobId!;
    this.tracker.track(jobId);
    const s = this.tracker.state(jobId);
    if (!s || (s !== 'gone' && phaseOf(s.state) !== 'ended')) return undefined;
    // A job that found the run claimed by another (a second job after a crash) ended without running
    // the engine: follow the job that runs it.
    const owner = claimant(path.dirname(files.log));
    if (owner && owner !== jobId && !readOutcome(files.exit)) {
      this.opts.log.warn({ jobId, owner }, `Slurm job ${jobId} found its run already claimed by job ${owner}; following job ${owner}`);
      this.tracker.untrack(jobId);
      rec.jobId = owner;
      writeRecord(files.record, rec);
      this.tracker.track(owner);
      return undefined;
    }
    const outcome = this.outcome(jobId, s, files);
    if (outcome) {
      this.tracker.untrack(jobId);
      this.endedSince.delete(jobId);
      this.done.add(jobId);
      if (this.stepsOf(rec)) void this.cancelSteps(this.jobNameOfRecord(files)).catch(() => {});
    }
    return outcome;
  }

  /** Whether the engine submits its steps as jobs of their own (Toil with toilSteps). */
  private stepsOf(rec: EngineRecord): boolean {
    return this.opts.toilSteps === true && rec.engine.startsWith('toil-');
  }

  /** The job name of the run whose files these are (its folder is named after its id). */
  private jobNameOfRecord(files: EngineFiles): string {
    return this.jobName(path.basename(path.dirname(files.log)));
  }

  /**
   * Cancels the step jobs a Toil leader left (commented with the run's job name; of any user: as
   * root, the steps are the sandbox's nobody's).
   */
  private async cancelSteps(name: string): Promise<void> {
    const out = await runSlurm(this.opts.tools.squeue, ['--noheader', '--states=all', '--format=%i|%T|%k']);
    const ids = out.split('\n').map((l) => l.trim().split('|')).filter(([id, state, comment]) => id && comment === name && phaseOf(state) !== 'ended').map(([id]) => id);
    if (ids.length) await runSlurm(this.opts.tools.scancel, ids);
  }

  private outcome(jobId: string, s: { state: string; reason: string } | 'gone', files: EngineFiles): EngineOutcome | undefined {
    if (s !== 'gone') {
      const bySlurm = endedBySlurm(jobId, s.state, s.reason);
      if (bySlurm) return { kind: 'lost', ...bySlurm };
    }
    const exited = readOutcome(files.exit);
    if (exited) return exited;
    const since = this.endedSince.get(jobId) ?? Date.now();
    this.endedSince.set(jobId, since);
    if (Date.now() - since < EXIT_FILE_GRACE_MS) return undefined;
    if (s === 'gone') {
      return { kind: 'lost', code: 'SLURM_JOB_LOST', message: `Slurm job ${jobId} is gone and Slurm no longer knows how it ended `
        + '(it ended while omicsd was down, longer ago than MinJobAge, and sacct has no accounting to ask)' };
    }
    return { kind: 'lost', code: 'SLURM_JOB_FAILED', message: `Slurm job ${jobId} ended ${s.state} without the engine's exit status: `
      + `could the job reach the run folder ${path.dirname(files.log)}? The data dir must be on a filesystem every node shares` };
  }

  alive(rec: EngineRecord): boolean {
    if (!rec.jobId || this.done.has(rec.jobId)) return false;
    const s = this.tracker.state(rec.jobId);
    // Not seen yet by a poll: the job was just submitted, or re-attached after a restart.
    return s === undefined ? true : s !== 'gone' && phaseOf(s.state) !== 'ended';
  }

  /**
   * scancel, gathered: one call for all the jobs cancelled within CANCEL_GATHER_MS. A busy controller
   * is asked again; when it still refuses, the promise rejects and the run's record stays, so the
   * next start cancels the job (orphan).
   */
  stop(rec: EngineRecord, runId: string): Promise<void> {
    if (!rec.jobId) return Promise.resolve();
    if (!this.pendingCancel) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.pendingCancel = { ids: new Set(), steps: new Set(), timer: setTimeout(() => void this.sendCancels(), CANCEL_GATHER_MS), done, resolve, reject };
    }
    this.pendingCancel.ids.add(rec.jobId);
    if (this.stepsOf(rec)) this.pendingCancel.steps.add(this.jobName(runId));
    return this.pendingCancel.done;
  }

  private async sendCancels() {
    const gathered = this.pendingCancel;
    if (!gathered) return;
    this.pendingCancel = undefined;
    clearTimeout(gathered.timer);
    const ids = [...gathered.ids];
    let failure: Error | undefined;
    for (let i = 0; i < ids.length; i += CANCEL_CHUNK) {
      const chunk = ids.slice(i, i + CANCEL_CHUNK);
      for (let attempt = 1; ; attempt++) {
        try {
          await runSlurm(this.opts.tools.scancel, chunk);
          break;
        } catch (err) {
          if (!(err instanceof SlurmCommandError) || !err.transient) {
            // Jobs that already ended make scancel complain; the rest were cancelled.
            this.opts.log.warn({ err: (err as Error).message, jobs: chunk.length }, 'scancel reported errors');
            break;
          }
          if (attempt >= CANCEL_ATTEMPTS || this.closed) {
            failure = err;
            break;
          }
          await new Promise((r) => setTimeout(r, CANCEL_RETRY_MS));
        }
      }
      if (failure) break;
      for (const id of chunk) {
        this.tracker.untrack(id);
        this.done.add(id);
      }
    }
    for (const name of gathered.steps) {
      await this.cancelSteps(name).catch((err) => this.opts.log.warn({ err: (err as Error).message }, 'could not cancel Toil step jobs'));
    }
    if (failure) gathered.reject(failure);
    else gathered.resolve();
  }

  /**
   * After a restart, for a run no longer active: cancels its jobs still queued or running, found by
   * name (a recorded id alone could name another job once the controller's ids started over).
   */
  async orphan(rec: EngineRecord, runId: string): Promise<boolean> {
    const name = this.jobName(runId);
    const live = (await this.tracker.jobsNamed(name)).filter((j) => phaseOf(j.state) !== 'ended').map((j) => j.id);
    if (live.length) await runSlurm(this.opts.tools.scancel, live);
    if (this.stepsOf(rec)) await this.cancelSteps(name);
    return live.length > 0;
  }

  /**
   * The job of a run whose record has no job id: the one that claimed the run, else the newest job of
   * its name. A controller that does not answer is asked again until it does (the run stays STARTING).
   */
  async adopt(rec: EngineRecord, runId: string): Promise<EngineRecord | undefined> {
    let jobId = claimant(path.join(this.opts.dataDir, 'runs', runId));
    for (let wait = 1000; !jobId && !this.closed; wait = Math.min(60_000, wait * 2)) {
      try {
        jobId = await this.newestJob(this.jobName(runId));
        break;
      } catch (err) {
        this.opts.log.warn({ runId, err: (err as Error).message }, `recovery: Slurm does not answer; asking again in ${wait / 1000} s`);
        await Promise.race([new Promise((r) => setTimeout(r, wait).unref()), this.closing]);
      }
    }
    if (!jobId) return undefined;
    this.tracker.track(jobId);
    return { ...rec, jobId };
  }

  /** Submissions still waiting end unsubmitted (submitted again at the next start); gathered cancels go out now. */
  async close() {
    this.closed = true;
    this.markClosing();
    this.queue.close();
    this.tracker.close();
    await this.sendCancels();
  }
}

/** Whether Slurm's controller answers (`scontrol ping` is not needed: squeue answers only when it does). */
export async function slurmAnswers(tools: SlurmTools): Promise<string | undefined> {
  try {
    await runSlurm(tools.squeue, ['--noheader', '--format=%i', '--states=PD', '--user=nobody']);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
