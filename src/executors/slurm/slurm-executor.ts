import path from 'node:path';
import type { RunRecord } from '../../domain/model.js';
import type { Executor } from '../executor.js';

/**
 * The Slurm executor of an instance: its own runs, plus the runs it took over from instances that
 * died (docs/scale-out.md, "Slurm runs of a dead instance"). A job does not depend on the instance
 * that submitted it, so another instance can follow it: from the dead instance's run folders (its
 * data dir, on the filesystem the cluster shares) and under its job names, by an engine executor of
 * its own for that data dir.
 */
export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  /** One executor per dead instance's data dir whose runs this instance took over. */
  private adopted = new Map<string, Executor>();
  /** Which adopted executor follows a run (a run not here is the instance's own). */
  private followedBy = new Map<string, Executor>();

  constructor(private own: Executor, private forDataDir: (dataDir: string) => Executor) {
    if (own.engineVersion) this.engineVersion = (engine, main) => own.engineVersion!(engine, main);
  }

  engineVersion?: Executor['engineVersion'];

  start(run: RunRecord) {
    this.own.start(run);
  }

  cancel(runId: string) {
    (this.followedBy.get(runId) ?? this.own).cancel(runId);
  }

  forget(runId: string) {
    const by = this.followedBy.get(runId);
    this.followedBy.delete(runId);
    (by ?? this.own).forget(runId);
  }

  recover(runs: RunRecord[]) {
    this.own.recover(runs);
  }

  adopt(dataDir: string, runs: RunRecord[]) {
    const dir = path.resolve(dataDir);
    let executor = this.adopted.get(dir);
    if (!executor) {
      executor = this.forDataDir(dir);
      this.adopted.set(dir, executor);
    }
    for (const run of runs) this.followedBy.set(run.id, executor);
    // Recovery is how an executor picks runs up after a restart; taking over is the same, elsewhere.
    executor.recover(runs);
  }

  async close() {
    await Promise.all([this.own.close(), ...[...this.adopted.values()].map((e) => e.close())]);
  }
}
