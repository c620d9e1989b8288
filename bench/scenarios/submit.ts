import path from 'node:path';
import Database from 'better-sqlite3';
import { GetBatchCommand, GetRunCommand, ListRunsInBatchCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { s3cp } from '../../test/support/cli.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { sleep } from '../../test/support/wait.js';
import { assertAllCompleted, benchWorkflow, processed, startBatch, waitBatch, type Batch } from '../lib/omics.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import { summary } from '../lib/stats.js';
import type { Profile } from '../profile.js';

type Read = { name: string; call: () => Promise<unknown> };

/** The three reads, on a finished batch: the same calls whether the server is idle or busy. */
async function readsOn(client: OmicsClient, batchId: string, pageSize: number, deepPage: number): Promise<Read[]> {
  let token: string | undefined;
  for (let page = 1; page < deepPage; page++) {
    token = (await client.send(new ListRunsInBatchCommand({ batchId, maxItems: pageSize, startingToken: token }))).nextToken;
    if (!token) throw new Error(`batch ${batchId} has no page ${page + 1}`);
  }
  const deep = token;
  const list = (startingToken?: string) => async () => {
    const r = await client.send(new ListRunsInBatchCommand({ batchId, maxItems: pageSize, startingToken }));
    if (r.runs?.length !== pageSize) throw new Error(`ListRunsInBatch returned ${r.runs?.length} runs, expected ${pageSize}`);
  };
  return [
    { name: 'GetBatch', call: () => client.send(new GetBatchCommand({ batchId })) },
    { name: 'ListRunsInBatch page 1', call: list() },
    { name: `ListRunsInBatch page ${deepPage}`, call: list(deep) },
  ];
}

/** A wall-clock time in ms with sub-ms precision, comparable with the server's timestamps (same machine). */
const wallNow = () => performance.timeOrigin + performance.now();

interface Call { start: number; end: number; ms: number }

/**
 * One paced loop per read (each call waits for the previous one plus `gapMs`), all in parallel,
 * until `more()` says stop. A call that the server holds up is held up in full, not skipped.
 */
async function measureReads(reads: Read[], gapMs: number, more: (round: number) => boolean) {
  const calls = new Map<string, Call[]>(reads.map((r) => [r.name, []]));
  await Promise.all(reads.map(async (r) => {
    for (let round = 0; more(round); round++) {
      const start = wallNow();
      await r.call();
      const end = wallNow();
      calls.get(r.name)!.push({ start, end, ms: end - start });
      await sleep(gapMs);
    }
  }));
  return calls;
}

/** Raw inserts of copies of the batch's run rows into the same database, one prepared statement, one transaction. */
function rawInsertRate(dbFile: string, batchId: string) {
  const db = new Database(dbFile);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const rows = db.prepare('SELECT * FROM runs WHERE batch_id = ? ORDER BY id').all(batchId) as Record<string, unknown>[];
    const { lo, hi } = db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM runs').get() as { lo: number; hi: number };
    const shift = hi - lo + 1;
    for (const r of rows) r.id = (r.id as number) + shift;
    const cols = Object.keys(rows[0]);
    const insert = db.prepare(`INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`);
    const t = performance.now();
    db.transaction(() => {
      for (const r of rows) insert.run(r);
    })();
    const seconds = (performance.now() - t) / 1000;
    return { rows: rows.length, seconds, rowsPerSecond: rows.length / seconds };
  } finally {
    db.close();
  }
}

/**
 * Submit: a batch of small entries, rate uncapped, runs that finish at once; runs/s from the moment
 * totalRuns appears until no start submission is pending, beside raw inserts of the same rows.
 * Reads under load: GetBatch and ListRunsInBatch pages on an earlier finished batch, first idle,
 * then while that submission runs.
 */
