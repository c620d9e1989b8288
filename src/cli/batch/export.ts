import type { OmicsClient } from '@aws-sdk/client-omics';
import { entryPages, getRuns } from './batch-runs.js';

/** One row of `omicsd batch export`: which sample made which run, and how it ended (docs/cli.md). */
export interface ExportRow {
  runSettingId: string;
  runId?: string;
  submissionStatus?: string;
  submissionFailureReason?: string;
  runStatus?: string;
  failureReason?: string;
  runOutputUri?: string;
  startTime?: string;
  stopTime?: string;
}

export const EXPORT_COLUMNS: (keyof ExportRow)[] = [
  'runSettingId', 'runId', 'submissionStatus', 'submissionFailureReason', 'runStatus', 'failureReason', 'runOutputUri', 'startTime', 'stopTime',
];

/** Rows in entry order, one ListRunsInBatch page (and its GetRun calls) at a time, so memory stays bounded. */
export async function* exportRows(omics: OmicsClient, batchId: string): AsyncGenerator<ExportRow> {
  for await (const page of entryPages(omics, batchId)) {
    const runs = await getRuns(omics, page);
    for (const e of page) {
      const run = e.runId ? runs.get(e.runId) : undefined;
      yield {
        runSettingId: e.runSettingId ?? '',
        runId: e.runId,
        submissionStatus: e.submissionStatus,
        submissionFailureReason: e.submissionFailureReason,
        runStatus: run?.status ?? (e.runId ? 'DELETED' : undefined),
        failureReason: run?.failureReason,
        runOutputUri: run?.runOutputUri,
        startTime: run?.startTime?.toISOString(),
        stopTime: run?.stopTime?.toISOString(),
      };
    }
  }
}
