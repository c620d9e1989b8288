import path from 'node:path';
import { GetRunCommand, ListRunsInBatchCommand } from '@aws-sdk/client-omics';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { s3cp } from '../../test/support/cli.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { assertAllCompleted, benchWorkflow, processed, startBatch, waitBatch } from '../lib/omics.js';
import { rawInsertRate } from '../lib/raw-inserts.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import type { Profile } from '../profile.js';

/**
 * Submit: a batch of small entries from the embedded store, rate uncapped, runs that finish at once;
 * runs/s from the first run created until no start submission is pending (server clock), beside raw
 * inserts of the same rows into the same database. Reads while it submits: the pollers scenario.
 */
export async function submit(p: Profile) {
  const s = p.submit;
  const submitFigs = new Figures('submit');
  const dir = tempDir('submit');
  const dataDir = path.join(dir, 'data');
  let server: Omicsd | undefined;
  try {
    writeSettingsFile(path.join(dir, 'main.json'), s.runs, smallEntry, 1);
    await s3cp(path.join(dir, 'main.json'), 's3://bench-in/main.json', dataDir);
    server = await startOmicsd({ dataDir, simRunMs: 0, startRunRate: 0, maxRuns: 0 });
    const { client } = server;
    const workflowId = await benchWorkflow(client);
    const mainId = await startBatch(client, workflowId, { s3Uri: 's3://bench-in/main.json' }, 'submit');
    const last = await waitBatch(client, mainId, (b) => b.totalRuns !== undefined && b.submissionSummary?.pendingStartSubmissionCount === 0, { timeoutMs: 600_000, pollMs: 50 });
    if ((last.submissionSummary?.failedStartSubmissionCount ?? 0) > 0) throw new Error(`batch ${mainId}: ${last.submissionSummary?.failedStartSubmissionCount} start submissions failed`);
    const firstRunId = (await client.send(new ListRunsInBatchCommand({ batchId: mainId, maxItems: 1 }))).runs![0].runId!;
    const windowStart = (await client.send(new GetRunCommand({ id: firstRunId }))).creationTime!.getTime();
    const submitSeconds = Math.max(0.001, (last.submittedTime!.getTime() - windowStart) / 1000);
    const runsPerSecond = s.runs / submitSeconds;
    log('submit', `${runsPerSecond.toFixed(0)} runs/s (${s.runs} runs in ${submitSeconds.toFixed(2)} s)`);
    assertAllCompleted(await waitBatch(client, mainId, processed, { timeoutMs: 600_000, pollMs: 100 }), s.runs);
    await server.stop();
    server = undefined;

    const raw = rawInsertRate(path.join(dataDir, 'omicsd.sqlite'), mainId);
    log('submit', `raw inserts: ${raw.rowsPerSecond.toFixed(0)} rows/s`);
    submitFigs.add({
      figure: 'runs submitted', value: runsPerSecond, unit: 'runs/s', limit: raw.rowsPerSecond, limitLabel: 'raw SQLite inserts',
      target: '≥ 20,000 runs/s; ≥ 0.2× raw', pass: runsPerSecond >= 0.2 * raw.rowsPerSecond && runsPerSecond >= 20_000,
    });
    return { figures: submitFigs.list, details: { runs: s.runs, submitSeconds, runsPerSecond, rawInsert: raw } };
  } finally {
    await server?.child.stop();
    removeDir(dir);
  }
}
