import type { Logger } from 'pino';
import type { RunRecord } from '../../domain/model.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import type { Store } from '../../store/store.js';
import type { Executor, RunReporter } from '../executor.js';

/** What the local executor is given by the service. */
export interface LocalExecutorOptions {
  reporter: RunReporter;
  store: Store;
  objects: ObjectStore;
  /** Per-run work and log folders live under `<dataDir>/runs/<runId>/`. */
  dataDir: string;
  /** Engine commands; undefined = look for the default on PATH. */
  engines: { cwl?: string; toilCwl?: string; wdl?: string; nextflow?: string };
  log: Logger;
}

export function createLocalExecutor(opts: LocalExecutorOptions): Executor {
  return new LocalExecutor(opts.reporter, async (run) => (await opts.store.getWorkflow(run.workflowId))?.doc.engine);
}

/** Engine each workflow engine needs, as a user would install it. */
const ENGINE_HINT: Record<string, string> = {
  CWL: 'cwltool (apt-get install cwltool) or toil-cwl-runner (apt-get install toil)',
  WDL: 'miniwdl or toil-wdl-runner (apt-get install toil)',
  WDL_LENIENT: 'miniwdl or toil-wdl-runner (apt-get install toil)',
  NEXTFLOW: 'nextflow',
};

/**
 * Runs workflows through their real engines on this machine. Until the engine adapters exist,
 * every run ends FAILED naming the engine it needed: a run is never reported as succeeded.
 */
export class LocalExecutor implements Executor {
  readonly name = 'local';

  constructor(private reporter: RunReporter, private engineOf: (run: RunRecord) => Promise<string | undefined>) {}

  start(run: RunRecord) {
    void this.engineOf(run).then((engine) => {
      const need = (engine && ENGINE_HINT[engine]) ?? 'a workflow engine';
      const reason = `The local executor cannot run ${engine ?? 'this'} workflows yet: it needs ${need}`;
      this.reporter.transition({ runId: run.id, status: 'FAILED', at: Date.now(), failureReason: 'ENGINE_UNAVAILABLE', statusMessage: reason });
    });
  }

  cancel() {}

  recover(runs: RunRecord[]) {
    for (const run of runs) {
      this.reporter.transition({
        runId: run.id, status: 'FAILED', at: Date.now(), failureReason: 'SERVICE_RESTARTED',
        statusMessage: 'omicsd stopped while this run was in progress; its engine process did not survive',
      });
    }
  }

  async close() {}
}
