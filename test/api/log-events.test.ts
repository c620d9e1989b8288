// Run logs through CloudWatch Logs GetLogEvents (docs/api.md, "Run logs"): omicsd answers the call at its
// own endpoint for the streams GetRun's logLocation names, so that `omicsd run logs` (printRunLog) reads a
// run's log through the API, the same against omicsd and against AWS. Here: the reader over crafted log
// files in process (lines, long lines, unfinished lines, both directions, tokens), then the official
// @aws-sdk/client-cloudwatch-logs against real servers: a CWL run's engine log from cwltool, two accounts
// with credentials, runs without a log, the request rate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CloudWatchLogsClient, GetLogEventsCommand, type GetLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { GetRunCommand, StartRunCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { cloudWatchLogs, MAX_PAGE_BYTES } from '../../src/api/log-events.js';
import { PageTokens } from '../../src/api/pagination.js';
import type { Services } from '../../src/api/route.js';
import { printRunLog } from '../../src/cli/client/run-logs.js';
import { notFound } from '../../src/domain/errors.js';
import type { RunRecord, RunStatus } from '../../src/domain/model.js';
import { runLogPath } from '../../src/executors/local/paths.js';
import { assertWorks, needs } from '../executors/harness.js';
import { assertAwsError, keyClient, send, sign, writeCredentials, type Key, type WireResponse } from '../security/helpers.js';
import { ROLE } from '../support/client.js';
import { tempDir } from '../support/paths.js';
import { prng } from '../support/prng.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

const GROUP = '/aws/omics/WorkflowLog';
/** CloudWatch's largest event; no event omicsd sends is larger. */
const MAX_EVENT_BYTES = 256 * 1024;
const TARGET = 'Logs_20140328.GetLogEvents';

const A: Key = { accessKeyId: 'AKIALOGSACCOUNTA0001', secretAccessKey: 'logs-a-secret', accountId: '111111111111' };
const B: Key = { accessKeyId: 'AKIALOGSACCOUNTB0001', secretAccessKey: 'logs-b-secret', accountId: '222222222222' };

/** A CloudWatch Logs client as `logsClient()` (src/cli/client/clients.ts) builds one for a non-AWS endpoint; one attempt per call. */
const cwl = (url: string, key: Pick<Key, 'accessKeyId' | 'secretAccessKey'> = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }) =>
  new CloudWatchLogsClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 });

/** A stream that keeps what is written to it. */
function collector() {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => text };
}

interface Page {
  events: { message?: string; timestamp?: number; ingestionTime?: number }[];
  nextForwardToken?: string;
  nextBackwardToken?: string;
}
type Call = (input: Partial<GetLogEventsCommandInput>) => Promise<Page>;

/**
 * Every event from the head, following nextForwardToken until it comes back unchanged; each page at
 * most `limit` events. Returns the messages and the pages read.
 */
async function readForward(call: Call, limit?: number) {
  const messages: string[] = [];
  const pages: Page[] = [];
  let token: string | undefined;
  for (let i = 0; ; i++) {
    assert.ok(i < 100_000, 'the forward token never repeats');
    const page = await call({ startFromHead: true, nextToken: token, limit });
    pages.push(page);
    if (limit) assert.ok(page.events.length <= limit, `${page.events.length} events in a page of ${limit}`);
    messages.push(...page.events.map((e) => e.message!));
    assert.ok(page.nextForwardToken && page.nextBackwardToken, 'both tokens, always');
    if (page.nextForwardToken === token) {
      assert.equal(page.events.length, 0, 'the token repeats only at the end');
      return { messages, pages };
    }
    token = page.nextForwardToken;
  }
}

/** Every event from the end back to the head, following nextBackwardToken until it comes back unchanged. */
async function readBackward(call: Call, limit?: number) {
  const pages: string[][] = [];
  let token: string | undefined;
  for (let i = 0; ; i++) {
    assert.ok(i < 100_000, 'the backward token never repeats');
    const page = await call({ nextToken: token, limit });
    if (limit) assert.ok(page.events.length <= limit);
    pages.unshift(page.events.map((e) => e.message!));
    if (page.nextBackwardToken === token) {
      assert.equal(page.events.length, 0, 'the token repeats only at the head');
      return pages.flat();
    }
    token = page.nextBackwardToken;
  }
}

