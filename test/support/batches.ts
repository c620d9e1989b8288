// Run batches through the API: reading one, and waiting for it to get somewhere.
import { GetBatchCommand, type GetBatchCommandOutput, type OmicsClient } from '@aws-sdk/client-omics';
import { eventually, type PollOptions } from './wait.js';

export type Batch = GetBatchCommandOutput;

export const getBatch = (client: OmicsClient, batchId: string): Promise<Batch> => client.send(new GetBatchCommand({ batchId }));

/**
 * Polls GetBatch until `done(batch)` and returns that answer; fails after `ms` (see eventually():
 * by default an error thrown by GetBatch or by `done` is retried until then).
 */
export function waitBatch(client: OmicsClient, batchId: string, done: (b: Batch) => boolean, ms = 20000, what = 'done', o: PollOptions = {}): Promise<Batch> {
  return eventually(async () => {
    const b = await getBatch(client, batchId);
    return done(b) && b;
  }, ms, `batch ${batchId} ${what}`, o);
}

/** Waits until the batch's status is one of `statuses`. */
export const waitBatchStatus = (client: OmicsClient, batchId: string, statuses: string[], ms = 20000) =>
  waitBatch(client, batchId, (b) => statuses.includes(b.status!), ms, `in ${statuses.join('/')}`);

/** successfulStartSubmissionCount so far (0 before the first run is created). */
export const submitted = (b: Batch) => b.submissionSummary?.successfulStartSubmissionCount ?? 0;
