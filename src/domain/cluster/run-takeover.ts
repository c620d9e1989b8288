import type { Logger } from 'pino';
import type { Executor } from '../../executors/executor.js';
import { instanceIdIn } from '../../instance-id.js';
import type { CoordinationTable, RunTable } from '../../store/store.js';
import type { EventLoopShare } from '../event-loop-share.js';
import { Loop } from '../loop.js';
import { ACTIVE_RUN_STATUSES } from '../model.js';

/**
 * Takes over the runs of instances that died, where their work outlives them (Slurm jobs;
 * docs/scale-out.md, "Slurm runs of a dead instance"). Once an instance of the same executor has
 * been silent for a lease period, the first live instance to look moves its active runs to itself in
 * one conditional statement and follows them from the dead instance's data dir. The data dir must be
 * reachable at the same path: it is checked by the instance id kept in it, so a data dir on another
 * machine's local disk is never mistaken for it (the runs then wait for their instance to restart).
 */
export class RunTakeover {
  private loop: Loop;
  /** Data dirs found unreachable, so the warning is given once per dead instance. */
  private unreachable = new Set<string>();

  constructor(
    private table: CoordinationTable,
    private runs: Pick<RunTable, 'listInStatus'>,
    private executor: Executor & Required<Pick<Executor, 'adopt'>>,
    private self: { id: string },
    private leaseMs: number,
    share: EventLoopShare,
    private log: Logger,
  ) {
    this.loop = new Loop('run-takeover', () => this.step(), share, log, Math.max(500, Math.floor(leaseMs / 2)));
  }

  start() {
    this.loop.start();
  }

  stop() {
    return this.loop.stop();
  }

  private async step(): Promise<boolean> {
    for (const { instanceId, dataDir } of await this.table.abandonedRuns(this.executor.name, this.leaseMs)) {
      // After a stall this instance may look gone itself; its own executor follows its runs already.
      if (instanceId === this.self.id || !this.reachable(instanceId, dataDir)) continue;
      const ids = new Set(await this.table.takeOverRuns(instanceId, this.self.id, this.leaseMs));
      if (!ids.size) continue;
      const runs = (await this.runs.listInStatus(ACTIVE_RUN_STATUSES, this.self.id)).filter((r) => ids.has(r.id));
      this.log.warn({ from: instanceId, dataDir, runs: ids.size }, `took over ${ids.size} runs of instance ${instanceId}, which stopped answering`);
      this.executor.adopt(dataDir, runs);
    }
    return false;
  }

  /** Whether `dataDir` is that instance's data dir as seen from here (its id file names it). */
  private reachable(instanceId: string, dataDir: string): boolean {
    let found: string | undefined;
    try {
      found = instanceIdIn(dataDir);
    } catch {
      found = undefined;
    }
    if (found === instanceId) return true;
    if (!this.unreachable.has(instanceId)) {
      this.unreachable.add(instanceId);
      this.log.warn({ instance: instanceId, dataDir }, `instance ${instanceId} stopped answering, but its data dir ${dataDir} is not `
        + 'reachable here at that path: its Slurm runs wait for it to restart (docs/scale-out.md)');
    }
    return false;
  }
}
