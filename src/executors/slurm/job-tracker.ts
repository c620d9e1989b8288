import os from 'node:os';
import type { Logger } from 'pino';
import { runSlurm, type SlurmTools } from './slurm-commands.js';

/** What Slurm last said of a job: its state (squeue's %T) and the reason for it (%r). */
export interface JobState {
  state: string;
  reason: string;
}

interface Tracked {
  /** When omicsd learnt the job id: a squeue started before then may not list it yet. */
  since: number;
  state?: JobState;
  /** Polls in a row that did not list the job. */
  missing: number;
  gone?: boolean;
}

/** Polls in a row a job may be absent from squeue before sacct is asked (a job just submitted can miss one). */
const MISSING_POLLS = 2;
const SACCT_CHUNK = 500;

/**
 * Follows every Slurm job of omicsd's runs with one `squeue` call per poll interval for all of them,
 * never one call per run. squeue lists ended jobs too for MinJobAge seconds (Slurm's default 300);
 * a job no longer listed is asked of `sacct` (one call for all such jobs, when accounting is on),
 * else it is gone without a known end. Cheap text output on purpose: `squeue --json` prints about
 * 4 KB per job, and its schema changes between Slurm releases.
 */
export class JobTracker {
  private jobs = new Map<string, Tracked>();
  private timer?: NodeJS.Timeout;
  private closed = false;
  private user = os.userInfo().username;
  private lastError = 0;

  constructor(private tools: SlurmTools, private pollMs: number, private log: Logger) {}

  track(jobId: string) {
    if (!this.jobs.has(jobId)) this.jobs.set(jobId, { since: Date.now(), missing: 0 });
    this.schedule();
  }

  untrack(jobId: string) {
    this.jobs.delete(jobId);
  }

  /** The job's last known state, 'gone' when Slurm no longer knows it, undefined before the first poll that saw it. */
  state(jobId: string): JobState | 'gone' | undefined {
    const t = this.jobs.get(jobId);
    if (!t) return undefined;
    return t.gone ? 'gone' : t.state;
  }

  /** This user's jobs of that name, in any state Slurm still knows (squeue). */
  async jobsNamed(name: string): Promise<{ id: string; state: string }[]> {
    const out = await runSlurm(this.tools.squeue, ['--noheader', '--states=all', `--user=${this.user}`, `--name=${name}`, '--format=%i|%T']);
    return out.split('\n').map((l) => l.trim().split('|')).filter(([id, state]) => /^\d+$/.test(id) && state).map(([id, state]) => ({ id, state }));
  }

  private schedule() {
    if (this.timer || this.closed || !this.jobs.size) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        this.timer = undefined;
        this.schedule();
      });
    }, this.pollMs);
  }

  private async poll() {
    const started = Date.now();
    let out: string;
    try {
      out = await runSlurm(this.tools.squeue, ['--noheader', '--states=all', `--user=${this.user}`, '--format=%i|%T|%r']);
    } catch (err) {
      // The controller may be busy or restarting: keep the last states and try again next time.
      if (Date.now() - this.lastError > 60_000) this.log.warn({ err }, `squeue failed; Slurm jobs are not followed until it answers: ${(err as Error).message}`);
      this.lastError = Date.now();
      return;
    }
    const listed = new Set<string>();
    for (const line of out.split('\n')) {
      const [id, state, reason] = line.trim().split('|');
      const t = id && this.jobs.get(id);
      if (!t || !state) continue;
      listed.add(id);
      t.state = { state, reason: reason ?? '' };
      t.missing = 0;
    }
    const missing: string[] = [];
    for (const [id, t] of this.jobs) {
      if (listed.has(id) || t.gone || t.since >= started) continue;
      if (++t.missing >= MISSING_POLLS) missing.push(id);
    }
    if (missing.length) await this.askSacct(missing);
  }

  /** Jobs squeue forgot: their final state from accounting, or gone when there is none. */
  private async askSacct(ids: string[]) {
    for (let i = 0; i < ids.length; i += SACCT_CHUNK) {
      const chunk = ids.slice(i, i + SACCT_CHUNK);
      const found = new Map<string, JobState>();
      if (this.tools.sacct) {
        try {
          const out = await runSlurm(this.tools.sacct, ['--noheader', '--parsable2', '--allocations', `--jobs=${chunk.join(',')}`, '--format=JobID,State']);
          for (const line of out.split('\n')) {
            const [id, state] = line.trim().split('|');
            // "CANCELLED by 0": the state is the first word.
            if (id && state) found.set(id, { state: state.split(' ')[0], reason: state.includes(' by ') ? state : '' });
          }
        } catch {
          // No accounting (slurmdbd): nothing more to learn.
        }
      }
      for (const id of chunk) {
        const t = this.jobs.get(id);
        if (!t) continue;
        const s = found.get(id);
        if (s) t.state = s;
        else t.gone = true;
      }
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
  }
}
