import type { RunRecord, RunTransition, TaskUpdate } from '../domain/model.js';

/** Where an executor reports what its runs do; the service commits these to the store. */
export interface RunReporter {
  transition(change: RunTransition): void;
  task(update: TaskUpdate): void;
}

/**
 * Runs workflow runs. The scheduler hands over runs it moved to STARTING; the executor reports
 * RUNNING/STOPPING and the terminal status through the reporter. Cancelled runs are already
 * CANCELLED in the store when `cancel` is called: the executor only stops the work.
 */
export interface Executor {
  readonly name: string;
  start(run: RunRecord): void;
  cancel(runId: string): void;
  /** The run was deleted (DeleteRun, DeleteRunBatch, quota eviction): drop whatever the executor keeps of it. */
  forget(runId: string): void;
  /** After a restart: runs the store still shows active. Resume them or report them FAILED. */
  recover(runs: RunRecord[]): void;
  /**
   * Follows, from now on, runs another instance started and can no longer follow (it died), their
   * folders in that instance's data dir `dataDir`. Only executors whose work outlives the instance
   * that started it (Slurm jobs) offer this (docs/scale-out.md).
   */
  adopt?(dataDir: string, runs: RunRecord[]): void;
  /** The name and version of the engine that runs a definition of this engine and main file (GetRun's engineVersion), asked of the engine. */
  engineVersion?(engine: string | undefined, main: string | undefined): Promise<string | undefined>;
  close(): Promise<void>;
}
