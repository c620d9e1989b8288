// Several omicsd instances on one PostgreSQL database (docs/scale-out.md), each a real server
// process with its own data dir, sharing a real S3-protocol server; killed with kill -9.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CancelRunBatchCommand, DeleteRunBatchCommand, GetBatchCommand, StartRunBatchCommand } from '@aws-sdk/client-omics';
import { submitted, waitBatch } from '../support/batches.js';
import { ROLE } from '../support/client.js';
import { allBatchEntries } from '../support/lists.js';
import { tempDir } from '../support/paths.js';
import { prng } from '../support/prng.js';
import { startS3rver, type S3Server } from '../support/s3rver.js';
import { startServer, type RunningServer } from '../support/server.js';
import { writeSettingsFile } from '../support/settings-file.js';
import { dropTestDatabase, testDatabase } from '../support/store.js';
import { sleep } from '../support/wait.js';
import { createWorkflow } from '../support/workflows.js';

let s3server: S3Server;
let s3: S3Client;
let endpoint = '';
let creds: NodeJS.ProcessEnv;

before(async () => {
  s3server = await startS3rver(['cohort']);
  ({ s3, endpoint, env: creds } = s3server);
});
after(() => s3server.close());

/** N instances on one new database, each with its own data dir; `restart(i)` starts instance i again on its data dir. */
async function cluster(n: number, extra: string[]) {
  const dataDirs = Array.from({ length: n }, () => tempDir());
  const url = await testDatabase(dataDirs[0]);
  const args = ['--database-url', url, '--s3-endpoint', endpoint, '--lease-seconds', '2', ...extra];
  const servers: RunningServer[] = [];
  // One at a time: the first migrates the schema, the others find it done.
  for (const dir of dataDirs) servers.push(await startServer(args, dir, { env: creds }));
  return {
    url,
    servers,
    restart: async (i: number) => {
      servers[i] = await startServer(args, dataDirs[i], { env: creds });
    },
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await dropTestDatabase(url);
    },
  };
}

