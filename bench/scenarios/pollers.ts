import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetBatchCommand, ListRunsInBatchCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { copyFileToStore, S3ObjectStore } from '../../src/objectstore/index.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { sleep } from '../../test/support/wait.js';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { assertAllCompleted, benchWorkflow, processed, startBatch, waitBatch } from '../lib/omics.js';
import { rawInsertRate } from '../lib/raw-inserts.js';
import { RssSampler, toMB } from '../lib/rss.js';
import { S3RVER_ENV, startS3rverProcess } from '../lib/s3rver-process.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import { summary } from '../lib/stats.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import type { Profile } from '../profile.js';

const LOOP_MONITOR = pathToFileURL(path.join(import.meta.dirname, '../lib/loop-monitor.mjs')).href;

/** What bench/lib/loop-monitor.mjs reports: the delay histogram's figures and the longest stalls with their wall-clock times. */
interface LoopStats { seq: number; count: number; maxMs: number; p99Ms: number; p50Ms: number; meanMs: number; longest: { at: number; ms: number }[] }

/** Asks the server's preloaded monitor for the event-loop delay since the last ask, and starts a new window. */
async function loopWindow(server: Omicsd, file: string, previous: number): Promise<LoopStats> {
  process.kill(server.pid, 'SIGUSR2');
  for (let i = 0; i < 200; i++) {
    const stats = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as LoopStats) : undefined;
    if (stats && stats.seq > previous) return stats;
    await sleep(10);
  }
  throw new Error('the server did not write its event-loop figures');
}

/**
 * One poller as a dashboard or pipeline polls: GetBatch then ListRunsInBatch (100 items), then
 * `gapMs`, over and over until a GetBatch shows every entry submitted.
 */
async function poll(client: OmicsClient, batchId: string, gapMs: number, calls: { getBatch: number[]; list: number[] }, phase: { ingestedAt?: number }) {
  for (;;) {
    const t0 = performance.now();
    const b = await client.send(new GetBatchCommand({ batchId }));
    const t1 = performance.now();
    await client.send(new ListRunsInBatchCommand({ batchId, maxItems: 100 }));
    calls.getBatch.push(t1 - t0);
    calls.list.push(performance.now() - t1);
    if (b.totalRuns !== undefined) phase.ingestedAt ??= Date.now();
    if (b.totalRuns !== undefined && b.submissionSummary?.pendingStartSubmissionCount === 0) return;
    await sleep(gapMs);
  }
}

/**
 * Reads under load as clients see them: a settings file of `runs` small entries on s3rver in its own
 * process, runs that finish at once, the StartRun rate uncapped; 1 and then 8 SDK pollers (each on a
 * fresh server) from StartRunBatch until every entry is submitted. Also the submission rate beside raw
 * inserts, accepted → PROCESSED, peak RSS, and the longest event-loop stall inside the server.
 */
