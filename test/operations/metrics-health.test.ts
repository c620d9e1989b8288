/*
 * /metrics, /healthz and /readyz (docs/operations.md, "Health and metrics"): the metrics scraped and
 * parsed as Prometheus reads them, each checked against what the API says; the health endpoints
 * answer without credentials and are never throttled.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ListBatchCommand, StartRunBatchCommand, StartRunCommand, type BatchStatus, type OmicsClient, type RunStatus,
} from '@aws-sdk/client-omics';
import { waitBatchStatus } from '../support/batches.js';
import { s3cp } from '../support/cli.js';
import { ROLE } from '../support/client.js';
import { allRuns } from '../support/lists.js';
import { parsePrometheus, prometheusSkip, type Sample } from '../support/prometheus.js';
import { startServer, tempDir } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow } from '../support/workflows.js';
import { keyClient, writeCredentials } from '../security/helpers.js';

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

/** The value of sample `name` whose labels include `labels`; 0 when its family has no such sample. */
function value(m: Sample[], name: string, labels: Record<string, string> = {}): number {
  assert.ok(m.some((s) => s.name === name || s.family === name), `metric ${name} exists`);
  const s = m.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

const familyType = (m: Sample[], family: string) => m.find((s) => s.family === family)?.type;

const runsIn = async (c: OmicsClient, status: RunStatus) => (await allRuns(c, { status })).length;

describe('metrics', { skip: prometheusSkip }, () => {
  test('every figure agrees with the API', async (t) => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const settings = Array.from({ length: 6 }, (_, i) => ({
      runSettingId: `s${i}`, parameters: { msg: `m${i}`, __omicsd_simulate: { runningMs: 100, ...(i < 2 ? { outcome: 'FAILED' } : {}) } },
    }));
    const file = path.join(dir, 'runs.json');
    fs.writeFileSync(file, JSON.stringify(settings));
    await s3cp(file, 's3://cohort/runs.json', dataDir);
    const server = await startServer(['--start-run-rate', '2', '--start-run-burst', '2'], dataDir);
    t.after(() => server.stop());
    const c = server.client;
    const wf = await createWorkflow(c);

    // StartRun until the bucket is empty: each refusal is a throttled StartRun.
    let direct = 0;
    let refused = 0;
    while (refused === 0) {
      try {
        await c.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/m/', parameters: { msg: 'x', __omicsd_simulate: { runningMs: 100 } } }));
        direct++;
      } catch (err) {
        assert.equal((err as Error).name, 'ThrottlingException');
        refused++;
      }
    }
    const batch = await c.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/m/' }, batchRunSettings: { s3UriSettings: 's3://cohort/runs.json' },
    }));
    // Submitted at 2 runs/s: the backlog is visible while the batch submits.
    const backlog = await eventually(async () => {
      const v = value(await scrape(server.url), 'omicsd_batch_submission_backlog');
      return v > 0 && v;
    }, 10_000, 'a submission backlog');
    assert.ok(backlog <= 6);
    await waitBatchStatus(c, batch.id!, ['PROCESSED'], 30_000);

    const m = await eventually(async () => {
      const s = await scrape(server.url);
      const ended = value(s, 'omicsd_run_duration_seconds_count', { status: 'FAILED' }) + value(s, 'omicsd_run_duration_seconds_count', { status: 'COMPLETED' });
      return ended === direct + 6 && s;
    }, 10_000, 'the metrics to see every run end');
    for (const status of ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'CANCELLED'] as RunStatus[]) {
      assert.equal(value(m, 'omicsd_runs', { status }), await runsIn(c, status), `omicsd_runs{status="${status}"} is what ListRuns finds`);
    }
    assert.equal(value(m, 'omicsd_runs', { status: 'COMPLETED' }), direct + 4);
    const batches = (await c.send(new ListBatchCommand({ maxItems: 100 }))).items ?? [];
    for (const status of ['PROCESSED', 'INPROGRESS', 'SUBMITTING'] as BatchStatus[]) {
      assert.equal(value(m, 'omicsd_batches', { status }), batches.filter((b) => b.status === status).length, `omicsd_batches{status="${status}"}`);
    }
    assert.equal(value(m, 'omicsd_batch_submission_backlog'), 0);
    assert.equal(value(m, 'omicsd_runs_submitted_total'), direct + 6, 'every run created, by StartRun or the batch');
    assert.equal(value(m, 'omicsd_run_duration_seconds_count', { workflow_id: wf, status: 'COMPLETED' }), direct + 4, 'a duration per completed run');
    assert.equal(value(m, 'omicsd_run_duration_seconds_count', { workflow_id: wf, status: 'FAILED' }), 2);
    assert.equal(familyType(m, 'omicsd_run_duration_seconds'), 'histogram');
    assert.equal(value(m, 'omicsd_start_run_throttled_total', { source: 'StartRun' }), refused);
    assert.ok(value(m, 'omicsd_start_run_throttled_total', { source: 'batch' }) > 0, 'the batch waited for tokens');
    assert.equal(value(m, 'omicsd_http_request_duration_seconds_count', { operation: 'StartRun', code: '429' }), refused);
    assert.equal(value(m, 'omicsd_http_request_duration_seconds_count', { operation: 'StartRunBatch', code: '201' }), 1);
    assert.ok(value(m, 'omicsd_http_request_duration_seconds_count', { operation: 'GetBatch', code: '200' }) >= 1);
    const size = fs.statSync(file).size;
    const ingested = value(m, 'omicsd_batch_ingest_bytes_total');
    assert.ok(ingested > size * 0.9 && ingested <= size, `the settings file's elements were counted (${ingested} of ${size} bytes)`);
    assert.ok(familyType(m, 'process_cpu_seconds') === 'counter' && familyType(m, 'nodejs_eventloop_lag_seconds') === 'gauge', 'the default process metrics');
  });
});

describe('health', () => {
  test('/healthz and /readyz answer JSON', async (t) => {
    const server = await startServer();
    t.after(() => server.stop());
    const h = await fetch(`${server.url}/healthz`);
    assert.equal(h.status, 200);
    const health = await h.json() as { status: string; version: string };
    assert.equal(health.status, 'ok');
    assert.match(health.version, /^\d+\.\d+\.\d+/);
    const r = await fetch(`${server.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready', checks: { store: 'ok', recovery: 'ok' } });
  });

  test('with credentials and a tiny API rate: health and metrics need neither credentials nor rate, the API still needs both', async (t) => {
    const dir = tempDir();
    const key = { accessKeyId: 'AKIDHEALTH0000000001', secretAccessKey: 'health-secret', accountId: '111122223333' };
    const server = await startServer(['--credentials', writeCredentials(dir, [key]), '--api-rate', '1']);
    t.after(() => server.stop());
    for (let i = 0; i < 20; i++) {
      for (const p of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${server.url}${p}`)).status, 200, `${p} #${i}`);
    }
    const anonymous = await fetch(`${server.url}/batch`);
    assert.equal(anonymous.status, 403, 'the API without a signature is refused');
    const c = keyClient(server.url, key);
    const answers = await Promise.allSettled(Array.from({ length: 5 }, () => c.send(new ListBatchCommand({}))));
    assert.ok(answers.some((a) => a.status === 'rejected' && (a.reason as Error).name === 'ThrottlingException'), 'the API is throttled at 1 request/s');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'health is not');
  });
});
