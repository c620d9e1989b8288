import type { Logger } from 'pino';
import type { Executor } from '../../executors/executor.js';
import type { RunRecord } from '../model.js';
import type { RunTable } from '../../store/store.js';
import type { EventLoopShare } from '../event-loop-share.js';
import { Loop } from '../loop.js';

/** Runs asked about per query. */
const CHUNK = 1000;

/**
 * The executor of an instance that shares its store with others (docs/scale-out.md). CancelRun and
 * CancelRunBatch may land on any instance, which cancels the run in the store; the instance whose
 * executor runs it finds that out here, within a poll period, and stops the work.
 */
export class CancelFollower implements Executor {
  readonly name: string;
  private executing = new Set<string>();
  private loop: Loop;

  constructor(private inner: Executor, private runs: Pick<RunTable, 'cancelledAmong'>, share: EventLoopShare, log: Logger, pollMs = 1000) {
    this.name = inner.name;
    this.loop = new Loop('cancel-follower', () => this.follow(), share, log, pollMs);
    this.loop.start();
    if (inner.engineVersion) this.engineVersion = (engine, main) => inner.engineVersion!(engine, main);
    if (inner.adopt) {
      this.adopt = (dataDir, runs) => {
        for (const r of runs) this.executing.add(r.id);
        inner.adopt!(dataDir, runs);
      };
    }
  }

  engineVersion?: Executor['engineVersion'];
  adopt?: Executor['adopt'];

  start(run: RunRecord) {
    this.executing.add(run.id);
    this.inner.start(run);
  }

  cancel(runId: string) {
    this.executing.delete(runId);
    this.inner.cancel(runId);
  }

  forget(runId: string) {
    this.executing.delete(runId);
    this.inner.forget(runId);
  }

  recover(runs: RunRecord[]) {
    for (const r of runs) this.executing.add(r.id);
    this.inner.recover(runs);
  }

  /** Runs that reached a final status here: nothing left to follow. */
  finished(runIds: Iterable<string>) {
    for (const id of runIds) this.executing.delete(id);
  }

  async close() {
    await this.loop.stop();
    await this.inner.close();
  }

  private async follow(): Promise<boolean> {
    const ids = [...this.executing];
    for (let i = 0; i < ids.length; i += CHUNK) {
      for (const id of await this.runs.cancelledAmong(ids.slice(i, i + CHUNK))) this.cancel(id);
    }
    return false;
  }
}
