import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { Executor } from '../executors/executor.js';
import type { RunGroupRecord } from './model.js';

const UNCAPPED_PASS = 1000;

/**
 * Starts queued runs: highest priority first, then oldest, within the global concurrency cap and
 * each run group's `maxRuns`. Runs past those limits wait in PENDING, as HealthOmics queues them.
 */
export class Scheduler {
  private running = false;
  private again = false;
  private ticker: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private store: Store, private executor: Executor, private maxConcurrent: number, private log: Logger) {}

  start() {
    this.ticker = setInterval(() => this.kick(), 1000);
    this.kick();
  }

  async stop() {
    this.stopped = true;
    clearInterval(this.ticker);
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  kick() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop() {
    try {
      do {
        this.again = false;
        if (await this.pass()) this.again = true;
        await new Promise((resolve) => setImmediate(resolve));
      } while (this.again && !this.stopped);
    } catch (err) {
      this.log.error({ err }, 'scheduler pass failed');
    } finally {
      this.running = false;
    }
  }

  /** One pass; true when it filled its capacity and another may start more. */
  private async pass(): Promise<boolean> {
    const { total, byGroup } = await this.store.countActiveRuns();
    const capacity = this.maxConcurrent > 0 ? Math.min(UNCAPPED_PASS, this.maxConcurrent - total) : UNCAPPED_PASS;
    if (capacity <= 0) return false;
    const groups = new Map<string, RunGroupRecord | undefined>();
    const groupOf = async (id: string) => {
      if (!groups.has(id)) groups.set(id, await this.store.getRunGroup(id));
      return groups.get(id);
    };
    const full: string[] = [];
    for (const [g, n] of byGroup) {
      const limit = (await groupOf(g))?.maxRuns;
      if (limit !== undefined && n >= limit) full.push(g);
    }
    const candidates = await this.store.queuedRuns(capacity, full);
    const active = new Map(byGroup);
    const chosen = [];
    for (const run of candidates) {
      if (run.runGroupId) {
        const limit = (await groupOf(run.runGroupId))?.maxRuns;
        const n = active.get(run.runGroupId) ?? 0;
        if (limit !== undefined && n >= limit) continue;
        active.set(run.runGroupId, n + 1);
      }
      chosen.push(run);
    }
    if (!chosen.length) return false;
    const moved = new Set(await this.store.markStarting(chosen.map((r) => r.id), Date.now()));
    for (const run of chosen) if (moved.has(run.id)) this.executor.start({ ...run, status: 'STARTING' });
    return candidates.length === capacity;
  }
}