/**
 * `messages` are the lines of `text` in order, each line one event — a line too long for one event
 * as several consecutive ones that rebuild it exactly — and no event over CloudWatch's size.
 * `complete`: the last line counts even without a newline.
 */
function assertLines(messages: string[], text: string, complete = true) {
  const lines = text.split('\n');
  const last = lines.pop()!;
  if (complete && last !== '') lines.push(last);
  let i = 0;
  for (const [n, line] of lines.entries()) {
    let rebuilt = messages[i++];
    assert.ok(rebuilt !== undefined, `line ${n + 1} of ${lines.length} has no event (${messages.length} events)`);
    while (rebuilt.length < line.length && line.startsWith(rebuilt) && i < messages.length) rebuilt += messages[i++];
    assert.ok(rebuilt === line, `line ${n + 1} (${line.length} characters) is not rebuilt by its events: ${JSON.stringify(rebuilt.slice(0, 80))}`);
  }
  assert.equal(i, messages.length, 'no event beyond the lines');
  for (const m of messages) {
    assert.ok(Buffer.byteLength(m) <= MAX_EVENT_BYTES, `an event of ${Buffer.byteLength(m)} bytes`);
    assert.ok(!m.includes('\n'));
  }
}

// ---------------------------------------------------------------------------------------------
// The reader over crafted log files, in process.

