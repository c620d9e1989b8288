import { isTerminalRunStatus, type RunStatus, type RunTransition, type TaskStatus, type TaskUpdate } from '../model.js';

/**
 * The run state machine (docs/runs.md): statuses only move forward, a terminal status changes only
 * to DELETED (by DeleteRun), and DELETED never changes. Executor reports, CancelRun, DeleteRun, the
 * scheduler's STARTING and the maxDuration limit all move runs through the store's one run-move path,
 * which checks these rules and moves the batch counters with the run.
 */
const RUN_RANK: Record<RunStatus, number> = { PENDING: 0, STARTING: 1, RUNNING: 2, STOPPING: 3, COMPLETED: 4, FAILED: 4, CANCELLED: 4, DELETED: 5 };

/** Whether a reported change moves a run forward (late or backward reports are ignored). */
export const advances = (from: RunStatus, to: RunStatus) => from !== 'DELETED' && RUN_RANK[to] > RUN_RANK[from];

/** When a move to `to` sets the run's start and stop times. */
export function runTimes(to: RunStatus, at: number, startTime?: number): { startTime?: number; stopTime?: number } {
  return {
    startTime: startTime ?? (to === 'RUNNING' ? at : undefined),
    stopTime: isTerminalRunStatus(to) && to !== 'DELETED' ? at : undefined,
  };
}

/** Several reports for one run collapse into its furthest status, keeping when it started running. */
export function coalesceRunTransitions(changes: RunTransition[]): (RunTransition & { startTime?: number })[] {
  const latest = new Map<string, RunTransition & { startTime?: number }>();
  for (const c of changes) {
    const prev = latest.get(c.runId);
    const startTime = prev?.startTime ?? (c.status === 'RUNNING' ? c.at : undefined);
    if (!prev || RUN_RANK[c.status] > RUN_RANK[prev.status]) latest.set(c.runId, { ...c, startTime });
    else prev.startTime = startTime;
  }
  return [...latest.values()];
}

const TASK_RANK: Record<TaskStatus, number> = { PENDING: 0, STARTING: 1, RUNNING: 2, STOPPING: 3, COMPLETED: 4, FAILED: 4, CANCELLED: 4 };
export const isTerminalTaskStatus = (s: TaskStatus) => TASK_RANK[s] === 4;

/** One update per task: the furthest status reported, keeping when it started running. */
export function coalesceTaskUpdates(tasks: TaskUpdate[]): (TaskUpdate & { startTime?: number })[] {
  const out = new Map<string, TaskUpdate & { startTime?: number }>();
  for (const t of tasks) {
    const key = `${t.runId}\u0000${t.name}`;
    const prev = out.get(key);
    const startTime = prev?.startTime ?? (t.status === 'RUNNING' ? t.at : undefined);
    if (!prev || TASK_RANK[t.status] >= TASK_RANK[prev.status]) out.set(key, { ...prev, ...t, startTime });
    else prev.startTime = startTime;
  }
  return [...out.values()];
}
