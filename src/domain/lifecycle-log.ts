import type { Logger } from 'pino';
import type { AppliedTransition, Store } from '../store/store.js';
import type { BatchMove } from './batches/batch-transitions.js';

/**
 * What an operator reads in the log (docs/operations.md, "Logs"): one line per batch lifecycle event,
 * with its counts, and one per failed run, naming its batch and runSettingId.
 */
export function logBatchLifecycle(store: Pick<Store, 'batches'>, log: Logger) {
  store.batches.onTransition((move) => {
    describe(store, log, move).catch((err) => log.warn({ err, batchId: move.batchId }, 'could not describe a batch event'));
  });
}

async function describe(store: Pick<Store, 'batches'>, log: Logger, move: BatchMove) {
  const b = await store.batches.get(move.batchId, null);
  const batchId = move.batchId;
  const s = b?.submission;
  const r = b?.runs;
  switch (move.transition) {
    case 'beginIngest':
      return log.info({ batchId, event: move.transition }, `batch ${batchId}: reading its run list`);
    case 'finishIngest':
      return log.info({ batchId, event: move.transition, totalRuns: b?.totalRuns }, `batch ${batchId}: ${b?.totalRuns} runs to submit`);
    case 'fail':
      return log.warn({ batchId, event: move.transition, failureReason: b?.failureReason, statusMessage: b?.failureDetail }, `batch ${batchId} FAILED: ${b?.failureDetail ?? b?.failureReason}`);
    case 'allSubmitted':
      return log.info({ batchId, event: move.transition, started: s?.successfulStartSubmissionCount, failed: s?.failedStartSubmissionCount },
        `batch ${batchId}: every entry submitted (${s?.successfulStartSubmissionCount} runs started, ${s?.failedStartSubmissionCount} entries failed)`);
    case 'allRunsFinished':
      return log.info({ batchId, event: move.transition, completed: r?.completedRunCount, failed: r?.failedRunCount, cancelled: r?.cancelledRunCount },
        `batch ${batchId} PROCESSED: ${r?.completedRunCount} completed, ${r?.failedRunCount} failed, ${r?.cancelledRunCount} cancelled`);
    case 'requestCancel':
      return log.info({ batchId, event: move.transition }, `batch ${batchId}: cancel requested`);
    case 'cancelWalked':
      return log.info({ batchId, event: move.transition, cancelled: s?.successfulCancelSubmissionCount, failed: s?.failedCancelSubmissionCount },
        `batch ${batchId} CANCELLED: ${s?.successfulCancelSubmissionCount} runs cancelled, ${s?.failedCancelSubmissionCount} could not be`);
    case 'requestRunDeletion':
      return log.info({ batchId, event: move.transition }, `batch ${batchId}: deleting its runs`);
    case 'runsDeleted':
    case 'runsDeleteFailed':
      return log[move.transition === 'runsDeleted' ? 'info' : 'warn']({ batchId, event: move.transition, deleted: s?.successfulDeleteSubmissionCount, failed: s?.failedDeleteSubmissionCount },
        `batch ${batchId} ${move.status}: ${s?.successfulDeleteSubmissionCount} runs deleted, ${s?.failedDeleteSubmissionCount} could not be`);
  }
}

/** Logs each run that ended FAILED, with its batch and runSettingId when it came from one. */
export function logRunFailures(store: Pick<Store, 'runs'>, log: Logger): (applied: AppliedTransition[]) => void {
  return (applied) => {
    for (const a of applied) {
      if (a.status !== 'FAILED') continue;
      store.runs.get(a.runId, null).then((run) => {
        log.warn({ runId: a.runId, batchId: run?.batchId, runSettingId: run?.extra.runSettingId, failureReason: run?.failureReason, statusMessage: run?.statusMessage },
          `run ${a.runId}${run?.batchId ? ` (batch ${run.batchId}, ${run.extra.runSettingId})` : ''} FAILED: ${run?.failureReason}`);
      }, (err) => log.warn({ err, runId: a.runId }, 'could not describe a failed run'));
    }
  };
}