export async function pollers(p: Profile) {
  const s = p.pollers;
  const figs = new Figures('reads under load');
  const dir = tempDir('pollers');
  const s3 = await startS3rverProcess('bench-in');
  try {
    const file = path.join(dir, 'settings.json');
    writeSettingsFile(file, s.runs, smallEntry, 1);
    Object.assign(process.env, S3RVER_ENV);
    const objects = new S3ObjectStore({ endpoint: s3.endpoint, region: 'us-east-1' });
    await copyFileToStore(objects, file, 's3://bench-in/settings.json');
    await objects.close();
    const details: Record<string, unknown> = {};
    for (const n of s.pollers) {
      const dataDir = path.join(dir, `data-${n}`);
      const loopFile = path.join(dir, `loop-${n}.json`);
      const server = await startOmicsd({
        dataDir, simRunMs: 0, startRunRate: 0, maxRuns: 0, s3Endpoint: s3.endpoint,
        env: { ...S3RVER_ENV, OMICSD_BENCH_LOOP_FILE: loopFile }, nodeArgs: ['--import', LOOP_MONITOR],
      });
      try {
        const workflowId = await benchWorkflow(server.client);
        const rss = new RssSampler(server.pid, 50).start();
        const before = await loopWindow(server, loopFile, 0);
        const batchId = await startBatch(server.client, workflowId, { s3Uri: 's3://bench-in/settings.json' }, `pollers-${n}`);
        const calls = Array.from({ length: n }, () => ({ getBatch: [] as number[], list: [] as number[] }));
        const phase: { ingestedAt?: number } = {};
        await Promise.all(calls.map((c) => poll(server.client, batchId, s.gapMs, c, phase)));
        const loop = await loopWindow(server, loopFile, before.seq);
        const done = await waitBatch(server.client, batchId, processed, { timeoutMs: 600_000, pollMs: 100 });
        assertAllCompleted(done, s.runs);
        rss.stop();
        const getBatch = summary(calls.flatMap((c) => c.getBatch));
        const list = summary(calls.flatMap((c) => c.list));
        const acceptedToProcessed = (done.processedTime!.getTime() - done.creationTime!.getTime()) / 1000;
        const submitSeconds = (done.submittedTime!.getTime() - done.creationTime!.getTime()) / 1000;
        log('reads', `${n} poller(s): GetBatch p50 ${getBatch.p50.toFixed(1)} p99 ${getBatch.p99.toFixed(1)} max ${getBatch.max.toFixed(1)} ms; `
          + `ListRunsInBatch p99 ${list.p99.toFixed(1)} ms; longest loop stall ${loop.maxMs.toFixed(1)} ms; accepted → PROCESSED ${acceptedToProcessed.toFixed(1)} s`);
        const limit = n === 1 ? 25 : 50;
        const label = `${n} poller${n === 1 ? '' : 's'}`;
        figs.add({ figure: `GetBatch p50, ${label}`, value: getBatch.p50, unit: 'ms' });
        figs.add({ figure: `GetBatch p99, ${label}`, value: getBatch.p99, unit: 'ms', target: `< ${limit} ms`, pass: getBatch.p99 < limit });
        figs.add({ figure: `GetBatch max, ${label}`, value: getBatch.max, unit: 'ms' });
        figs.add({ figure: `ListRunsInBatch p99, ${label}`, value: list.p99, unit: 'ms', target: `< ${limit} ms`, pass: list.p99 < limit });
        figs.add({ figure: `ListRunsInBatch max, ${label}`, value: list.max, unit: 'ms' });
        figs.add({ figure: `longest event-loop stall, ${label}`, value: loop.maxMs, unit: 'ms', target: '< 20 ms', pass: loop.maxMs < 20 });
        // When the stalls fell, relative to acceptance: ingest (until totalRuns is known) or submission.
        const ingestSeconds = phase.ingestedAt === undefined ? undefined : (phase.ingestedAt - done.creationTime!.getTime()) / 1000;
        const stallsAt = loop.longest.map((x) => ({ ms: x.ms, secondsAfterAccept: (x.at - done.creationTime!.getTime()) / 1000 }));
        log('reads', `stalls (ms @ s after acceptance): ${stallsAt.slice(0, 6).map((x) => `${x.ms}@${x.secondsAfterAccept.toFixed(1)}`).join(' ')}; run list read after ${ingestSeconds?.toFixed(1)} s`);
        const entry: Record<string, unknown> = { getBatch, list, loop: { ...loop, longest: stallsAt }, ingestSeconds, acceptedToProcessed, submitSeconds, peakRssMB: toMB(rss.max) };
        if (n === s.pollers[0]) {
          figs.add({ figure: `accepted → PROCESSED, ${s.runs.toLocaleString('en-US')} runs`, value: acceptedToProcessed, unit: 's', target: '< 8 s', pass: acceptedToProcessed < 8 });
          figs.add({ figure: 'peak server RSS', value: toMB(rss.max), unit: 'MB', target: '< 300 MB', pass: toMB(rss.max) < 300 });
          await server.stop();
          const raw = rawInsertRate(path.join(dataDir, 'omicsd.sqlite'), batchId);
          const runsPerSecond = s.runs / submitSeconds;
          entry.rawInsert = raw;
          figs.add({
            figure: 'runs submitted (accepted → all submitted)', value: runsPerSecond, unit: 'runs/s', limit: raw.rowsPerSecond, limitLabel: 'raw SQLite inserts',
            target: '≥ 20,000 runs/s; ≥ 0.2× raw', pass: runsPerSecond >= 20_000 && runsPerSecond >= 0.2 * raw.rowsPerSecond,
          });
        }
        details[`${n} pollers`] = entry;
      } finally {
        await server.child.stop();
        removeDir(dataDir);
      }
    }
    return { figures: figs.list, details: { runs: s.runs, gapMs: s.gapMs, ...details } };
  } finally {
    await s3.child.stop();
    removeDir(dir);
  }
}
