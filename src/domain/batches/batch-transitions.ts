import type { BatchStatus } from '../model.js';

/**
 * The batch state machine (docs/batches.md, "Transitions"). Every status change after StartRunBatch
 * created the batch in CREATING goes through one of these named transitions; the store applies a
 * transition atomically: it moves the status only from one of `from`, only while `when` holds, and
 * records `effects` in the same write. Nothing else writes a batch's status.
 */
export interface BatchTransitionRule {
  from: readonly BatchStatus[];
  to: BatchStatus;
  /** A condition on the batch's own counters that must hold as well. */
  when?: BatchCondition;
  /** What the transition records besides the status. */
  effects: readonly BatchEffect[];
}

export type BatchCondition =
  /** Every entry has a submission outcome. */
  | 'noEntryPending'
  /** No run of the batch is PENDING, STARTING, RUNNING or STOPPING. */
  | 'noActiveRun'
  /** The delete walker could delete every run. */
  | 'noFailedDelete'
  /** The delete walker failed to delete at least one run. */
  | 'someFailedDelete';

export type BatchEffect =
  | 'recordTotalRuns'
  | 'recordFailure'
  | 'stampSubmittedTime'
  | 'stampProcessedTime'
  | 'markCancelRequested'
  | 'clearPendingStarts'
  | 'markDeleteRequested'
  | 'resetWalkerCursor';

export const BATCH_TRANSITIONS = {
  beginIngest: { from: ['CREATING'], to: 'PENDING', effects: [] },
  finishIngest: { from: ['PENDING'], to: 'SUBMITTING', effects: ['recordTotalRuns'] },
  fail: { from: ['PENDING', 'SUBMITTING'], to: 'FAILED', effects: ['recordFailure'] },
  allSubmitted: { from: ['SUBMITTING'], to: 'INPROGRESS', when: 'noEntryPending', effects: ['stampSubmittedTime'] },
  allRunsFinished: { from: ['INPROGRESS'], to: 'PROCESSED', when: 'noActiveRun', effects: ['stampProcessedTime'] },
  requestCancel: {
    from: ['PENDING', 'SUBMITTING', 'INPROGRESS'], to: 'STOPPING',
    effects: ['markCancelRequested', 'clearPendingStarts', 'resetWalkerCursor'],
  },
  cancelWalked: { from: ['STOPPING'], to: 'CANCELLED', effects: [] },
  requestRunDeletion: { from: ['PROCESSED', 'CANCELLED'], to: 'RUNS_DELETING', effects: ['markDeleteRequested', 'resetWalkerCursor'] },
  runsDeleted: { from: ['RUNS_DELETING'], to: 'RUNS_DELETED', when: 'noFailedDelete', effects: [] },
  runsDeleteFailed: { from: ['RUNS_DELETING'], to: 'RUNS_DELETE_FAILED', when: 'someFailedDelete', effects: [] },
} as const satisfies Record<string, BatchTransitionRule>;

export type BatchTransitionName = keyof typeof BATCH_TRANSITIONS;

/** The values some effects record; `at` stamps times. */
export interface BatchTransitionArgs {
  at: number;
  totalRuns?: number;
  /** The documented failureReason text. */
  failureReason?: string;
  /** What is wrong and where (GetBatch's statusMessage); the reason when absent. */
  failureDetail?: string;
}

/** Where DeleteBatch may remove a batch record (not a transition: the record goes away). */
export const DELETABLE_BATCH_STATUSES: readonly BatchStatus[] = ['PROCESSED', 'FAILED', 'CANCELLED', 'RUNS_DELETE_FAILED', 'RUNS_DELETED'];

/** The outcome of applying a transition: whether it moved, and the status the batch has now (undefined: no such batch). */
export interface BatchTransitionResult {
  moved: boolean;
  status?: BatchStatus;
}

/** A transition that happened (committed). */
export interface BatchMove {
  batchId: string;
  transition: BatchTransitionName;
  status: BatchStatus;
  at: number;
}

/** Statuses a transition can be requested from, as a client-facing list. */
export const allowedFrom = (name: BatchTransitionName) => BATCH_TRANSITIONS[name].from.join(', ');
