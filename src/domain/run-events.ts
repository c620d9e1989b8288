import type { Logger } from 'pino';
import type { RunTransition } from './model.js';
import type { AppliedTransition, Store, TaskUpdate } from '../store/store.js';
import type { RunReporter } from '../executors/executor.js';
import type { Turns } from './turns.js';

/**
 * Collects executor reports and commits them in groups: each change is applied atomically with
 * the batch counters it moves, and many changes share one transaction, so a burst of 100,000
 * finishing runs costs a few hundred commits rather than 100,000.
 */
export class RunEventApplier implements RunReporter {
  private changes: RunTransition[] = [];
  private tasks: TaskUpdate[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private store: Store,
    private log: Logger,
    private onApplied: (applied: AppliedTransition[]) => void,
    private turns: Turns,
    private delayMs = 10,
    private maxPending = 500,
  ) {}

  transition(change: RunTransition) {
    this.changes.push(change);
    this.schedule();
  }

  task(update: TaskUpdate) {
    this.tasks.push(update);
    this.schedule();
  }

  private schedule() {
    if (this.changes.length + this.tasks.length >= this.maxPending) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Commits everything reported so far; flushes never overlap. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      if (!this.changes.length && !this.tasks.length) return;
      await this.turns.next();
      const changes = this.changes;
      const tasks = this.tasks;
      this.changes = [];
      this.tasks = [];
      try {
        this.onApplied(await this.store.applyTransitions(changes, tasks));
      } catch (err) {
        this.log.error({ err }, 'could not record run state changes; retrying');
        this.changes.unshift(...changes);
        this.tasks.unshift(...tasks);
        this.timer = setTimeout(() => void this.flush(), 500);
      }
    });
    return this.flushing;
  }
}
