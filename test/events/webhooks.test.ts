/*
 * Batch and run status changes as EventBridge events (docs/events.md): POSTed to each --event-webhook
 * in order per batch, signed with --event-webhook-secret, appended to events.ndjson, and kept in the
 * store's outbox until delivered, across a receiver outage and a crash of omicsd.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GetBatchCommand, StartRunBatchCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { waitBatchStatus } from '../support/batches.js';
import { ROLE } from '../support/client.js';
import { startServer, tempDir } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { WebhookReceiver, type Delivery } from '../support/webhook-receiver.js';
import { createWorkflow } from '../support/workflows.js';

const SECRET = 'webhook-test-secret';
const BATCH_ORDER = ['CREATING', 'PENDING', 'SUBMITTING', 'INPROGRESS', 'PROCESSED'];
const RUN_ORDER = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED'];
const receivers: WebhookReceiver[] = [];
after(async () => {
  for (const r of receivers) await r.close();
});

async function receiver() {
  const r = await new WebhookReceiver().listen();
  receivers.push(r);
  return r;
}

/** A batch of `n` simulated runs (each RUNNING for `runningMs`), the last failing when `failLast`. */
async function startBatch(c: OmicsClient, n: number, o: { runningMs?: number; failLast?: boolean; name?: string } = {}) {
  const wf = await createWorkflow(c);
  const plan = (fail: boolean) => ({ __omicsd_simulate: { runningMs: o.runningMs ?? 100, ...(fail ? { outcome: 'FAILED', failureReason: 'sample was bad' } : {}) } });
  const out = await c.send(new StartRunBatchCommand({
    batchName: o.name ?? 'events',
    defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/events/', parameters: { msg: 'hi' } },
    batchRunSettings: { inlineSettings: Array.from({ length: n }, (_, i) => ({ runSettingId: `sample-${i}`, parameters: { msg: `m${i}`, ...plan(o.failLast === true && i === n - 1) } })) },
  }));
  return out.id!;
}

/** The events of one batch (its own and its runs'), in the order they came. */
const ofBatch = (events: Delivery['event'][], batchId: string) => events.filter((e) => e.detail.batchId === batchId);

/** Checks one batch's stream: its statuses in lifecycle order, each run's in order, the batch's end after every run's. */
function assertBatchStream(events: Delivery['event'][], batchId: string, runs: number) {
  const batchStatuses = events.filter((e) => e['detail-type'] === 'RunBatch Status Change').map((e) => e.detail.status);
  assert.deepEqual(batchStatuses, BATCH_ORDER, 'every batch status once, in order');
  const byRun = new Map<string, string[]>();
  for (const e of events.filter((x) => x['detail-type'] === 'Run Status Change')) byRun.set(e.detail.runId, [...(byRun.get(e.detail.runId) ?? []), e.detail.status]);
  assert.equal(byRun.size, runs, 'an event stream for every run');
  for (const [runId, statuses] of byRun) {
    const want = statuses[statuses.length - 1] === 'FAILED' ? [...RUN_ORDER.slice(0, 4), 'FAILED'] : RUN_ORDER;
    assert.deepEqual(statuses, want, `run ${runId}'s statuses in order`);
  }
  const index = (status: string) => events.findIndex((e) => e['detail-type'] === 'RunBatch Status Change' && e.detail.status === status);
  const firstRun = events.findIndex((e) => e['detail-type'] === 'Run Status Change');
  const lastRun = events.length - 1 - [...events].reverse().findIndex((e) => e['detail-type'] === 'Run Status Change');
  assert.ok(index('SUBMITTING') < firstRun, 'the runs come after the batch began submitting');
  assert.ok(index('PROCESSED') > lastRun, 'PROCESSED comes after every run ended');
  assert.ok(events.every((e) => e.detail.batchId === batchId));
}

