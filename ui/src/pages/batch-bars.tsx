import type { GetBatchCommandOutput } from '@aws-sdk/client-omics';
import { Progress } from '../components/Progress.js';

type Batch = GetBatchCommandOutput;

/** The batch's start submissions over its total runs. */
export function SubmissionBar({ batch }: { batch: Batch }) {
  const s = batch.submissionSummary ?? {};
  const total = batch.totalRuns ?? (s.successfulStartSubmissionCount ?? 0) + (s.failedStartSubmissionCount ?? 0) + (s.pendingStartSubmissionCount ?? 0);
  return (
    <Progress label="submission" total={total} segments={[
      { label: 'started', value: s.successfulStartSubmissionCount ?? 0, kind: 'ok' },
      { label: 'failed', value: s.failedStartSubmissionCount ?? 0, kind: 'bad' },
    ]} />
  );
}

/** The batch's runs by status, over the runs it created. */
export function RunsBar({ batch }: { batch: Batch }) {
  const r = batch.runSummary ?? {};
  const total = batch.submissionSummary?.successfulStartSubmissionCount ?? 0;
  return (
    <Progress label="runs" total={total} segments={[
      { label: 'completed', value: r.completedRunCount ?? 0, kind: 'ok' },
      { label: 'failed', value: r.failedRunCount ?? 0, kind: 'bad' },
      { label: 'cancelled', value: r.cancelledRunCount ?? 0, kind: 'off' },
      { label: 'running', value: (r.runningRunCount ?? 0) + (r.stoppingRunCount ?? 0), kind: 'busy' },
      { label: 'starting', value: r.startingRunCount ?? 0, kind: 'wait' },
      { label: 'pending', value: r.pendingRunCount ?? 0, kind: 'idle' },
    ]} />
  );
}

/** Runs that have ended (any way). */
export const finishedRuns = (b: Batch) => (b.runSummary?.completedRunCount ?? 0) + (b.runSummary?.failedRunCount ?? 0) + (b.runSummary?.cancelledRunCount ?? 0);
