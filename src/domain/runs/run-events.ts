import type { Logger } from 'pino';
import type { RunReporter } from '../../executors/executor.js';
import type { AppliedTransition, RunEventStore } from '../../store/store.js';
import type { EventLoopShare } from '../event-loop-share.js';
import type { RunTransition, TaskUpdate } from '../model.js';
import { StepSizer } from '../step-sizer.js';


/**
 * The one way run status changes reach the store after a run was created: executor reports and the
 * service's own decisions (the maxDuration limit) are committed in groups, each change atomically
 * with the batch counters it moves, and many changes share one transaction, so a burst of 100,000
 * finishing runs costs a few hundred commits rather than 100,000.
 */
export class RunEventApplier implements RunReporter {
  private changes: RunTransition[] = [];
  private tasks: TaskUpdate[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<AppliedTransition[]> = Promise.resolve([]);
  /** Changes and task updates at the head of the queues that the next flush must take whatever its size (applyNow's). */
  private urgent = { changes: 0, tasks: 0 };
  /** A burst is committed in several flushes, each within the step budget (docs/architecture.md). */
  private flushes: StepSizer;

  constructor(
    private store: RunEventStore,
    private log: Logger,
    private onApplied: (applied: AppliedTransition[]) => void,
    private share: EventLoopShare,
    private delayMs = 10,
    private maxPending = 500,
  ) {
    // An asynchronous store (PostgreSQL) holds the event loop only for this side's work: flushes take their most.
    this.flushes = store.synchronous ? new StepSizer(50, 2000) : StepSizer.fixed(2000);
  }

  transition(change: RunTransition) {
    this.changes.push(change);
    this.schedule();
  }

  task(update: TaskUpdate) {
    this.tasks.push(update);
    this.schedule();
  }

  /** Commits these changes (with whatever else is waiting) now; returns which of them were applied. */
  async applyNow(changes: RunTransition[], tasks: TaskUpdate[]): Promise<AppliedTransition[]> {
    // At the head, so the next flush takes them however many others wait (the forward-only rule makes
    // an older report of the same run that lands after them a no-op).
    this.changes.unshift(...changes);
    this.tasks.unshift(...tasks);
    this.urgent = { changes: this.urgent.changes + changes.length, tasks: this.urgent.tasks + tasks.length };
    const mine = new Set(changes.map((c) => c.runId));
    return (await this.flush()).filter((a) => mine.has(a.runId));
  }

  private schedule() {
    if (this.changes.length + this.tasks.length >= this.maxPending) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Commits everything reported so far; flushes never overlap. Resolves to what this flush applied. */
  flush(): Promise<AppliedTransition[]> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      if (!this.changes.length && !this.tasks.length) return [];
      await this.share.turn();
      // A burst (100,000 runs finishing at once) is committed a time-sized group at a time.
      const n = this.flushes.size();
      const changes = this.changes.splice(0, Math.max(n, this.urgent.changes));
      const tasks = this.tasks.splice(0, Math.max(n, this.urgent.tasks));
      this.urgent = { changes: 0, tasks: 0 };
      try {
        const applied = await this.flushes.measure(Math.max(changes.length, tasks.length), () => this.store.runs.applyTransitions(changes, tasks));
        this.onApplied(applied);
        if (this.changes.length || this.tasks.length) void this.flush();
        return applied;
      } catch (err) {
        this.log.error({ err }, 'could not record run state changes; retrying');
        this.changes.unshift(...changes);
        this.tasks.unshift(...tasks);
        this.timer = setTimeout(() => void this.flush(), 500);
        return [];
      }
    });
    return this.flushing;
  }
}
