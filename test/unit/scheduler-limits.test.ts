/* Run group limits the scheduler enforces beyond maxRuns: maxCpus and maxDuration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Scheduler, RUN_DURATION_EXCEEDED } from '../../src/domain/runs/scheduler.js';
import type { RunRecord } from '../../src/domain/model.js';
import type { Executor } from '../../src/executors/executor.js';
import { openTestStore } from '../support/store.js';
import { EventLoopShare } from '../../src/domain/event-loop-share.js';
import { RunEventApplier } from '../../src/domain/runs/run-events.js';
import { ACCOUNT } from '../support/client.js';

const log = pino({ level: 'silent' });

async function setup(t: import('node:test').TestContext, group: { maxCpus?: number; maxDuration?: number }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omicsd-sched-'));
  const store = await openTestStore(dir, 'db.sqlite');
  const started: RunRecord[] = [];
  const cancelled: string[] = [];
  const executor: Executor = {
    name: 'recording', start: (r) => void started.push(r), cancel: (id) => void cancelled.push(id), forget() {}, recover() {}, async close() {},
  };
  const share = new EventLoopShare();
  const applier = new RunEventApplier(store, log, () => {}, share);
  const scheduler = new Scheduler(store, executor, applier, 0, share, log);
  t.after(async () => {
    await scheduler.stop();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const g = await store.runGroups.create({ accountId: ACCOUNT, ...group, creationTime: Date.now(), tags: {} });
  const wf = await store.workflows.create({ accountId: ACCOUNT, uuid: randomUUID(), status: 'ACTIVE', type: 'PRIVATE', creationTime: Date.now(), tags: {}, doc: { engine: 'CWL' } }, null);
  const addRun = async () => {
    const res = await store.runs.insert({
      accountId: ACCOUNT, workflowId: wf.record.id, workflowType: 'PRIVATE', roleArn: 'arn:aws:iam::123456789012:role/R', priority: 0, outputUri: 's3://o/x',
      tags: {}, extra: {}, uuid: randomUUID(), creationTime: Date.now(), runOutputUriPrefix: 's3://o/x/', runGroupId: g.record.id,
    }, 0);
    assert.ok(res !== 'quota');
    return res.record;
  };
  return { store, scheduler, started, cancelled, addRun, groupId: g.record.id };
}

const until = async (check: () => boolean, what: string) => {
  for (const end = Date.now() + 5000; !check();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('maxCpus: a run holds its open tasks\' CPUs (at least 1); no run starts past the cap', async (t) => {
  const { store, scheduler, started, addRun } = await setup(t, { maxCpus: 3 });
  for (let i = 0; i < 5; i++) await addRun();
  scheduler.start();
  await until(() => started.length === 3, '3 runs to start');
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(started.length, 3, 'three 1-CPU runs fill maxCpus 3');

  // One of them reports a 2-CPU task and another finishes: 2 + 1 = 3 CPUs held, still full.
  const [a, b] = started;
  const at = Date.now();
  await store.runs.applyTransitions([{ runId: a.id, status: 'RUNNING', at }, { runId: b.id, status: 'RUNNING', at }], [{ runId: a.id, name: 'big', status: 'RUNNING', at, cpus: 2 }]);
  await store.runs.applyTransitions([{ runId: b.id, status: 'COMPLETED', at }], []);
  scheduler.wake();
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(started.length, 3);

  // The big task ends: run a holds 1 CPU again, one more run fits.
  await store.runs.applyTransitions([], [{ runId: a.id, name: 'big', status: 'COMPLETED', at: Date.now() }]);
  scheduler.wake();
  await until(() => started.length === 4, 'a fourth run once CPUs free up');
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(started.length, 4);
});

test('maxDuration: an active run past its group\'s limit ends FAILED and its engine is stopped', async (t) => {
  const { store, scheduler, started, cancelled, addRun } = await setup(t, { maxDuration: 1 });
  const run = await addRun();
  scheduler.start();
  await until(() => started.length === 1, 'the run to start');
  const at = Date.now();
  await store.runs.applyTransitions([{ runId: run.id, status: 'RUNNING', at }], [{ runId: run.id, name: 'step', status: 'RUNNING', at, cpus: 1 }]);
  assert.deepEqual(await scheduler.enforceDurations(at + 59_000), [], 'within 1 minute');
  assert.deepEqual(await scheduler.enforceDurations(at + 61_000), [run.id]);
  const done = (await store.runs.get(run.id, null))!;
  assert.equal(done.status, 'FAILED');
  assert.equal(done.failureReason, RUN_DURATION_EXCEEDED);
  assert.match(done.statusMessage!, /maxDuration/);
  assert.deepEqual(cancelled, [run.id]);
  const tasks = await store.tasks.list(run.id, {}, { limit: 10 });
  assert.deepEqual(tasks.map((x) => x.status), ['CANCELLED']);
  assert.deepEqual(await scheduler.enforceDurations(at + 120_000), [], 'a failed run is not failed again');
});
