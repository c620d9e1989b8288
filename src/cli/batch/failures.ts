import type { GetRunResponse, OmicsClient, RunStatus } from '@aws-sdk/client-omics';
import { entryPages, getRuns, runIdsIn } from './batch-runs.js';

/** One failed entry of a batch: a start submission that failed, or a run that ended FAILED (or CANCELLED). */
export interface Failure {
  runSettingId: string;
  runId?: string;
  /** `submission` when no run was created; otherwise the run's status. */
  stage: 'submission' | 'FAILED' | 'CANCELLED';
  reason?: string;
  message?: string;
}

export const FAILURE_COLUMNS = ['runSettingId', 'runId', 'stage', 'reason', 'message'];

/**
 * Failed submissions, then failed runs (and cancelled ones when asked), each in the batch's entry order;
 * a failed run comes with its GetRun answer, so that `batch retry` need not ask again.
 */
export async function* batchFailures(
  omics: OmicsClient,
  batchId: string,
  o: { includeCancelled?: boolean } = {},
): AsyncGenerator<Failure & { run?: GetRunResponse }> {
  for await (const page of entryPages(omics, batchId, 'FAILED')) {
    for (const e of page) {
      yield { runSettingId: e.runSettingId ?? '', stage: 'submission', reason: e.submissionFailureReason, message: e.submissionFailureMessage };
    }
  }
  const statuses: RunStatus[] = o.includeCancelled ? ['FAILED', 'CANCELLED'] : ['FAILED'];
  const failedRuns = await runIdsIn(omics, batchId, statuses);
  if (failedRuns.size === 0) return;
  for await (const page of entryPages(omics, batchId)) {
    const mine = page.filter((e) => e.runId !== undefined && failedRuns.has(e.runId));
    if (mine.length === 0) continue;
    const runs = await getRuns(omics, mine);
    for (const e of mine) {
      const run = runs.get(e.runId!);
      if (!run || (run.status !== 'FAILED' && run.status !== 'CANCELLED')) continue;
      yield { runSettingId: e.runSettingId ?? '', runId: e.runId, stage: run.status, reason: run.failureReason, message: run.statusMessage, run };
    }
  }
}
