import type { Logger } from 'pino';
import { TokenBucket } from '../../domain/token-bucket.js';
import { runSlurm, SlurmCommandError } from './slurm-commands.js';

/** sbatch calls in flight at once. */
const PARALLEL = 4;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

interface Waiting {
  args: string[];
  stopped: () => boolean;
  /** The job of an earlier attempt, if it reached the controller after all (an sbatch that timed out may have). */
  find: () => Promise<string | undefined>;
  retried?: boolean;
  resolve: (r: SubmitResult) => void;
}

export type SubmitResult = { jobId: string } | { refused: string } | undefined;

/**
 * Every sbatch of omicsd goes through here, off the request path: at most PARALLEL at once and at
 * most `rate` per second (`--slurm-submit-rate`). When the controller is busy (a transient error,
 * SlurmCommandError.transient) the job goes back to the head of the line and every submission
 * waits, doubling from 1 s to a minute and back to none after a success: a busy controller slows
 * submission down, it never fails runs. Any other error refuses the job.
 */
export class SubmitQueue {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private bucket: TokenBucket;
  private backoffMs = 0;
  private pausedUntil = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private sbatch: string, rate: number, private log: Logger) {
    this.bucket = new TokenBucket(rate, Math.max(1, Math.ceil(rate)));
  }

  /**
   * Submits once a slot and a token are free; undefined when `stopped()` turned true first. Before a
   * retry, `find` looks for the job the failed attempt may have made, so no run gets two jobs.
   */
  submit(args: string[], stopped: () => boolean, find: () => Promise<string | undefined>): Promise<SubmitResult> {
    if (this.closed || stopped()) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting.push({ args, stopped, find, resolve });
      this.pump();
    });
  }

  private pump() {
    if (this.closed) return;
    while (this.waiting.length && this.inFlight < PARALLEL) {
      const wait = Math.max(this.pausedUntil - Date.now(), this.bucket.msUntilNext());
      if (wait > 0) {
        if (!this.timer) this.timer = setTimeout(() => { this.timer = undefined; this.pump(); }, wait);
        return;
      }
      const item = this.waiting.shift()!;
      if (item.stopped()) {
        this.drop(item);
        continue;
      }
      this.bucket.tryTake();
      this.inFlight++;
      void this.attempt(item).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async attempt(item: Waiting) {
    try {
      const earlier = item.retried ? await item.find() : undefined;
      const out = earlier ?? await runSlurm(this.sbatch, item.args);
      const jobId = out.trim().split(';')[0];
      if (!/^\d+$/.test(jobId)) throw new SlurmCommandError('sbatch', 0, `unexpected answer: ${out.trim().slice(0, 200)}`);
      this.backoffMs = 0;
      item.resolve({ jobId });
    } catch (err) {
      if (err instanceof SlurmCommandError && err.transient && !this.closed) {
        this.backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.backoffMs * 2));
        this.pausedUntil = Date.now() + this.backoffMs;
        item.retried = true;
        this.log.warn({ err: err.message, backoffMs: this.backoffMs }, `the Slurm controller is busy; submitting again in ${this.backoffMs / 1000} s`);
        this.waiting.unshift(item);
        return;
      }
      item.resolve({ refused: (err as Error).message });
    }
  }

  /**
   * A submission no longer wanted ends unsubmitted; after a failed attempt, with the job that attempt
   * made after all, if any, so that the caller can cancel it.
   */
  private drop(item: Waiting) {
    if (!item.retried) return item.resolve(undefined);
    item.find().then((jobId) => item.resolve(jobId ? { jobId } : undefined), () => item.resolve(undefined));
  }

  /** Pending submissions end unsubmitted (their runs are re-submitted at the next start). */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    for (const item of this.waiting.splice(0)) this.drop(item);
  }
}