/** What omicsd_event_sink_backlog says the webhook sinks have still to take. */
async function webhookBacklog(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^omicsd_event_sink_backlog\{sink="webhook:[^"]*"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

const fileEvents = (dataDir: string) => fs.readFileSync(path.join(dataDir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Delivery['event']);

describe('events to webhooks', () => {
  test('every transition of a batch and its runs, in order, EventBridge-shaped, signed, and in events.ndjson', async (t) => {
    const hook = await receiver();
    const server = await startServer(['--event-webhook', hook.url, '--event-webhook-secret', SECRET]);
    t.after(() => server.stop());
    const c = server.client;
    const batchId = await startBatch(c, 3, { failLast: true });
    const done = await waitBatchStatus(c, batchId, ['PROCESSED'], 30_000);
    const events = await eventually(() => {
      const e = ofBatch(hook.events(), batchId);
      return e.some((x) => x.detail.status === 'PROCESSED' && x['detail-type'] === 'RunBatch Status Change') && e;
    }, 20_000, 'the PROCESSED event');
    assertBatchStream(events, batchId, 3);

    const processed = events.find((e) => e.detail.status === 'PROCESSED')!;
    assert.deepEqual(Object.keys(processed).sort(), ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
    assert.equal(processed.version, '0');
    assert.equal(processed.source, 'aws.omics');
    assert.equal(processed.account, '123456789012');
    assert.equal(processed.region, 'us-east-1');
    assert.match(String(processed.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(processed.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(processed.resources, [done.arn]);
    assert.deepEqual(processed.detail, {
      omicsVersion: '1.0.0', arn: done.arn!, batchId, status: 'PROCESSED', uuid: done.uuid!, batchName: 'events', totalRuns: '3',
      successfulStartSubmissionCount: '3', failedStartSubmissionCount: '0', pendingStartSubmissionCount: '0',
      pendingRunCount: '0', startingRunCount: '0', runningRunCount: '0', stoppingRunCount: '0',
      completedRunCount: '2', failedRunCount: '1', cancelledRunCount: '0', deletedRunCount: '0',
      workflowId: done.defaultRunSetting!.workflowId!, workflowArn: `arn:aws:omics:us-east-1:123456789012:workflow/${done.defaultRunSetting!.workflowId}`,
    }, 'the documented members, counts as strings, as GetBatch shows them');

    const failed = events.find((e) => e['detail-type'] === 'Run Status Change' && e.detail.status === 'FAILED')!;
    assert.equal(failed.detail.runSettingId, 'sample-2', 'a run event names the batch entry that made the run');
    assert.equal(failed.detail.failureReason, 'sample was bad');
    assert.match(failed.detail.arn, /^arn:aws:omics:us-east-1:123456789012:run\/\d+$/);

    for (const d of hook.deliveries) {
      assert.equal(d.headers['content-type'], 'application/json');
      assert.equal(d.headers['x-omicsd-event-id'], d.event.id);
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(d.headers['x-omicsd-signature']));
      assert.ok(m, 'every POST is signed');
      assert.equal(m[2], createHmac('sha256', SECRET).update(`${m[1]}.${d.body}`).digest('hex'), 'the signature is the HMAC of the time and the exact body');
      assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 120, 'signed now');
    }
    await server.stop();
    assert.deepEqual(ofBatch(fileEvents(server.dataDir), batchId), events, 'events.ndjson has the same events in the same order');
  });

  test('a failed batch: failureReason is the category code, failureMessage the text', async (t) => {
    const hook = await receiver();
    const server = await startServer(['--event-webhook', hook.url]);
    t.after(() => server.stop());
    const c = server.client;
    const wf = await createWorkflow(c);
    const out = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/events/', parameters: { msg: 'hi' } },
      batchRunSettings: { inlineSettings: [{ runSettingId: 'same' }, { runSettingId: 'same' }] },
    }));
    await waitBatchStatus(c, out.id!, ['FAILED']);
    const failed = await eventually(() => hook.events().find((e) => e.detail.batchId === out.id && e.detail.status === 'FAILED'), 20_000, 'the FAILED event');
    assert.equal(failed.detail.failureReason, 'VALIDATION_EXCEPTION');
    assert.equal(failed.detail.failureMessage, 'Expected 2 unique runSettingIds but there were 1: duplicated: "same" (entries 0, 1)',
      'the documented text, with where the problem is');
    assert.equal(hook.deliveries[0].headers['x-omicsd-signature'], undefined, 'unsigned without --event-webhook-secret');
  });

  test('the receiver down and omicsd killed in between: every event still arrives, in order, repeats only with the same id', async (t) => {
    const hook = await receiver();
    await hook.close();
    const dataDir = tempDir();
    let server = await startServer(['--event-webhook', hook.url], dataDir);
    const batchId = await startBatch(server.client, 4);
    await waitBatchStatus(server.client, batchId, ['PROCESSED'], 30_000);
    await eventually(() => /did not take event/.test(server.stderr()), 15_000, 'omicsd to report the webhook failing');
    const waiting = await webhookBacklog(server.url);
    assert.ok(waiting >= 4 * 5 + 5, `the metrics show the events the webhook has still to take (${waiting})`);
    await server.kill();
    await hook.listen();
    server = await startServer(['--event-webhook', hook.url], dataDir);
    t.after(() => server.stop());
    const events = await eventually(() => {
      const e = ofBatch(hook.events(), batchId);
      return e.some((x) => x.detail.status === 'PROCESSED' && x['detail-type'] === 'RunBatch Status Change') && e;
    }, 60_000, 'the events held while the receiver was down');
    assertBatchStream(events, batchId, 4);
    await eventually(async () => (await webhookBacklog(server.url)) === 0, 10_000, 'the webhook\'s backlog to drain');
    const bodies = new Map<string, string>();
    for (const d of hook.deliveries) {
      const prior = bodies.get(d.event.id);
      if (prior !== undefined) assert.equal(d.body, prior, `event ${d.event.id} repeated with the same content`);
      bodies.set(d.event.id, d.body);
    }
  });

  test('a slow webhook slows neither the API nor the batch', async (t) => {
    const hook = await receiver();
    hook.delayMs = 2000;
    const server = await startServer(['--event-webhook', hook.url, '--start-run-rate', '100']);
    t.after(() => server.stop(2000));
    const c = server.client;
    const batchId = await startBatch(c, 10);
    const started = Date.now();
    await waitBatchStatus(c, batchId, ['PROCESSED'], 30_000);
    assert.ok(Date.now() - started < 15_000, 'the batch ran at its own pace');
    const t0 = performance.now();
    await c.send(new GetBatchCommand({ batchId }));
    assert.ok(performance.now() - t0 < 1000, 'GetBatch answers at once');
    assert.ok(hook.events().length < 10, `the webhook is still far behind (${hook.events().length} events of about 50 taken)`);
  });
});