export async function submit(p: Profile) {
  const s = p.submit;
  const submitFigs = new Figures('submit');
  const readFigs = new Figures('reads under load');
  const dir = tempDir('submit');
  const dataDir = path.join(dir, 'data');
  let server: Omicsd | undefined;
  try {
    const prepRuns = s.pageSize * s.deepPage;
    writeSettingsFile(path.join(dir, 'prep.json'), prepRuns, smallEntry, 1);
    writeSettingsFile(path.join(dir, 'main.json'), s.runs, smallEntry, 1);
    await s3cp(path.join(dir, 'prep.json'), 's3://bench-in/prep.json', dataDir);
    await s3cp(path.join(dir, 'main.json'), 's3://bench-in/main.json', dataDir);

    server = await startOmicsd({ dataDir, simRunMs: 0, startRunRate: 0, maxRuns: 0 });
    const { client } = server;
    const workflowId = await benchWorkflow(client);
    const prepId = await startBatch(client, workflowId, { s3Uri: 's3://bench-in/prep.json' }, 'reads');
    assertAllCompleted(await waitBatch(client, prepId, processed, { timeoutMs: 300_000, pollMs: 100 }), prepRuns);
    const reads = await readsOn(client, prepId, s.pageSize, s.deepPage);
    const idle = await measureReads(reads, s.gapMs, (round) => round < s.idleRounds);
    log('submit', `idle reads done (${s.idleRounds} of each)`);

    // Reads keep going from StartRunBatch until no start submission is pending; those that overlap
    // the submission window (first run created → submittedTime, server clock) are "under load".
    let submitting = true;
    const mainId = await startBatch(client, workflowId, { s3Uri: 's3://bench-in/main.json' }, 'submit');
    const busyCalls = measureReads(reads, s.gapMs, () => submitting);
    let last: Batch;
    try {
      last = await waitBatch(client, mainId, (b) => b.totalRuns !== undefined && b.submissionSummary?.pendingStartSubmissionCount === 0, { timeoutMs: 600_000, pollMs: 50 });
    } finally {
      submitting = false; // also on an error, so that the reads stop
    }
    const busy = await busyCalls;
    if ((last.submissionSummary?.failedStartSubmissionCount ?? 0) > 0) throw new Error(`batch ${mainId}: ${last.submissionSummary?.failedStartSubmissionCount} start submissions failed`);
    // Server-side times, so the figure does not depend on the server answering while it submits.
    const firstRunId = (await client.send(new ListRunsInBatchCommand({ batchId: mainId, maxItems: 1 }))).runs![0].runId!;
    const windowStart = (await client.send(new GetRunCommand({ id: firstRunId }))).creationTime!.getTime();
    const windowEnd = last.submittedTime!.getTime();
    const submitSeconds = Math.max(0.001, (windowEnd - windowStart) / 1000);
    const runsPerSecond = s.runs / submitSeconds;
    log('submit', `${runsPerSecond.toFixed(0)} runs/s (${s.runs} runs in ${submitSeconds.toFixed(2)} s)`);
    assertAllCompleted(await waitBatch(client, mainId, processed, { timeoutMs: 600_000, pollMs: 100 }), s.runs);
    await server.stop();
    server = undefined;

    const raw = rawInsertRate(path.join(dataDir, 'omicsd.sqlite'), mainId);
    log('submit', `raw inserts: ${raw.rowsPerSecond.toFixed(0)} rows/s`);
    submitFigs.add({
      figure: 'runs submitted', value: runsPerSecond, unit: 'runs/s', limit: raw.rowsPerSecond, limitLabel: 'raw SQLite inserts',
      target: '≥ 25 % of raw; ≥ 5,000 runs/s', pass: runsPerSecond >= 0.25 * raw.rowsPerSecond && runsPerSecond >= 5000,
    });

    const readDetails: Record<string, unknown> = {};
    for (const r of reads) {
      const a = summary(idle.get(r.name)!.map((c) => c.ms));
      const all = busy.get(r.name)!;
      const during = all.filter((c) => c.end >= windowStart && c.start <= windowEnd).map((c) => c.ms);
      if (!during.length) throw new Error(`no ${r.name} call overlapped the submission window`);
      const b = summary(during);
      readDetails[r.name] = { idle: a, duringSubmission: b, fromStartRunBatch: summary(all.map((c) => c.ms)) };
      log('reads', `${r.name}: idle p99 ${a.p99.toFixed(1)} ms; during submission n=${b.n} p50 ${b.p50.toFixed(1)} ms p99 ${b.p99.toFixed(1)} ms`);
      readFigs.add({ figure: `${r.name} p50`, value: b.p50, unit: 'ms', limit: a.p50, limitLabel: 'idle server' });
      readFigs.add({ figure: `${r.name} p99`, value: b.p99, unit: 'ms', limit: a.p99, limitLabel: 'idle server', target: '< 25 ms', pass: b.p99 < 25 });
    }
    return {
      figures: [...submitFigs.list, ...readFigs.list],
      details: {
        runs: s.runs, submitSeconds, runsPerSecond, rawInsert: raw,
        reads: { pageSize: s.pageSize, deepPage: s.deepPage, gapMs: s.gapMs, ...readDetails },
      },
    };
  } finally {
    await server?.child.stop();
    removeDir(dir);
  }
}
