// Process lifecycle: state survives a restart on the same data dir, SIGTERM with runs in flight
// exits 0 promptly and leaves nothing stuck, and a crash (SIGKILL) is recovered from.
// (issue 2: "SIGTERM/SIGINT: stop accepting, finish requests in flight, leave the store consistent,
// exit 0"; "on start, runs left in non-terminal states are re-attached to their executor or ended
// with a clear failureReason"; docs/runs.md for the statuses.)
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, test } from 'node:test';
import {
  CancelRunCommand,
  CreateRunGroupCommand,
  GetRunCommand,
  GetRunGroupCommand,
  GetWorkflowCommand,
  ListRunsCommand,
  ListTagsForResourceCommand,
  StartRunCommand,
  type OmicsClient,
} from '@aws-sdk/client-omics';
import { allRuns } from '../support/lists.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { activeWorkflow, runInput, startRun, TERMINAL, uniq, waitCompleted, waitRun, waitStatus } from './helpers.js';

const live = new Set<RunningServer>();
async function start(args: string[], dataDir?: string) {
  const s = await startServer(args, dataDir);
  live.add(s);
  return s;
}
async function stop(s: RunningServer) {
  live.delete(s);
  const t0 = Date.now();
  const code = await s.stop();
  return { code, ms: Date.now() - t0 };
}
after(async () => {
  for (const s of live) await s.kill();
});

/** Within 10 s each run is terminal: COMPLETED, or FAILED with a failureReason. */
async function assertAllFinish(c: OmicsClient, ids: string[], after: string) {
  for (const id of ids) {
    const r = await waitRun(c, id, (got) => TERMINAL.has(got.status!), 10_000, `to finish after ${after}`);
    assert.ok(r.status === 'COMPLETED' || (r.status === 'FAILED' && (r.failureReason ?? '').length > 0), `run ${id}: ${r.status} ${r.failureReason}`);
  }
}

const sim = (runningMs: number) => ({ msg: 'x', __omicsd_simulate: { outcome: 'COMPLETED', runningMs } });

describe('restart on the same data dir', () => {
  test('workflows, run groups, tags, runs and their statuses are intact; a RUNNING run still completes', async () => {
    const dataDir = tempDir();
    const a = await start(['--sim-run-ms', '100'], dataDir);
    const wf = await activeWorkflow(a.client, uniq('wf-restart'), { tags: { keep: 'me' } });
    const group = await a.client.send(new CreateRunGroupCommand({ name: uniq('rg-restart'), maxRuns: 4, tags: { g: '1' } }));
    const done = await startRun(a.client, wf, { runGroupId: group.id, tags: { r: '1' } });
    await waitCompleted(a.client, done.id!);
    const cancelled = await startRun(a.client, wf, { parameters: sim(60_000) });
    await a.client.send(new CancelRunCommand({ id: cancelled.id }));
    await waitStatus(a.client, cancelled.id!, 'CANCELLED');
    const running = await startRun(a.client, wf, { parameters: sim(1500) });
    await waitStatus(a.client, running.id!, 'RUNNING');

    const before = {
      wf: await a.client.send(new GetWorkflowCommand({ id: wf })),
      group: await a.client.send(new GetRunGroupCommand({ id: group.id })),
      done: await a.client.send(new GetRunCommand({ id: done.id })),
      cancelled: await a.client.send(new GetRunCommand({ id: cancelled.id })),
      running: await a.client.send(new GetRunCommand({ id: running.id })),
      runs: (await allRuns(a.client)).map((r) => r.id).sort(),
    };
    const stopped = await stop(a);
    assert.equal(stopped.code, 0, `exit code on SIGTERM; stderr: ${a.stderr()}`);

    const b = await start(['--sim-run-ms', '100'], dataDir);
    const wfAfter = await b.client.send(new GetWorkflowCommand({ id: wf }));
    for (const k of ['id', 'arn', 'uuid', 'name', 'status', 'engine', 'main', 'digest', 'type'] as const) {
      assert.deepEqual(wfAfter[k], before.wf[k], `workflow ${k}`);
    }
    assert.deepEqual(wfAfter.parameterTemplate, before.wf.parameterTemplate);
    assert.equal(wfAfter.creationTime?.getTime(), before.wf.creationTime?.getTime());
    assert.deepEqual((await b.client.send(new ListTagsForResourceCommand({ resourceArn: wfAfter.arn }))).tags, { keep: 'me' });

    const groupAfter = await b.client.send(new GetRunGroupCommand({ id: group.id }));
    assert.equal(groupAfter.name, before.group.name);
    assert.equal(groupAfter.maxRuns, 4);
    assert.deepEqual(groupAfter.tags, { g: '1' });

    const doneAfter = await b.client.send(new GetRunCommand({ id: done.id }));
    assert.equal(doneAfter.status, 'COMPLETED');
    assert.equal(doneAfter.uuid, before.done.uuid);
    assert.equal(doneAfter.runGroupId, group.id);
    assert.deepEqual(doneAfter.tags, { r: '1' });
    assert.deepEqual(doneAfter.parameters, before.done.parameters);
    assert.equal(doneAfter.stopTime?.getTime(), before.done.stopTime?.getTime());
    assert.equal((await b.client.send(new GetRunCommand({ id: cancelled.id }))).status, 'CANCELLED');
    assert.deepEqual((await allRuns(b.client)).map((r) => r.id).sort(), before.runs);

    // The run that was RUNNING at shutdown is picked up again and completes.
    const resumed = await waitCompleted(b.client, running.id!, 15);
    assert.equal(resumed.reason?.uuid, before.running.uuid);
    assert.equal(resumed.reason?.startTime?.getTime(), before.running.startTime?.getTime(), 'startTime unchanged');

    // New ids do not collide with the old ones, and the restarted server runs new work.
    const fresh = await startRun(b.client, wf);
    assert.ok(!before.runs.includes(fresh.id), `new run id ${fresh.id} reused a live id`);
    await waitCompleted(b.client, fresh.id!);
    assert.equal((await stop(b)).code, 0);
  });
});