describe('GetLogEvents over a log file (in process)', () => {
  const dataDir = tempDir('omicsd-logevents-');
  const ACCOUNT = '123456789012';
  const run: RunRecord = { id: '1000001', accountId: ACCOUNT, status: 'RUNNING', creationTime: 1_700_000_000_000, startTime: 1_700_000_001_000 } as RunRecord;
  const services = {
    config: { dataDir, region: 'us-east-1', accountId: ACCOUNT },
    runs: {
      async get(account: string, id: string) {
        if (account !== ACCOUNT || id !== run.id) throw notFound(`Run ${id} not found`);
        return run;
      },
    },
    tokens: new PageTokens('test-secret'),
  } as unknown as Services;
  const file = runLogPath(dataDir, run.id);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const handler = cloudWatchLogs.operations.find((o) => o.name === 'GetLogEvents')!.handler;
  const call = (stream = `run/${run.id}/engine`): Call => async (input) =>
    (await handler({ host: 'localhost', account: ACCOUNT, principal: `arn:aws:iam::${ACCOUNT}:root`, params: {}, query: {}, body: { logGroupName: GROUP, logStreamName: stream, ...input } }, services)) as Page;
  const setLog = (text: string | Buffer, status: RunStatus) => {
    fs.writeFileSync(file, text);
    run.status = status;
  };

  test('lines of every length and character, read forward and backward with any limit, are the file\'s lines', async () => {
    const rand = prng(20260101);
    const chars = ['a', 'b', ' ', 'é', '✓', '😀', '\r', '\t', '"', '\\'];
    const line = (len: number) => Array.from({ length: len }, () => chars[Math.floor(rand() * chars.length)]).join('');
    for (const shape of ['short lines', 'long lines', 'mixed, no final newline']) {
      const lines: string[] = [];
      let bytes = 0;
      while (bytes < 3 * MAX_PAGE_BYTES) {
        const r = rand();
        const len = shape === 'short lines' ? Math.floor(r * 200) : shape === 'long lines' ? 100_000 + Math.floor(r * 500_000) : r < 0.9 ? Math.floor(r * 120) : 1_500_000;
        lines.push(line(len));
        bytes += Buffer.byteLength(lines[lines.length - 1]) + 1;
      }
      const text = lines.join('\n') + (shape.includes('no final') ? '' : '\n');
      setLog(text, 'COMPLETED');
      const forward = (await readForward(call())).messages;
      assertLines(forward, text);
      assert.ok(!forward.some((m) => m.includes('\ufffd')), 'no character is split');
      for (const limit of [1, 7, 10_000]) {
        if (limit === 1 && shape !== 'long lines') continue; // tens of thousands of calls: limit 7 covers the paging
        const { messages, pages } = await readForward(call(), limit);
        assert.deepEqual(messages, forward, `forward, limit ${limit}`);
        for (const p of pages) assert.ok(p.events.reduce((n, e) => n + Buffer.byteLength(e.message!), 0) <= MAX_PAGE_BYTES, 'a page holds at most 1 MiB');
        assert.deepEqual(await readBackward(call(), limit), forward, `backward, limit ${limit}`);
      }
    }
  });

  test('empty lines are events; every event carries the run\'s start time', async () => {
    setLog('one\n\n\nfour\n', 'COMPLETED');
    const { pages, messages } = await readForward(call());
    assert.deepEqual(messages, ['one', '', '', 'four']);
    for (const e of pages[0].events) assert.deepEqual([e.timestamp, e.ingestionTime], [run.startTime, run.startTime]);
  });

  test('a last line without its newline waits until it has one, or the run has ended', async () => {
    setLog('first\nsecond\npart', 'RUNNING');
    const c = call();
    const p1 = await c({ startFromHead: true });
    assert.deepEqual(p1.events.map((e) => e.message), ['first', 'second']);
    const p2 = await c({ nextToken: p1.nextForwardToken });
    assert.deepEqual([p2.events.length, p2.nextForwardToken], [0, p1.nextForwardToken], 'nothing new yet: the same token');
    // Backward from the end leaves it out too, and its forward token continues where it stopped.
    const tail = await c({});
    assert.deepEqual(tail.events.map((e) => e.message), ['first', 'second']);
    assert.equal(tail.nextForwardToken, p1.nextForwardToken);
    fs.appendFileSync(file, 'ial line\nthird\nunfinished');
    const p3 = await c({ nextToken: p1.nextForwardToken });
    assert.deepEqual(p3.events.map((e) => e.message), ['partial line', 'third']);
    run.status = 'FAILED';
    const p4 = await c({ nextToken: p3.nextForwardToken });
    assert.deepEqual(p4.events.map((e) => e.message), ['unfinished'], 'the run has ended: its last line is an event');
    const p5 = await c({ nextToken: p4.nextForwardToken });
    assert.deepEqual([p5.events.length, p5.nextForwardToken], [0, p4.nextForwardToken]);
    assert.deepEqual(await readBackward(c), ['first', 'second', 'partial line', 'third', 'unfinished']);
  });

  test('a long line still being written comes in pieces as it grows, the same pieces as once it is done', async () => {
    const long = 'x'.repeat(700_000);
    setLog(`start\n${long.slice(0, 300_000)}`, 'RUNNING');
    const c = call();
    const p1 = await readForward(c);
    assert.ok(p1.messages.length >= 2, 'the line\'s first pieces are events before its end is written');
    fs.appendFileSync(file, `${long.slice(300_000)}\nend\n`);
    const tokenBefore = p1.pages[p1.pages.length - 1].nextForwardToken;
    const rest: string[] = [];
    let token = tokenBefore;
    for (;;) {
      const p = await c({ nextToken: token });
      rest.push(...p.events.map((e) => e.message!));
      if (p.nextForwardToken === token) break;
      token = p.nextForwardToken;
    }
    const whole = (await readForward(c)).messages;
    assert.deepEqual([...p1.messages, ...rest], whole);
    assertLines(whole, `start\n${long}\nend\n`);
  });

  test('tokens: bound to the stream and the account, refused when altered; an empty log has them too', async () => {
    setLog('a\nb\n', 'COMPLETED');
    const page = await call()({ startFromHead: true, limit: 1 });
    for (const bad of [page.nextForwardToken!.replace(/^f/, 'b'), `${page.nextForwardToken}x`, 'f/1.abc.def', 'garbage', page.nextForwardToken!.replace(/^f\/[0-9a-z]+/, 'f/0')]) {
      await assert.rejects(call()({ nextToken: bad }), { type: 'ValidationException', message: 'The specified nextToken is invalid.' }, bad);
    }
    await assert.rejects(call(`run/${run.id}`)({ nextToken: page.nextForwardToken }), { message: 'The specified nextToken is invalid.' }, 'a token of the other stream');
    // The head: backward from the first event's token, nothing, and the same token back.
    const head = await call()({ nextToken: page.nextBackwardToken });
    assert.deepEqual([head.events.length, head.nextBackwardToken], [0, page.nextBackwardToken]);

    setLog('', 'RUNNING');
    for (const input of [{ startFromHead: true }, {}]) {
      const p = await call()(input);
      assert.equal(p.events.length, 0);
      assert.match(p.nextForwardToken!, /^f\//);
      assert.match(p.nextBackwardToken!, /^b\//);
    }
  });

  test('the log group and the stream must be the run\'s; a missing or odd log file is a missing stream', async () => {
    setLog('a\n', 'COMPLETED');
    const ask = (body: Record<string, unknown>) => handler({ host: 'localhost', account: ACCOUNT, principal: `arn:aws:iam::${ACCOUNT}:root`, params: {}, query: {}, body }, services);
    const stream = { logStreamName: `run/${run.id}` };
    await assert.rejects(ask({ logGroupName: '/aws/omics/Other', ...stream }), { type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
    await assert.rejects(ask(stream), { type: 'ValidationException' });
    await assert.rejects(ask({ logGroupName: GROUP, logGroupIdentifier: GROUP, ...stream }), { type: 'ValidationException' });
    for (const id of [GROUP, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}`, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:*`]) {
      assert.equal(((await ask({ logGroupIdentifier: id, ...stream })) as Page).events.length, 1, id);
    }
    await assert.rejects(ask({ logGroupIdentifier: `arn:aws:logs:us-east-1:999999999999:log-group:${GROUP}`, ...stream }), { type: 'ResourceNotFoundException' });
    for (const name of ['run/1999999', 'run/1999999/engine', `run/${run.id}/task/1000002`, `run/${run.id}/`, `run/${run.id}/engine/`, 'run/x', `runs/${run.id}`, `run/../${run.id}`]) {
      await assert.rejects(ask({ logGroupName: GROUP, logStreamName: name }), { type: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' }, name);
    }
    for (const limit of [0, 10_001, 1.5, '5']) {
      await assert.rejects(ask({ logGroupName: GROUP, ...stream, limit }), { type: 'ValidationException', message: /limit/ }, String(limit));
    }
    // A symbolic link in place of the log is not followed.
    fs.rmSync(file);
    fs.symlinkSync('/etc/passwd', file);
    await assert.rejects(ask({ logGroupName: GROUP, ...stream }), { type: 'ResourceNotFoundException' });
    fs.rmSync(file);
    await assert.rejects(ask({ logGroupName: GROUP, ...stream }), { type: 'ResourceNotFoundException' }, 'no log file yet');
  });
});

// ---------------------------------------------------------------------------------------------
// Real servers.

/** A CloudWatch-shaped error: 400 (or `status`), the bare type in `__type`, application/x-amz-json-1.1. */
function assertLogsError(r: WireResponse, type: string, message?: RegExp, status = 400) {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers['content-type']), /^application\/x-amz-json-1\.1/);
  assert.deepEqual(Object.keys(r.json ?? {}).sort(), ['__type', 'message'], r.text);
  assert.equal(r.json.__type, type);
  assert.equal(r.headers['x-amzn-errortype'], type);
  assert.ok(r.headers['x-amzn-requestid']);
  if (message) assert.match(r.json.message, message);
}

/** A raw GetLogEvents request (as the SDK sends it), signed for `service` with `key` when given. */
async function rawGetLogEvents(url: string, body: object, o: { key?: Key; service?: string; contentType?: string; target?: string } = {}) {
  const req = {
    method: 'POST', path: '/',
    headers: { 'content-type': o.contentType ?? 'application/x-amz-json-1.1', 'x-amz-target': o.target ?? TARGET },
    body: JSON.stringify(body),
  };
  return send(url, o.key ? await sign(url, req, o.key, { service: o.service ?? 'logs' }) : req);
}

async function settled(client: OmicsClient, id: string) {
  return eventually(async () => {
    const r = await client.send(new GetRunCommand({ id }));
    return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(r.status!) ? r : undefined;
  }, 90_000, `run ${id} to end`);
}

const LINES = 250;
/** Lines on stdout and stderr, one of 600,000 bytes (é), and characters of every UTF-8 length. */
const SCRIPT = [
  `for i in $(seq 1 ${LINES}); do echo "log line $i"; done`,
  'echo "to stderr: ünïcödé ✓ 😀" >&2',
  `awk 'BEGIN { s = ""; for (i = 0; i < 1000; i++) s = s "é"; for (j = 0; j < 300; j++) printf "%s", s; print "" }'`,
].join('; ');
/** A run that writes for a while: followed as it runs. */
const TICKS = 'for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.3; done';

describe('run logs of real CWL runs, with two accounts\' credentials', { skip: needs('cwltool') }, () => {
  let srv: RunningServer;
  let a: OmicsClient;
  let b: OmicsClient;
  let la: CloudWatchLogsClient;
  let lb: CloudWatchLogsClient;
  let runId: string;
  let logText: string;
  let startTime: number;
  let wf: string;
  const get = (client: CloudWatchLogsClient, stream: string): Call => async (input) =>
    (await client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, ...input }))) as Page;

  before(async () => {
    assertWorks('cwltool');
    srv = await startServer(['--executor', 'local', '--credentials', writeCredentials(tempDir('omicsd-logs-keys-'), [A, B])]);
    [a, b, la, lb] = [keyClient(srv.url, A), keyClient(srv.url, B), cwl(srv.url, A), cwl(srv.url, B)];
    wf = await createWorkflow(a, { definitionZip: definitionZip({ 'main.cwl': cwlTool(['sh', '-c', SCRIPT]) }), engine: 'CWL' });
    runId = (await a.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/logs/' }))).id!;
    const done = await settled(a, runId);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    startTime = done.startTime!.getTime();
    // The test reads the server's disk for its expectations; the client never does.
    logText = fs.readFileSync(runLogPath(srv.dataDir, runId), 'utf8');
  });
  after(() => srv?.stop());

  test('GetRun\'s logLocation names streams whose events are the engine log\'s lines', async () => {
    const run = await a.send(new GetRunCommand({ id: runId }));
    assert.deepEqual(run.logLocation, { runLogStream: `run/${runId}`, engineLogStream: `run/${runId}/engine` });
    const { messages, pages } = await readForward(get(la, run.logLocation!.engineLogStream!));
    assertLines(messages, logText);
    for (let i = 1; i <= LINES; i++) assert.ok(messages.includes(`log line ${i}`), `log line ${i}`);
    assert.ok(messages.includes('to stderr: ünïcödé ✓ 😀'));
    assert.ok(messages.some((m) => /Final process status is success/.test(m)));
    assert.equal(messages.filter((m) => /^é+$/.test(m)).join(''), 'é'.repeat(300_000), 'the long line, in pieces');
    for (const e of pages.flatMap((p) => p.events)) assert.deepEqual([e.timestamp, e.ingestionTime], [startTime, startTime]);
    assert.deepEqual((await readForward(get(la, run.logLocation!.runLogStream!))).messages, messages, 'both streams are the engine log');
  });

  test('paging with a small limit returns every line exactly once, ends with a repeated token, and reads back the same', async () => {
    const all = (await readForward(get(la, `run/${runId}/engine`))).messages;
    const { messages, pages } = await readForward(get(la, `run/${runId}/engine`), 7);
    assert.deepEqual(messages, all);
    assert.ok(pages.length >= Math.ceil(all.length / 7) + 1, `${pages.length} pages for ${all.length} events`);
    const last = pages[pages.length - 1];
    assert.equal(last.nextForwardToken, pages[pages.length - 2].nextForwardToken, 'the end: the token given comes back');
    assert.deepEqual(await readBackward(get(la, `run/${runId}/engine`), 7), all, 'backward from the end (startFromHead false)');
    // The default (startFromHead false, no token): the newest events.
    const tail = await get(la, `run/${runId}/engine`)({ limit: 3 });
    assert.deepEqual(tail.events.map((e) => e.message), all.slice(-3));
  });

  test('printRunLog prints each event\'s message and a newline, with and without --follow', async () => {
    const all = (await readForward(get(la, `run/${runId}/engine`))).messages;
    const expected = all.map((m) => `${m}\n`).join('');
    for (const opts of [{}, { follow: true, pollMs: 50 }, { stream: 'run' as const }]) {
      const c = collector();
      await printRunLog(a, la, runId, c.out, opts);
      assert.equal(c.text(), expected, JSON.stringify(opts));
    }
  });

  test('printRunLog --follow from before the run starts until it ends prints the whole log', async () => {
    const ticks = await createWorkflow(a, { definitionZip: definitionZip({ 'main.cwl': cwlTool(['sh', '-c', TICKS]) }), engine: 'CWL' });
    const id = (await a.send(new StartRunCommand({ workflowId: ticks, roleArn: ROLE, outputUri: 's3://out/ticks/' }))).id!;
    const c = collector();
    await printRunLog(a, la, id, c.out, { follow: true, pollMs: 100 });
    const run = await a.send(new GetRunCommand({ id }));
    assert.equal(run.status, 'COMPLETED', 'it returned once the run had ended');
    const all = (await readForward(get(la, `run/${id}/engine`))).messages;
    assert.equal(c.text(), all.map((m) => `${m}\n`).join(''));
    for (let i = 1; i <= 6; i++) assert.ok(all.includes(`tick ${i}`));
    assert.equal(c.text(), fs.readFileSync(runLogPath(srv.dataDir, id), 'utf8'), 'the log as the engine wrote it');
  });

  test('another account\'s run and an unknown run: ResourceNotFoundException "The specified log stream does not exist."', async () => {
    const errs = await Promise.all([
      get(lb, `run/${runId}/engine`)({ startFromHead: true }).catch((e) => e),
      get(lb, `run/${runId}`)({}).catch((e) => e),
      get(la, 'run/1999999/engine')({}).catch((e) => e),
      get(la, `run/${runId}/task/1`)({}).catch((e) => e),
    ]);
    for (const e of errs) {
      assert.deepEqual([e.name, e.$metadata?.httpStatusCode, e.message], ['ResourceNotFoundException', 400, 'The specified log stream does not exist.']);
    }
    // B cannot use A's tokens either, even on A's stream name.
    const page = await get(la, `run/${runId}/engine`)({ startFromHead: true, limit: 2 });
    const e = await get(lb, `run/${runId}/engine`)({ nextToken: page.nextForwardToken }).catch((x) => x);
    assert.equal(e.name, 'ResourceNotFoundException');
    await assert.rejects(printRunLog(b, lb, runId, collector().out), { name: 'ResourceNotFoundException' });
  });

  test('members out of range, a bad token, another log group: the CloudWatch errors', async () => {
    const s = get(la, `run/${runId}/engine`);
    for (const limit of [0, 10_001]) {
      await assert.rejects(s({ limit }), (e: any) => e.name === 'InvalidParameterException' && e.$metadata.httpStatusCode === 400 && /limit/.test(e.message));
    }
    await assert.rejects(s({ nextToken: 'f/0.not.mine' }), { name: 'InvalidParameterException', message: 'The specified nextToken is invalid.' });
    await assert.rejects(la.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/x', logStreamName: `run/${runId}` })),
      { name: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  });

  test('on the wire: awsJson1_1 answers, and errors in CloudWatch\'s shape', async () => {
    const ok = await rawGetLogEvents(srv.url, { logGroupName: GROUP, logStreamName: `run/${runId}`, startFromHead: true, limit: 1 }, { key: A });
    assert.equal(ok.status, 200, ok.text);
    assert.match(String(ok.headers['content-type']), /^application\/x-amz-json-1\.1/);
    assert.deepEqual(Object.keys(ok.json).sort(), ['events', 'nextBackwardToken', 'nextForwardToken']);
    assert.deepEqual(Object.keys(ok.json.events[0]).sort(), ['ingestionTime', 'message', 'timestamp']);
    assertLogsError(await rawGetLogEvents(srv.url, { logGroupName: GROUP, logStreamName: 'run/1999999' }, { key: A }),
      'ResourceNotFoundException', /^The specified log stream does not exist\.$/);
    assertLogsError(await rawGetLogEvents(srv.url, { logGroupName: GROUP, logStreamName: 'run/1', limit: 'x' }, { key: A }), 'InvalidParameterException', /limit/);
    // Its protocol's content type only.
    assertLogsError(await rawGetLogEvents(srv.url, { logGroupName: GROUP, logStreamName: 'run/1' }, { key: A, contentType: 'application/json' }),
      'InvalidParameterException', /Content-Type/);
    // An operation CloudWatch Logs has and omicsd does not, or another service's target: no operation.
    assertAwsError(await rawGetLogEvents(srv.url, {}, { key: A, target: 'Logs_20140328.FilterLogEvents' }), 'UnknownOperationException', 404);
    assertAwsError(await rawGetLogEvents(srv.url, {}, { key: A, service: 'omics', target: 'Omics.GetRun', contentType: 'application/json' }), 'UnknownOperationException', 404);
  });

  test('signatures: GetLogEvents only signed for logs, the HealthOmics operations only for omics', async () => {
    const body = { logGroupName: GROUP, logStreamName: `run/${runId}`, limit: 1 };
    assert.equal((await rawGetLogEvents(srv.url, body, { key: A, service: 'logs' })).status, 200);
    assertLogsError(await rawGetLogEvents(srv.url, body, { key: A, service: 'omics' }), 'InvalidSignatureException',
      /^Credential should be scoped to correct service: 'logs'\.$/, 403);
    assertLogsError(await rawGetLogEvents(srv.url, body), 'MissingAuthenticationTokenException', undefined, 403);
    for (const req of [{ method: 'GET', path: '/workflow', headers: {} }, { method: 'GET', path: `/run/${runId}`, headers: {} },
      { method: 'POST', path: `/run/${runId}/cancel`, headers: {} }]) {
      assertAwsError(await send(srv.url, await sign(srv.url, req, A, { service: 'logs' })), 'InvalidSignatureException', 403, /correct service: 'omics'/);
      assert.notEqual((await send(srv.url, await sign(srv.url, req, A))).status, 403, `${req.method} ${req.path} signed for omics`);
    }
    // The X-Amz-Target header changes nothing on a HealthOmics route.
    const omicsRoute = await sign(srv.url, { method: 'GET', path: '/workflow', headers: { 'x-amz-target': TARGET } }, A, { service: 'logs' });
    assertAwsError(await send(srv.url, omicsRoute), 'InvalidSignatureException', 403);
  });
});

describe('runs without a log, and the request rate (simulated executor, no credentials)', () => {
  let srv: RunningServer;
  let wf: string;
  before(async () => {
    srv = await startServer();
    wf = await createWorkflow(srv.client);
  });
  after(() => srv?.stop());

  test('a simulated run has no log: ResourceNotFoundException, and printRunLog says so', async () => {
    const logs = cwl(srv.url);
    const id = (await srv.client.send(new StartRunCommand({ workflowId: wf, roleArn: ROLE, outputUri: 's3://out/sim/', parameters: { msg: 'x', __omicsd_simulate: { runningMs: 0 } } }))).id!;
    await assert.rejects(logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: `run/${id}/engine` })),
      { name: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' });
    await assert.rejects(printRunLog(srv.client, logs, id, collector().out), /has no log/);
    // Followed, it waits for the run to end, then says the same.
    await assert.rejects(printRunLog(srv.client, logs, id, collector().out, { follow: true, pollMs: 50 }), /has no log/);
    assert.equal((await srv.client.send(new GetRunCommand({ id }))).status, 'COMPLETED');
    await assert.rejects(printRunLog(srv.client, logs, '1999999', collector().out), { name: 'ResourceNotFoundException' });
  });

  test('without credentials any signature is taken; an unknown target is UnknownOperationException', async () => {
    assertLogsError(await rawGetLogEvents(srv.url, { logGroupName: GROUP, logStreamName: 'run/1999999' }), 'ResourceNotFoundException');
    assertLogsError(await rawGetLogEvents(srv.url, { logGroupName: GROUP, logStreamName: 'run/1999999' }, { key: A, service: 'omics' }), 'ResourceNotFoundException');
    assertAwsError(await rawGetLogEvents(srv.url, {}, { target: 'Logs_20140328.PutLogEvents' }), 'UnknownOperationException', 404);
    assertAwsError(await send(srv.url, { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{}' }), 'UnknownOperationException', 404);
  });

  test('GetLogEvents draws on the account\'s request rate', async () => {
    const limited = await startServer(['--api-rate', '1']);
    try {
      const logs = cwl(limited.url);
      const errs = await Promise.all(Array.from({ length: 12 }, () =>
        logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: 'run/1999999' })).then(() => undefined, (e) => e.name)));
      assert.ok(errs.includes('ThrottlingException'), errs.join(' '));
      assert.ok(errs.every((n) => n === 'ThrottlingException' || n === 'ResourceNotFoundException'), errs.join(' '));
    } finally {
      await limited.stop();
    }
  });
});
