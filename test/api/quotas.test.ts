// StartRun rate quota (ThrottlingException 429) and the maximum-runs quota
// (ServiceQuotaExceededException 402, retention modes): docs/quotas.md;
// docs/errors.md
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteRunCommand,
  GetRunCommand,
  ListRunsCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartRunCommand,
  ThrottlingException,
} from '@aws-sdk/client-omics';
import { startServer, type RunningServer } from '../support/server.js';
import { sleep } from '../support/wait.js';
import { activeWorkflow, expectError, runInput, startRun, uniq, waitCompleted } from './helpers.js';

let throttled: RunningServer;
let limited: RunningServer;
before(async () => {
  [throttled, limited] = await Promise.all([
    startServer(['--sim-run-ms', '50', '--start-run-rate', '1', '--start-run-burst', '2']),
    startServer(['--sim-run-ms', '50', '--max-runs', '2']),
  ]);
});
after(async () => {
  const codes = await Promise.all([throttled.stop(), limited.stop()]);
  assert.deepEqual(codes, [0, 0]);
});

describe('StartRun rate quota', () => {
  test('over the token bucket StartRun gets ThrottlingException 429 and starts nothing', async () => {
    const c = throttled.client;
    const wf = await activeWorkflow(c);
    const name = uniq('throttle');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => c.send(new StartRunCommand(runInput(wf, { name })))));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // Burst 2 (a third token may refill at 1/s while the calls are in flight).
    assert.ok(ok.length >= 2 && ok.length <= 3, `${ok.length} of 6 accepted`);
    for (const f of failed) {
      assert.ok(f.reason instanceof ThrottlingException, `got ${f.reason?.name}: ${f.reason?.message}`);
      assert.equal(f.reason.$metadata.httpStatusCode, 429);
      assert.ok(f.reason.message.length > 0);
    }
    const listed = await c.send(new ListRunsCommand({ name }));
    assert.equal(listed.items?.length, ok.length, 'throttled calls create no run');

    // Other operations are not throttled by the StartRun bucket.
    const id = (ok[0] as PromiseFulfilledResult<any>).value.id;
    await Promise.all(Array.from({ length: 10 }, () => c.send(new GetRunCommand({ id }))));

    // The bucket refills at 1 per second.
    await sleep(1100);
    const again = await startRun(c, wf);
    assert.equal(again.status, 'PENDING');
    await expectError(Promise.all([1, 2, 3].map(() => c.send(new StartRunCommand(runInput(wf))))), ThrottlingException, 429);
  });
});

describe('maximum runs quota', () => {
  test('RETAIN runs fill the quota → ServiceQuotaExceededException 402; deleting one makes room', async () => {
    const c = limited.client;
    const wf = await activeWorkflow(c);
    const r1 = await startRun(c, wf);
    const r2 = await startRun(c, wf);
    await expectError(c.send(new StartRunCommand(runInput(wf))), ServiceQuotaExceededException, 402);
    await waitCompleted(c, r1.id!);
    await waitCompleted(c, r2.id!);
    // Still full: completed RETAIN runs are kept.
    await expectError(c.send(new StartRunCommand(runInput(wf))), ServiceQuotaExceededException, 402);
    assert.equal((await c.send(new ListRunsCommand({}))).items?.length, 2, 'refused StartRuns created nothing');

    await c.send(new DeleteRunCommand({ id: r1.id }));
    const r3 = await startRun(c, wf);
    await waitCompleted(c, r3.id!);
    await expectError(c.send(new StartRunCommand(runInput(wf))), ServiceQuotaExceededException, 402);
    // Leave the quota empty for the next test.
    await c.send(new DeleteRunCommand({ id: r2.id }));
    await c.send(new DeleteRunCommand({ id: r3.id }));
  });

  test('when the quota is full, the oldest REMOVE run is evicted to make room', async () => {
    const c = limited.client;
    const wf = await activeWorkflow(c);
    const removable = await startRun(c, wf, { retentionMode: 'REMOVE' });
    await waitCompleted(c, removable.id!);
    assert.equal((await c.send(new GetRunCommand({ id: removable.id }))).retentionMode, 'REMOVE');
    const kept = await startRun(c, wf);
    await waitCompleted(c, kept.id!);

    // Full (one RETAIN, one REMOVE): a new run evicts the REMOVE run instead of failing.
    const fresh = await startRun(c, wf);
    await expectError(c.send(new GetRunCommand({ id: removable.id })), ResourceNotFoundException, 404);
    assert.equal((await c.send(new GetRunCommand({ id: kept.id }))).status, 'COMPLETED', 'RETAIN runs are never evicted');
    await waitCompleted(c, fresh.id!);
    // Now only RETAIN runs are left: full.
    await expectError(c.send(new StartRunCommand(runInput(wf))), ServiceQuotaExceededException, 402);
  });
});