describe('SIGTERM while runs are in flight', () => {
  test('exits 0 promptly; accepted StartRuns are durable; after a restart no run is stuck', async () => {
    const dataDir = tempDir();
    const a = await start(['--sim-run-ms', '1500'], dataDir);
    const wf = await activeWorkflow(a.client);
    const accepted: string[] = [];
    for (let i = 0; i < 4; i++) accepted.push((await startRun(a.client, wf)).id!);
    await waitStatus(a.client, accepted[0], 'RUNNING');

    // More StartRuns race the signal: each either succeeds (then its run must exist afterwards)
    // or fails cleanly; none may hang.
    const inFlight = Array.from({ length: 4 }, () => a.client.send(new StartRunCommand(runInput(wf))));
    const stopping = stop(a);
    const settled = await Promise.allSettled(inFlight);
    const { code, ms } = await stopping;
    assert.equal(code, 0, `exit code; stderr: ${a.stderr()}`);
    assert.ok(ms < 10_000, `took ${ms} ms to exit`);
    for (const r of settled) if (r.status === 'fulfilled') accepted.push(r.value.id!);

    const b = await start(['--sim-run-ms', '300'], dataDir);
    const listed = (await allRuns(b.client)).map((r) => r.id!);
    for (const id of accepted) assert.ok(listed.includes(id), `accepted run ${id} survived the shutdown`);
    // Every run is finished or progressing: within a bounded time all are terminal, and a FAILED
    // one says why.
    await assertAllFinish(b.client, listed, 'the restart');
    assert.equal((await stop(b)).code, 0);
  });

  test('a request already in flight when SIGTERM arrives is finished, and its run is durable', async () => {
    const dataDir = tempDir();
    const a = await start(['--sim-run-ms', '200'], dataDir);
    const wf = await activeWorkflow(a.client);
    const name = uniq('in-flight');
    const body = JSON.stringify({ ...runInput(wf, { name }), requestId: uniq('req') });
    const { port } = new URL(a.url);
    // Send the headers and half the body, signal the server, then send the rest.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/run', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: b }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20));
      setTimeout(() => {
        stopping = stop(a);
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 200);
    });
    let stopping: ReturnType<typeof stop> | undefined;
    const res = await response;
    const { code, ms } = await stopping!;
    assert.equal(res.status, 201, `in-flight StartRun answered ${res.status} ${res.body}`);
    const id = JSON.parse(res.body).id;
    assert.equal(code, 0);
    assert.ok(ms < 10_000, `took ${ms} ms`);

    const b = await start(['--sim-run-ms', '200'], dataDir);
    const listed = await b.client.send(new ListRunsCommand({ name }));
    assert.deepEqual(listed.items?.map((r) => r.id), [id]);
    await waitCompleted(b.client, id);
    assert.equal((await stop(b)).code, 0);
  });

  test('SIGTERM and SIGINT on an idle server exit 0 quickly', async () => {
    const s = await start([]);
    const { code, ms } = await stop(s);
    assert.equal(code, 0);
    assert.ok(ms < 5000, `took ${ms} ms`);

    const t = await start([]);
    live.delete(t);
    const exited = new Promise<number | null>((resolve) => t.proc.on('exit', (c) => resolve(c)));
    t.proc.kill('SIGINT');
    assert.equal(await exited, 0, 'exit code on SIGINT');
  });
});

describe('crash (SIGKILL) recovery', () => {
  test('runs left non-terminal by a crash are re-attached or ended with a failureReason', async () => {
    const dataDir = tempDir();
    const a = await start(['--sim-run-ms', '100'], dataDir);
    const wf = await activeWorkflow(a.client);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await startRun(a.client, wf, { parameters: sim(800) })).id!);
    await waitStatus(a.client, ids[0], 'RUNNING');
    live.delete(a);
    await a.kill();

    const b = await start(['--sim-run-ms', '100'], dataDir);
    assert.equal((await b.client.send(new GetWorkflowCommand({ id: wf }))).status, 'ACTIVE');
    await assertAllFinish(b.client, ids, 'the crash');
    assert.equal((await stop(b)).code, 0);
  });
});
