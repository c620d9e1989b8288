import {
  GetRunCommand, paginateListRuns, paginateListRunsInBatch,
  type GetRunResponse, type OmicsClient, type RunBatchListItem, type RunStatus, type SubmissionStatus,
} from '@aws-sdk/client-omics';
import { eachLimited } from '../pool.js';

/** How many GetRun calls the batch commands keep in flight. */
export const GET_RUN_CONCURRENCY = 16;

/** Every entry of a batch, page by page, in the order ListRunsInBatch gives them. */
export async function* entryPages(omics: OmicsClient, batchId: string, submissionStatus?: SubmissionStatus) {
  for await (const page of paginateListRunsInBatch({ client: omics, pageSize: 100 }, { batchId, submissionStatus })) {
    yield page.runs ?? [];
  }
}

/** The ids of the batch's runs in any of `statuses` (ListRuns filtered by batch and status). */
export async function runIdsIn(omics: OmicsClient, batchId: string, statuses: RunStatus[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const status of statuses) {
    for await (const page of paginateListRuns({ client: omics, pageSize: 100 }, { batchId, status })) {
      for (const r of page.items ?? []) if (r.id) ids.add(r.id);
    }
  }
  return ids;
}

/** GetRun for each entry of `entries` that has a run, at most GET_RUN_CONCURRENCY at once; keyed by run id. */
export async function getRuns(omics: OmicsClient, entries: RunBatchListItem[]): Promise<Map<string, GetRunResponse>> {
  const runs = new Map<string, GetRunResponse>();
  const ids = entries.flatMap((e) => (e.runId ? [e.runId] : []));
  const failures = await eachLimited(ids, GET_RUN_CONCURRENCY, async (id) => {
    runs.set(id, await omics.send(new GetRunCommand({ id })));
  });
  // A run deleted in the meantime is simply absent; anything else is an error the caller should see.
  const real = failures.filter((f) => (f.error as { name?: string }).name !== 'ResourceNotFoundException');
  if (real.length > 0) throw real[0].error;
  return runs;
}
