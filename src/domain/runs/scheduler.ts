import type { Logger } from 'pino';
import { StepSizer } from '../step-sizer.js';
import type { Executor } from '../../executors/executor.js';
import type { AppliedTransition, SchedulerStore } from '../../store/store.js';
import type { EventLoopShare } from '../event-loop-share.js';
import { ACTIVE_RUN_STATUSES, type RunGroupRecord, type RunTransition, type TaskUpdate } from '../model.js';
import { RunReferences } from './run-references.js';
import { isTerminalTaskStatus } from './run-transitions.js';

/** Most runs one pass starts; fewer when that would hold the event loop past the step budget. */
const UNCAPPED_PASS = 250;
/** How often active runs are checked against their run group's maxDuration. */
const DURATION_CHECK_MS = 5000;
/** failureReason of a run that outlived its run group's maxDuration (HealthOmics documents no exact text). */
export const RUN_DURATION_EXCEEDED = 'RUN_DURATION_EXCEEDED';

/**
 * Starts queued runs: highest priority first, then oldest, within the global concurrency cap and
 * each run group's `maxRuns` and `maxCpus`. Runs past those limits wait in PENDING, as HealthOmics
 * queues them. An active run holds the CPUs of its open tasks, and at least 1 (before its engine
 * reports any task): a group starts another run only while that leaves a CPU free under maxCpus.
 * Active runs of a group with `maxDuration` (minutes) that run longer end FAILED with
 * failureReason RUN_DURATION_EXCEEDED, and their engines are stopped; that change goes through the
 * run-event path like every other, so the batch counters move with it.
 */
export class Scheduler {
  private running = false;
  private again = false;
  private ticker: NodeJS.Timeout | undefined;
  private durations: NodeJS.Timeout | undefined;
  private checkingDurations: Promise<void> = Promise.resolve();
  private stopped = false;
  private passes: StepSizer;

  constructor(
    private store: SchedulerStore,
    private executor: Executor,
    /** Applies run changes now, through the same path as executor reports. */
    private events: { applyNow(changes: RunTransition[], tasks: TaskUpdate[]): Promise<AppliedTransition[]> },
    private maxConcurrent: number,
    private share: EventLoopShare,
    private log: Logger,
    /** This instance, recorded on each run it starts (several instances on one store run their own runs). */
    private owner?: string,
  ) {
    // A store that answers asynchronously (PostgreSQL) leaves the event loop free while it works: passes take their most.
    this.passes = store.synchronous ? new StepSizer(10, UNCAPPED_PASS) : StepSizer.fixed(UNCAPPED_PASS);
  }

  start() {
    this.ticker = setInterval(() => this.wake(), 1000);
    this.durations = setInterval(() => {
      this.checkingDurations = this.enforceDurations(Date.now()).then(
        () => undefined,
        (err) => this.log.error({ err }, 'maxDuration check failed'),
      );
    }, DURATION_CHECK_MS);
    this.wake();
  }

  async stop() {
    this.stopped = true;
    clearInterval(this.ticker);
    clearInterval(this.durations);
    await this.checkingDurations;
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  /** Fails the active runs that outlived their run group's maxDuration and stops their work. */
  async enforceDurations(now: number): Promise<string[]> {
    if (this.stopped) return [];
    // At most 1,000 run groups exist (a fixed quota); most runs are in none with a maxDuration.
    const limits = new Map<string, number>();
    for (const g of await this.store.runGroups.list({ account: null }, { limit: 100_000 })) if (g.maxDuration !== undefined) limits.set(g.id, g.maxDuration);
    if (!limits.size) return [];
    const over: RunTransition[] = [];
    for (const run of await this.store.runs.listInStatus(ACTIVE_RUN_STATUSES, this.owner)) {
      const limit = run.runGroupId ? limits.get(run.runGroupId) : undefined;
      const since = run.startTime ?? run.creationTime;
      if (limit === undefined || now - since <= limit * 60_000) continue;
      over.push({
        runId: run.id, status: 'FAILED', at: now, failureReason: RUN_DURATION_EXCEEDED,
        statusMessage: `The run exceeded the maxDuration of its run group ${run.runGroupId} (${limit} minutes) and was stopped`,
      });
    }
    if (!over.length) return [];
    const applied = await this.events.applyNow(over, []);
    // Close the tasks the engine will no longer report.
    const tasks: TaskUpdate[] = [];
    for (const a of applied) {
      for (const t of await this.store.tasks.list(a.runId, {}, { limit: 1000 })) {
        if (!isTerminalTaskStatus(t.status)) {
          tasks.push({ runId: a.runId, name: t.name, status: 'CANCELLED', at: now, statusMessage: 'The run exceeded its maxDuration' });
        }
      }
    }
    if (tasks.length) await this.events.applyNow([], tasks);
    for (const a of applied) this.executor.cancel(a.runId);
    if (applied.length) {
      this.log.info({ runs: applied.map((a) => a.runId) }, 'runs failed for exceeding their run group maxDuration');
      this.wake();
    }
    return applied.map((a) => a.runId);
  }

  /** Asks for a scheduling pass (another follows the current one, if one is running). */
  wake() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop() {
    try {
      do {
        await this.share.turn();
        this.again = false;
        if (await this.pass()) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.log.error({ err }, 'scheduler pass failed');
    } finally {
      this.running = false;
    }
  }

  /** One pass; true when it filled its capacity and another may start more. */
  private async pass(): Promise<boolean> {
    const { total, byGroup } = await this.store.runs.countActive(this.owner);
    const t0 = performance.now();
    const step = this.passes.size();
    const capacity = this.maxConcurrent > 0 ? Math.min(step, this.maxConcurrent - total) : step;
    if (capacity <= 0) return false;
    const refs = new RunReferences(this.store, null);
    const cpus = await this.store.runs.activeCpusByGroup();
    /** Whether one more run of group g fits its maxRuns and maxCpus (a new run holds 1 CPU). */
    const fits = (g: RunGroupRecord | undefined, runs: number, heldCpus: number) =>
      (g?.maxRuns === undefined || runs < g.maxRuns) && (g?.maxCpus === undefined || heldCpus + 1 <= g.maxCpus);
    const full: string[] = [];
    for (const [g, n] of byGroup) {
      if (!fits(await refs.runGroup(g), n, cpus.get(g) ?? 0)) full.push(g);
    }
    const candidates = await this.store.runs.queued(capacity, full);
    const active = new Map(byGroup);
    const chosen = [];
    for (const run of candidates) {
      if (run.runGroupId) {
        const n = active.get(run.runGroupId) ?? 0;
        const c = cpus.get(run.runGroupId) ?? 0;
        if (!fits(await refs.runGroup(run.runGroupId), n, c)) continue;
        active.set(run.runGroupId, n + 1);
        cpus.set(run.runGroupId, c + 1);
      }
      chosen.push(run);
    }
    if (!chosen.length) return false;
    const moved = new Set(await this.store.runs.markStarting(chosen.map((r) => r.id), this.owner));
    for (const run of chosen) if (moved.has(run.id)) this.executor.start({ ...run, status: 'STARTING' });
    this.passes.record(chosen.length, performance.now() - t0);
    return candidates.length === capacity;
  }
}
