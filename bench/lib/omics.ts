import { randomUUID } from 'node:crypto';
import { StartRunBatchCommand, type OmicsClient, type InlineSetting } from '@aws-sdk/client-omics';
import { waitBatch as pollBatch, type Batch } from '../../test/support/batches.js';
import { ROLE } from '../../test/support/client.js';
import { QUICK_WAITER } from '../../test/support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../../test/support/workflows.js';

export type { Batch };

/** Inputs of the benchmark workflow; they make its parameter template, which every entry must fit. */
const INPUTS = {
  sample: { type: 'string', inputBinding: { position: 1 } },
  reads1: { type: 'string?' },
  reads2: { type: 'string?' },
  notes: { type: 'string?' },
};

/** Creates the one-file CWL workflow and waits (up to 10 s) until it is ACTIVE. */
export function benchWorkflow(client: OmicsClient): Promise<string> {
  const definition = definitionZip({ 'main.cwl': cwlTool('echo', { inputs: INPUTS }) });
  return createWorkflow(client, { name: 'bench', requestId: randomUUID(), definitionZip: definition }, { maxWaitTime: 10, ...QUICK_WAITER });
}

export const defaultRunSetting = (workflowId: string) => ({
  workflowId, roleArn: ROLE, outputUri: 's3://bench-out/runs/', storageType: 'DYNAMIC' as const,
});

/** StartRunBatch with either inline entries or a settings file URI; returns the batch id. */
export async function startBatch(client: OmicsClient, workflowId: string, runs: { inline?: InlineSetting[]; s3Uri?: string }, name = 'bench'): Promise<string> {
  const res = await client.send(new StartRunBatchCommand({
    batchName: name, requestId: randomUUID(), defaultRunSetting: defaultRunSetting(workflowId),
    batchRunSettings: runs.inline ? { inlineSettings: runs.inline } : { s3UriSettings: runs.s3Uri! },
  }));
  return res.id!;
}

/**
 * Polls GetBatch every `pollMs` until `done` says so; FAILED (or CANCELLED) is an error at once,
 * and so are a failed call and running past `timeoutMs`.
 */
export function waitBatch(client: OmicsClient, id: string, done: (b: Batch) => boolean, o: { timeoutMs: number; pollMs?: number }): Promise<Batch> {
  return pollBatch(client, id, (b) => {
    if (b.status === 'FAILED' || b.status === 'CANCELLED') throw new Error(`batch ${id} ${b.status}: ${b.failureReason ?? ''}`);
    return done(b);
  }, o.timeoutMs, 'done', { everyMs: o.pollMs ?? 50, failFast: true });
}

export const processed = (b: Batch) => b.status === 'PROCESSED';

/** The batch reached PROCESSED with every run created and COMPLETED; anything else is a harness error. */
export function assertAllCompleted(b: Batch, n: number) {
  const ok = b.submissionSummary?.successfulStartSubmissionCount;
  const done = b.runSummary?.completedRunCount;
  if (b.totalRuns !== n || ok !== n || done !== n) {
    throw new Error(`batch ${b.id}: expected ${n} completed runs, got totalRuns ${b.totalRuns}, submitted ${ok}, `
      + `failed submissions ${b.submissionSummary?.failedStartSubmissionCount}, completed ${done}, failed runs ${b.runSummary?.failedRunCount}`);
  }
}
