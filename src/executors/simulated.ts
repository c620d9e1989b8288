import type { RunRecord, RunStatus } from '../domain/model.js';
import { SIMULATE_KEY } from '../domain/runs/parameters.js';
import type { Executor, RunReporter } from './executor.js';

interface Plan {
  outcome: 'COMPLETED' | 'FAILED';
  runningMs: number;
  failureReason?: string;
}

function planOf(run: RunRecord, defaultMs: number): Plan {
  const p = run.parameters as Record<string, any> | undefined;
  const sim = p && typeof p === 'object' && !Array.isArray(p) ? p[SIMULATE_KEY] : undefined;
  const runningMs = typeof sim?.runningMs === 'number' && sim.runningMs >= 0 ? sim.runningMs : defaultMs;
  return sim?.outcome === 'FAILED'
    ? { outcome: 'FAILED', runningMs, failureReason: typeof sim.failureReason === 'string' ? sim.failureReason : 'Simulated failure' }
    : { outcome: 'COMPLETED', runningMs };
}

/**
 * Drives runs through STARTING → RUNNING → STOPPING → COMPLETED/FAILED on real timers, with one task
 * per run. A run whose parameters carry `__omicsd_simulate` follows that plan instead.
 */
export class SimulatedExecutor implements Executor {
  readonly name = 'simulated';
  private timers = new Map<string, NodeJS.Timeout>();

  constructor(private reporter: RunReporter, private defaultRunningMs: number) {}

  start(run: RunRecord) {
    this.advance(run, 'STARTING', planOf(run, this.defaultRunningMs), undefined);
  }

  /** Moves the run one step past `from` after that step's time, until it is terminal. */
  private advance(run: RunRecord, from: RunStatus, plan: Plan, remainingMs: number | undefined) {
    const edgeMs = Math.min(50, plan.runningMs);
    const steps: Partial<Record<RunStatus, [RunStatus, number]>> = {
      STARTING: ['RUNNING', edgeMs],
      RUNNING: ['STOPPING', remainingMs ?? plan.runningMs],
      STOPPING: [plan.outcome, edgeMs],
    };
    const step = steps[from];
    if (!step) {
      this.timers.delete(run.id);
      return;
    }
    const [to, ms] = step;
    const go = () => {
      const at = Date.now();
      const failed = to === 'FAILED';
      this.reporter.transition({ runId: run.id, status: to, at, failureReason: failed ? plan.failureReason : undefined, statusMessage: failed ? plan.failureReason : undefined });
      if (to === 'RUNNING' || to === 'COMPLETED' || to === 'FAILED') {
        this.reporter.task({ runId: run.id, name: 'main', status: to, at, cpus: 1, memory: 1, failureReason: failed ? plan.failureReason : undefined });
      }
      this.advance(run, to, plan, undefined);
    };
    if (ms <= 0) go();
    else this.timers.set(run.id, setTimeout(go, ms));
  }

  cancel(runId: string) {
    clearTimeout(this.timers.get(runId));
    this.timers.delete(runId);
  }

  forget() {
    // A simulated run keeps nothing once it has ended.
  }

  recover(runs: RunRecord[]) {
    // Simulated work has no process to lose: pick each run up where the store left it.
    for (const run of runs) {
      const plan = planOf(run, this.defaultRunningMs);
      const remaining = run.status === 'RUNNING' && run.startTime ? Math.max(0, run.startTime + plan.runningMs - Date.now()) : undefined;
      this.advance(run, run.status, plan, remaining);
    }
  }

  async close() {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
