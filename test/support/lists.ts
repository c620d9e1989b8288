// Every item of a paginated list, all pages.
import { paginateListRuns, paginateListRunsInBatch, type ListRunsCommandInput, type OmicsClient, type RunBatchListItem, type RunListItem } from '@aws-sdk/client-omics';

/** ListRuns with `filter`, every page of 100. */
export async function allRuns(client: OmicsClient, filter: ListRunsCommandInput = {}): Promise<RunListItem[]> {
  const items: RunListItem[] = [];
  for await (const page of paginateListRuns({ client, pageSize: 100 }, filter)) items.push(...(page.items ?? []));
  return items;
}

/** ListRunsInBatch of `batchId`, every page of 100. */
export async function allBatchEntries(client: OmicsClient, batchId: string): Promise<RunBatchListItem[]> {
  const entries: RunBatchListItem[] = [];
  for await (const page of paginateListRunsInBatch({ client, pageSize: 100 }, { batchId })) entries.push(...(page.runs ?? []));
  return entries;
}
