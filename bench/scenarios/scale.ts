import path from 'node:path';
import { GetBatchCommand, type OmicsClient } from '@aws-sdk/client-omics';
import pg from 'pg';
import { copyFileToStore, S3ObjectStore } from '../../src/objectstore/index.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { sleep } from '../../test/support/wait.js';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { assertAllCompleted, benchWorkflow, processed, startBatch, waitBatch } from '../lib/omics.js';
import { S3RVER_ENV, startS3rverProcess } from '../lib/s3rver-process.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import { summary } from '../lib/stats.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import type { Profile } from '../profile.js';

/** The PostgreSQL server the scenario makes its databases on (trust auth), as the tests do. */
const PG_SERVER = process.env.OMICSD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** GetBatch every `gapMs` until every entry is submitted; the call latencies. */
async function pollGetBatch(client: OmicsClient, batchId: string, gapMs: number): Promise<number[]> {
  const times: number[] = [];
  for (;;) {
    const t0 = performance.now();
    const b = await client.send(new GetBatchCommand({ batchId }));
    times.push(performance.now() - t0);
    if (b.totalRuns !== undefined && b.submissionSummary?.pendingStartSubmissionCount === 0) return times;
    await sleep(gapMs);
  }
}

/**
 * Scale-out (docs/scale-out.md): one settings file of `runs` small entries on s3rver, the StartRun
 * rate uncapped, runs that finish at once; submitted by one SQLite instance, then by 1, 2 and 3
 * instances sharing a fresh PostgreSQL database. Submission runs/s (accepted → all submitted, server
 * clock), GetBatch p99 from a poller on another instance meanwhile, and the duplicates the rows show.
 */
export async function scale(p: Profile) {
  const s = p.scale;
  const figs = new Figures('scale-out');
  const dir = tempDir('scale');
  const s3 = await startS3rverProcess('bench-in');
  const details: Record<string, unknown> = {};
  try {
    const file = path.join(dir, 'settings.json');
    writeSettingsFile(file, s.runs, smallEntry, 1);
    Object.assign(process.env, S3RVER_ENV);
    const objects = new S3ObjectStore({ endpoint: s3.endpoint, region: 'us-east-1' });
    await copyFileToStore(objects, file, 's3://bench-in/settings.json');
    await objects.close();
    let sqliteRate = 0;
    for (const n of [0, ...s.instances]) {
      const label = n === 0 ? 'SQLite, 1 instance' : `PostgreSQL, ${n} instance${n === 1 ? '' : 's'}`;
      const db = `omicsd_bench_scale_${n}`;
      const url = `${PG_SERVER}/${db}`;
      if (n > 0) await admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${db}`);
      });
      const servers: Omicsd[] = [];
      try {
        for (let i = 0; i < Math.max(1, n); i++) {
          servers.push(await startOmicsd({
            dataDir: path.join(dir, `data-${n}-${i}`), simRunMs: 0, startRunRate: 0, maxRuns: 0, s3Endpoint: s3.endpoint, env: S3RVER_ENV,
            args: n > 0 ? ['--database-url', url] : [],
          }));
        }
        const client = servers[0].client;
        const workflowId = await benchWorkflow(client);
        const batchId = await startBatch(client, workflowId, { s3Uri: 's3://bench-in/settings.json' }, `scale-${n}`);
        const reads = summary(await pollGetBatch(servers[servers.length - 1].client, batchId, s.gapMs));
        const done = await waitBatch(client, batchId, processed, { timeoutMs: 900_000, pollMs: 200 });
        assertAllCompleted(done, s.runs);
        const submitSeconds = (done.submittedTime!.getTime() - done.creationTime!.getTime()) / 1000;
        const runsPerSecond = s.runs / submitSeconds;
        let duplicates = 0;
        if (n > 0) {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          try {
            const r = await c.query(`SELECT count(*) - count(DISTINCT doc::jsonb #>> '{extra,runSettingId}') AS d FROM runs WHERE batch_id = $1`, [batchId]);
            duplicates = Number(r.rows[0].d);
          } finally {
            await c.end();
          }
        }
        log('scale', `${label}: ${runsPerSecond.toFixed(0)} runs/s (${s.runs} in ${submitSeconds.toFixed(1)} s), GetBatch p99 ${reads.p99.toFixed(1)} ms, ${duplicates} duplicates`);
        details[label] = { submitSeconds, runsPerSecond, getBatch: reads, duplicates };
        if (n === 0) sqliteRate = runsPerSecond;
        figs.add({
          figure: `runs submitted, ${label}`, value: runsPerSecond, unit: 'runs/s',
          ...(n > 0 ? { limit: sqliteRate, limitLabel: 'SQLite, 1 instance' } : {}),
        });
        figs.add({ figure: `GetBatch p99 while submitting, ${label}`, value: reads.p99, unit: 'ms' });
        if (n === Math.max(...s.instances)) {
          figs.add({
            figure: `${s.runs.toLocaleString('en-US')} runs submitted by ${n} instances`, value: submitSeconds, unit: 's',
            target: '< 60 s, no duplicate', pass: submitSeconds < 60 && duplicates === 0,
          });
        }
        for (const server of servers) await server.stop();
        servers.length = 0;
      } finally {
        for (const server of servers) await server.child.stop();
        if (n > 0) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
      }
    }
    return { figures: figs.list, details: { runs: s.runs, ...details } };
  } finally {
    await s3.child.stop();
    removeDir(dir);
  }
}
