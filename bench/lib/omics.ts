import { randomUUID } from 'node:crypto';
import {
  CreateWorkflowCommand, GetBatchCommand, GetWorkflowCommand, OmicsClient, StartRunBatchCommand,
  type GetBatchCommandOutput, type InlineSetting,
} from '@aws-sdk/client-omics';
import { strToU8, zipSync } from 'fflate';

export const ROLE = 'arn:aws:iam::123456789012:role/OmicsBenchRole';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The official client as a user configures it for a custom endpoint. */
export function sdkClient(url: string) {
  return new OmicsClient({
    region: 'us-east-1',
    endpoint: url,
    disableHostPrefix: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    // A retry would hide a failure and distort a latency: every call is measured once.
    maxAttempts: 1,
  });
}

/** Inputs of the benchmark workflow; they make its parameter template, which every entry must fit. */
const CWL = `cwlVersion: v1.2
class: CommandLineTool
baseCommand: echo
inputs:
  sample:
    type: string
    inputBinding: {position: 1}
  reads1: {type: string?}
  reads2: {type: string?}
  notes: {type: string?}
outputs: []
`;

/** Creates the one-file CWL workflow and waits until it is ACTIVE. */
export async function createWorkflow(client: OmicsClient): Promise<string> {
  const res = await client.send(new CreateWorkflowCommand({
    name: 'bench', requestId: randomUUID(), definitionZip: zipSync({ 'main.cwl': strToU8(CWL) }),
  }));
  const id = res.id!;
  for (let i = 0; i < 200; i++) {
    const wf = await client.send(new GetWorkflowCommand({ id }));
    if (wf.status === 'ACTIVE') return id;
    if (wf.status === 'FAILED') throw new Error(`workflow ${id} FAILED: ${wf.statusMessage}`);
    await sleep(50);
  }
  throw new Error(`workflow ${id} did not become ACTIVE within 10 s`);
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

export type Batch = GetBatchCommandOutput;

/**
 * Polls GetBatch until `done` says so; FAILED (or CANCELLED) is an error, and so is running past
 * `timeoutMs`. `onPoll` sees every answer with the time it arrived.
 */
export async function waitBatch(client: OmicsClient, id: string, done: (b: Batch) => boolean, o: { timeoutMs: number; pollMs?: number; onPoll?: (b: Batch, t: number) => void }): Promise<Batch> {
  const end = performance.now() + o.timeoutMs;
  while (performance.now() < end) {
    const b = await client.send(new GetBatchCommand({ batchId: id }));
    o.onPoll?.(b, performance.now());
    if (b.status === 'FAILED' || b.status === 'CANCELLED') throw new Error(`batch ${id} ${b.status}: ${b.failureReason ?? ''}`);
    if (done(b)) return b;
    await sleep(o.pollMs ?? 50);
  }
  throw new Error(`batch ${id} not done within ${Math.round(o.timeoutMs / 1000)} s`);
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
