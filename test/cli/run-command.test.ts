// `omicsd run …` (src/cli/run-command.ts) run as a user runs it, as child processes of the built
// CLI: ls, get and cancel against simulated runs, and logs against a real cwltool run (read
// through the endpoint's CloudWatch Logs GetLogEvents, never from the server's disk).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GetRunCommand, StartRunBatchCommand, StartRunCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { assertWorks, needs } from '../executors/harness.js';
import { waitBatch } from '../support/batches.js';
import { clientCli, clientCliOk, showCli } from '../support/batch-cli.js';
import { ROLE } from '../support/client.js';
import { allBatchEntries, allRuns } from '../support/lists.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

const QUICK = { minDelay: 0.05, maxDelay: 0.2 };
const json = <T = Record<string, unknown>>(text: string) => JSON.parse(text) as T;
/** An SDK response as the CLI's --output json prints it: no $metadata, dates as ISO strings. */
function asPrinted(value: object) {
  const { $metadata: _, ...rest } = value as { $metadata?: unknown };
  return JSON.parse(JSON.stringify(rest));
}

describe('run ls, get, cancel, and logs of a simulated run', () => {
  let server: RunningServer;
  let client: OmicsClient;
  let workflowId: string;
  let batchId: string;
  /** runSettingId → run id: `ok` COMPLETED, `bad` FAILED, `long` RUNNING (for 10 minutes, unless cancelled). */
  const run: Record<'ok' | 'bad' | 'long', string> = { ok: '', bad: '', long: '' };
  let otherRun: string;

  const cli = (args: string[]) => clientCli([...args, '--endpoint', server.url]);
  const cliOk = (args: string[], code = 0) => clientCliOk([...args, '--endpoint', server.url], code);
  const status = async (id: string) => (await client.send(new GetRunCommand({ id }))).status;

  before(async () => {
    server = await startServer(['--sim-run-ms', '50', '--start-run-rate', '0', '--api-rate', '0']);
    client = server.client;
    workflowId = await createWorkflow(client, { name: 'run-cli-wf' }, QUICK);
    const res = await client.send(new StartRunBatchCommand({
      batchName: 'runs-cli',
      defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://out/runs-cli/', parameters: { msg: 'm' } },
      batchRunSettings: { inlineSettings: [
        { runSettingId: 'ok', name: 'ok run' },
        { runSettingId: 'bad', name: 'bad run', parameters: { __omicsd_simulate: { outcome: 'FAILED', failureReason: 'disk full', runningMs: 10 } } },
        { runSettingId: 'long', name: 'long run', parameters: { __omicsd_simulate: { runningMs: 600_000 } } },
      ] },
    }));
    batchId = res.id!;
    await waitBatch(client, batchId, (b) => b.runSummary?.completedRunCount === 1 && b.runSummary.failedRunCount === 1 && b.runSummary.runningRunCount === 1,
      30_000, 'ok COMPLETED, bad FAILED, long RUNNING');
    for (const e of await allBatchEntries(client, batchId)) run[e.runSettingId as keyof typeof run] = e.runId!;
    // A run outside the batch, which `run ls --batch-id` must leave out.
    otherRun = (await client.send(new StartRunCommand({ workflowId, roleArn: ROLE, outputUri: 's3://out/other/', parameters: { msg: 'x' }, requestId: randomUUID() }))).id!;
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('run ls --batch-id: json is the ListRuns shape; --status and --max-items filter; table and text', async () => {
    const ls = json<{ items: { id: string }[] }>((await cliOk(['run', 'ls', '--batch-id', batchId, '--output', 'json'])).stdout);
    const api = await allRuns(client, { batchId });
    assert.deepEqual(new Set(ls.items.map((r) => r.id)), new Set([run.ok, run.bad, run.long]));
    assert.ok(!ls.items.some((r) => r.id === otherRun));
    // The same items, member for member, as ListRuns answers them (the long run is still RUNNING: no stopTime yet).
    assert.deepEqual(ls.items.sort((a, b) => a.id.localeCompare(b.id)), asPrinted({ items: api }).items.sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id)));

    const failed = json<{ items: { id: string; status: string }[] }>((await cliOk(['run', 'ls', '--batch-id', batchId, '--status', 'FAILED', '--output', 'json'])).stdout);
    assert.deepEqual(failed.items.map((r) => [r.id, r.status]), [[run.bad, 'FAILED']]);
    const one = json<{ items: unknown[] }>((await cliOk(['run', 'ls', '--batch-id', batchId, '--max-items', '1', '--output', 'json'])).stdout);
    assert.equal(one.items.length, 1);
    const all = json<{ items: { id: string }[] }>((await cliOk(['run', 'ls', '--output', 'json'])).stdout);
    assert.ok(all.items.some((r) => r.id === otherRun));

    const table = (await cliOk(['run', 'ls', '--batch-id', batchId, '--status', 'COMPLETED'])).stdout.trimEnd().split('\n');
    assert.match(table[0], /^id\s+name\s+status\s+workflowId\s+creationTime\s+startTime\s+stopTime$/);
    assert.equal(table.length, 2);
    const ok = await client.send(new GetRunCommand({ id: run.ok }));
    const cells = [run.ok, 'ok run', 'COMPLETED', workflowId, ok.creationTime!.toISOString(), ok.startTime!.toISOString(), ok.stopTime!.toISOString()];
    assert.deepEqual(table[1].split(/\s{2,}/), cells);
    assert.equal((await cliOk(['run', 'ls', '--batch-id', batchId, '--status', 'COMPLETED', '--output', 'text'])).stdout, `${cells.join('\t')}\n`);
    // A status the API does not have is refused before any request.
    const bogus = await cli(['run', 'ls', '--status', 'DONE']);
    assert.equal(bogus.code, 1, showCli(['run', 'ls', '--status', 'DONE'], bogus));
    assert.match(bogus.stderr, /--status.*DONE/);
  });

  test('run get: json is the GetRun response; table and text list its members; an unknown run exits 1', async () => {
    const got = json((await cliOk(['run', 'get', run.bad, '--output', 'json'])).stdout);
    const api = await client.send(new GetRunCommand({ id: run.bad }));
    assert.deepEqual(got, asPrinted(api));
    assert.equal(got.failureReason, 'disk full');

    const text = (await cliOk(['run', 'get', run.bad, '--output', 'text'])).stdout;
    const fields = new Map(text.trimEnd().split('\n').map((l) => l.split('\t') as [string, string]));
    assert.equal(fields.get('id'), run.bad);
    assert.equal(fields.get('status'), 'FAILED');
    assert.equal(fields.get('batchId'), batchId);
    assert.equal(fields.get('stopTime'), api.stopTime!.toISOString());
    assert.deepEqual(JSON.parse(fields.get('parameters')!), api.parameters);
    const table = (await cliOk(['run', 'get', run.bad])).stdout;
    assert.match(table, /^status\s+FAILED$/m);
    assert.match(table, /^failureReason\s+disk full$/m);

    const missing = await cli(['run', 'get', '9876543']);
    assert.equal(missing.code, 1, showCli(['run', 'get', '9876543'], missing));
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^omicsd: ResourceNotFoundException: /m);
  });

  test('run cancel: the running run ends CANCELLED; cancelling it again is the API\'s conflict, exit 1', async () => {
    assert.equal(await status(run.long), 'RUNNING');
    const r = await cliOk(['run', 'cancel', run.long]);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `cancel: run ${run.long} accepted\n`);
    await eventually(async () => (await status(run.long)) === 'CANCELLED', 30_000, 'the run CANCELLED');
    const again = await cli(['run', 'cancel', run.long]);
    assert.equal(again.code, 1, showCli(['run', 'cancel', run.long], again));
    assert.match(again.stderr, /^omicsd: ConflictException: .*CANCELLED/m);
    const ls = json<{ items: { id: string; status: string }[] }>((await cliOk(['run', 'ls', '--batch-id', batchId, '--status', 'CANCELLED', '--output', 'json'])).stdout);
    assert.deepEqual(ls.items.map((x) => x.id), [run.long]);
  });

  test('run logs of a simulated run: it has no log, exit 1 with a message that says why', async () => {
    const r = await cli(['run', 'logs', run.ok]);
    assert.equal(r.code, 1, showCli(['run', 'logs', run.ok], r));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^omicsd: Run ${run.ok} has no log: .*simulated runs never do`, 'm'));
    const unknown = await cli(['run', 'logs', '9876543']);
    assert.equal(unknown.code, 1, showCli(['run', 'logs', '9876543'], unknown));
    assert.match(unknown.stderr, /^omicsd: ResourceNotFoundException: /m);
  });
});

describe('run logs of a real cwltool run', { skip: needs('cwltool') }, () => {
  let server: RunningServer;
  let client: OmicsClient;
  let runId: string;
  let followed: Promise<Awaited<ReturnType<typeof clientCli>>>;
  const marker = `hello-from-run-logs-${randomUUID()}`;

  before(async () => {
    assertWorks('cwltool');
    server = await startServer(['--executor', 'local', '--max-concurrent-runs', '2', '--start-run-rate', '0']);
    client = server.client;
    // Prints a marker, works a little, prints another: `--follow` started early sees the run through.
    const tool = cwlTool(['sh', '-c', `echo ${marker}-1; sleep 2; echo ${marker}-2`]);
    const wf = await createWorkflow(client, { name: 'logs-wf', definitionZip: definitionZip({ 'main.cwl': tool }), engine: 'CWL' }, QUICK);
    runId = (await client.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/logs/', requestId: randomUUID() }))).id!;
    followed = clientCli(['run', 'logs', runId, '--follow', '--endpoint', server.url]);
  });
  after(async () => {
    await followed?.catch(() => undefined);
    assert.equal(await server?.stop(), 0);
  });

  test('--follow, started before the run ran, prints the whole engine log and exits 0 when the run ends', async () => {
    const r = await followed;
    assert.equal(r.code, 0, showCli(['run', 'logs', runId, '--follow'], r));
    const run = await client.send(new GetRunCommand({ id: runId }));
    assert.equal(run.status, 'COMPLETED', `${run.failureReason} ${run.statusMessage}`);
    assert.match(r.stdout, new RegExp(`^${marker}-1$[^]*^${marker}-2$`, 'm'));
    assert.match(r.stdout, /Final process status is success/);
  });

  test('without --follow, after the run: exactly the engine log, on either stream', async () => {
    const engine = await clientCliOk(['run', 'logs', runId, '--endpoint', server.url]);
    // Read through the API, line for line what the engine wrote (and omicsd's own lines about the run).
    const onDisk = fs.readFileSync(path.join(server.dataDir, 'runs', runId, 'engine.log'), 'utf8');
    assert.equal(engine.stdout, onDisk.endsWith('\n') ? onDisk : `${onDisk}\n`);
    assert.match(engine.stdout, new RegExp(`^${marker}-2$`, 'm'));
    assert.equal(engine.stderr, '');
    assert.equal((await followed).stdout, engine.stdout, '--follow printed the same log, each line once');
    const runStream = await clientCliOk(['run', 'logs', runId, '--stream', 'run', '--endpoint', server.url]);
    assert.equal(runStream.stdout, engine.stdout);
  });
});
