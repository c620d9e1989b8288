// What several instances coordinate through PostgreSQL (docs/scale-out.md), on the real server:
// the StartRun bucket they share (docs/quotas.md) and the takeover of a dead instance's runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DEFAULT_ACCOUNT_ID } from '../../src/domain/ids.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import type { InstanceInfo } from '../../src/store/store.js';
import { tempDir } from '../support/paths.js';
import { dropTestDatabase, testDatabase } from '../support/store.js';
import { sleep } from '../support/wait.js';

/** The most tokens granted within any window of `windowMs`. */
function busiest(grants: { at: number; n: number }[], windowMs: number): number {
  const g = [...grants].sort((a, b) => a.at - b.at);
  let best = 0;
  let sum = 0;
  for (let i = 0, j = 0; j < g.length; j++) {
    sum += g[j].n;
    while (g[j].at - g[i].at > windowMs) sum -= g[i++].n;
    best = Math.max(best, sum);
  }
  return best;
}

test('takes racing from several instances never grant more than the rate plus one bucket', async (t) => {
  const url = await testDatabase(tempDir());
  t.after(() => dropTestDatabase(url));
  const stores = await Promise.all(Array.from({ length: 3 }, () => PgStore.open(url, { defaultAccountId: DEFAULT_ACCOUNT_ID })));
  try {
    const rate = 400;
    const burst = 40;
    const grants: { at: number; n: number }[] = [];
    const until = Date.now() + 3000;
    // Four takers per instance, each asking for a few tokens at a time.
    await Promise.all(stores.flatMap((s, i) => Array.from({ length: 4 }, async (_, k) => {
      while (Date.now() < until) {
        const g = await s.coordination.takeTokens(DEFAULT_ACCOUNT_ID, 1 + ((i + k) % 7), rate, burst);
        if (g.granted === 0) {
          await new Promise((r) => setTimeout(r, g.msUntilNext));
          continue;
        }
        grants.push({ at: g.at, n: g.granted });
      }
    })));
    const total = grants.reduce((a, g) => a + g.n, 0);
    // The takers keep the bucket empty, so nearly all of 3 s of refill is granted.
    assert.ok(total >= rate * 2.5, `only ${total} tokens granted in 3 s at ${rate}/s`);
    for (const windowMs of [100, 500, 1000, 2000]) {
      const most = busiest(grants, windowMs);
      assert.ok(most <= (rate * windowMs) / 1000 + burst, `${most} tokens granted within ${windowMs} ms (rate ${rate}/s, bucket ${burst})`);
    }
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test('the runs of an instance gone for a lease period are moved once, and never while it answers again', async (t) => {
  const url = await testDatabase(tempDir());
  t.after(() => dropTestDatabase(url));
  const store = await PgStore.open(url, { defaultAccountId: DEFAULT_ACCOUNT_ID });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const table = store.coordination;
    const leaseMs = 500;
    const instance = (id: string, executor = 'slurm'): InstanceInfo => ({ id, host: 'h', pid: 1, version: 'v', startedAt: 0, dataDir: `/shared/${id}`, executor });
    const [x, y, z] = [instance('x'), instance('y'), instance('z', 'local')];
    for (const i of [x, y, z]) await table.heartbeat(i, leaseMs);
    const run = (id: number, status: string, owner: string) => c.query(`INSERT INTO runs (id, account_id, uuid, status, workflow_id, priority,
        creation_time, retention_mode, tags, doc, instance_id) VALUES ($1, $2, 'u', $3, 1, 0, 0, 'RETAIN', '{}', '{}', $4)`, [id, DEFAULT_ACCOUNT_ID, status, owner]);
    await run(1, 'STARTING', 'x');
    await run(2, 'RUNNING', 'x');
    await run(3, 'COMPLETED', 'x');
    await run(4, 'STOPPING', 'y');
    await run(5, 'RUNNING', 'z');
    assert.deepEqual(await table.abandonedRuns('slurm', leaseMs), [], 'every instance answers');
    assert.deepEqual(await table.takeOverRuns('x', 'y', leaseMs), []);

    await sleep(leaseMs + 100);
    await table.heartbeat(y, leaseMs);
    assert.deepEqual(await table.abandonedRuns('slurm', leaseMs), [{ instanceId: 'x', dataDir: '/shared/x' }], 'x is gone; z runs another executor');
    assert.deepEqual(await table.abandonedRuns('local', leaseMs), [{ instanceId: 'z', dataDir: '/shared/z' }]);
    // x restarts before anyone moved its runs: it keeps them.
    await table.heartbeat(x, leaseMs);
    assert.deepEqual(await table.takeOverRuns('x', 'y', leaseMs), []);

    await sleep(leaseMs + 100);
    await table.heartbeat(y, leaseMs);
    const moved = await Promise.all([table.takeOverRuns('x', 'y', leaseMs), table.takeOverRuns('x', 'y', leaseMs)]);
    assert.deepEqual(moved.flat().sort(), ['1', '2'], 'the active runs, each moved once');
    const owners = (await c.query('SELECT id::int AS id, instance_id FROM runs ORDER BY id')).rows.map((r) => `${r.id}:${r.instance_id}`);
    assert.deepEqual(owners, ['1:y', '2:y', '3:x', '4:y', '5:z'], 'a finished run keeps its instance');
    assert.deepEqual(await table.abandonedRuns('slurm', leaseMs), []);

    // An instance that stopped cleanly leaves its jobs running: its runs are taken over at once.
    await table.leave('y');
    assert.deepEqual(await table.abandonedRuns('slurm', leaseMs), [{ instanceId: 'y', dataDir: '/shared/y' }]);
  } finally {
    await c.end();
    await store.close();
  }
});