/** The largest number of runs created in any window of `windowMs`, from the runs' creation times. */
function busiestWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j] - t[i] > windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe('three instances on one PostgreSQL database', () => {
  test('a 20,000-run batch while instances are killed with kill -9 and restarted: one run per runSettingId, exact counts, the quota held', async () => {
    const total = 20_000;
    const rate = 600;
    const burst = 100;
    const file = path.join(tempDir(), 'settings.json');
    writeSettingsFile(file, total, (i) => ({ runSettingId: `sample-${i}`, parameters: { n: i } }));
    await s3.send(new PutObjectCommand({ Bucket: 'cohort', Key: 'settings/20k.json', Body: fs.readFileSync(file) }));
    const c = await cluster(3, ['--executor', 'simulated', '--sim-run-ms', '100', '--start-run-rate', String(rate), '--start-run-burst', String(burst)]);
    const db = new pg.Client({ connectionString: c.url });
    await db.connect();
    try {
      const workflowId = await createWorkflow(c.servers[0].client);
      const res = await c.servers[1].client.send(new StartRunBatchCommand({
        defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://cohort/out/', parameters: { msg: 'm' } },
        batchRunSettings: { s3UriSettings: 's3://cohort/settings/20k.json' },
      }));
      const batchId = res.id!;

      // Kill an instance at a random moment, restart it a moment later, until the batch is submitted.
      const random = prng(12);
      const kills: { instance: number; submitted: number }[] = [];
      for (;;) {
        await sleep(1500 + random() * 2500);
        const alive = c.servers[(kills.length + 1) % 3];
        const b = await alive.client.send(new GetBatchCommand({ batchId }));
        if (b.status !== 'SUBMITTING' && b.status !== 'PENDING' && b.status !== 'CREATING') break;
        const victim = Math.floor(random() * 3);
        await c.servers[victim].kill();
        kills.push({ instance: victim, submitted: submitted(b) });
        await sleep(200 + random() * 1500);
        await c.restart(victim);
      }
      assert.ok(kills.length >= 3, `instances were killed during submission (${JSON.stringify(kills)})`);
      assert.ok(kills.some((k) => k.submitted > 0 && k.submitted < total), `a kill landed mid-submission (${JSON.stringify(kills)})`);

      const done = await waitBatch(c.servers[2].client, batchId, (x) => x.status === 'PROCESSED' && x.runSummary?.completedRunCount === total,
        120_000, 'every run COMPLETED');
      assert.deepEqual(done.submissionSummary, { successfulStartSubmissionCount: total, failedStartSubmissionCount: 0, pendingStartSubmissionCount: 0 });

      // The rows themselves: one run per runSettingId, and the counters equal them.
      const perSetting = await db.query(`SELECT doc::jsonb #>> '{extra,runSettingId}' AS rsid, count(*) AS n FROM runs WHERE batch_id = $1
          GROUP BY 1 HAVING count(*) <> 1`, [batchId]);
      assert.deepEqual(perSetting.rows, [], 'no runSettingId has more or fewer than one run');
      const rows = await db.query(`SELECT status, count(*)::int AS n FROM runs WHERE batch_id = $1 GROUP BY status`, [batchId]);
      assert.deepEqual(rows.rows, [{ status: 'COMPLETED', n: total }]);
      const entries = await db.query(`SELECT count(*)::int AS n, count(DISTINCT run_id)::int AS runs FROM batch_entries
          WHERE batch_id = $1 AND submission_status = 'SUCCESS'`, [batchId]);
      assert.deepEqual(entries.rows[0], { n: total, runs: total });

      // The StartRun quota is one bucket for the three: no window holds more than the rate allows plus one bucket.
      const times = (await db.query<{ t: string }>('SELECT creation_time AS t FROM runs WHERE batch_id = $1', [batchId])).rows.map((r) => Number(r.t));
      for (const windowMs of [1000, 5000]) {
        const most = busiestWindow(times, windowMs);
        assert.ok(most <= (rate * windowMs) / 1000 + burst, `${most} runs created within ${windowMs} ms (rate ${rate}/s, bucket ${burst})`);
      }

      // Every instance answers the same.
      const views = await Promise.all(c.servers.map((s) => s.client.send(new GetBatchCommand({ batchId }))));
      for (const v of views) {
        assert.deepEqual([v.status, v.submissionSummary, v.runSummary], [done.status, done.submissionSummary, done.runSummary]);
      }
      const listed = await allBatchEntries(c.servers[0].client, batchId);
      assert.equal(new Set(listed.map((e) => e.runSettingId)).size, total);
      assert.equal(new Set(listed.map((e) => e.runId)).size, total);
    } finally {
      await db.end();
      await c.stop();
    }
  });

  test('CancelRunBatch and DeleteRunBatch raced on two instances: exactly one of each is accepted', async () => {
    const c = await cluster(2, ['--executor', 'simulated', '--sim-run-ms', '60000', '--start-run-rate', '0']);
    try {
      const [a, b] = c.servers.map((s) => s.client);
      const workflowId = await createWorkflow(a);
      const settings = Array.from({ length: 50 }, (_, i) => ({ runSettingId: `r${i}` }));
      for (let round = 0; round < 5; round++) {
        const res = await a.send(new StartRunBatchCommand({
          defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://cohort/out/', parameters: { msg: 'm' } }, batchRunSettings: { inlineSettings: settings },
        }));
        await waitBatch(a, res.id!, (x) => submitted(x) === 50, 20_000, 'submitted');
        const cancels = await Promise.allSettled([a, b].map((cl) => cl.send(new CancelRunBatchCommand({ batchId: res.id! }))));
        assert.equal(cancels.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: one cancel accepted`);
        const refused = cancels.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.equal(refused.reason.name, 'ConflictException');
        await waitBatch(b, res.id!, (x) => x.status === 'CANCELLED', 20_000, 'CANCELLED');
        const deletes = await Promise.allSettled([b, a].map((cl) => cl.send(new DeleteRunBatchCommand({ batchId: res.id! }))));
        assert.equal(deletes.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: one delete accepted`);
        assert.equal((deletes.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.name, 'ConflictException');
        await waitBatch(a, res.id!, (x) => x.status === 'RUNS_DELETED', 20_000, 'RUNS_DELETED');
      }
    } finally {
      await c.stop();
    }
  });
});
