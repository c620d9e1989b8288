/*
 * The local executor against real engines and real processes (the harness: ./harness.ts). Engines
 * that are not installed are skipped naming the package to install; an installed engine whose probe
 * fails makes its tests fail with the probe's message.
 */
import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dockerAvailable, runLogPath } from '../../src/executors/local/index.js';
import { MARKER_ENV } from '../../src/executors/local/process-tree.js';
import { ACCOUNT, ROLE } from '../support/client.js';
import { ROOT } from '../support/paths.js';
import { cwlTool, definitionZip, folderZip } from '../support/workflows.js';
import { ENGINES, INSTALL, assertWorks, harness, keysUnder, needs, readObject, statusesOf, until, withMarker, works, type Harness } from './harness.js';

const EXAMPLE = path.join(ROOT, 'examples/count-lines');
const SAMPLE = fs.readFileSync(path.join(EXAMPLE, 'sample.txt'));
const SAMPLE_LINES = SAMPLE.toString().split('\n').length - 1;

/** A definition zip whose main.cwl runs `baseCommand` with no inputs and no outputs. */
const toolZip = (baseCommand: string[]) => definitionZip({ 'main.cwl': cwlTool(baseCommand) });
/** A tool whose output is the file `name` it writes in its working folder. */
const fileToolZip = (baseCommand: string[], name: string) =>
  definitionZip({ 'main.cwl': cwlTool(baseCommand, { outputs: { result: { type: 'File', outputBinding: { glob: name } } } }) });

/** The text of the one count.txt a run exported under out/, wherever its engine put it. */
async function exportedCount(h: Harness, runId: string): Promise<string> {
  const keys = await keysUnder(h.objects, 'results', `runs/${runId}/out/`);
  const countKey = keys.find((k) => k.endsWith('count.txt'));
  assert.ok(countKey, `count.txt among ${keys.join(', ')}`);
  return (await readObject(h.objects, 'results', countKey)).trim();
}

/** The process table as `ps` shows it. */
function ps(): { pid: number; pgid: number; args: string }[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), pgid: Number(m[2]), args: m[3] };
  });
}


const pidFileOf = (h: Harness, runId: string) => JSON.parse(fs.readFileSync(path.join(h.dataDir, 'runs', runId, 'engine.pid'), 'utf8')) as { pid: number; marker: string };

describe('local executor: CWL through cwltool', { skip: needs('cwltool') }, () => {
  beforeEach(() => assertWorks('cwltool'));

  test('runs examples/count-lines end to end with an s3:// File input', async (t) => {
    const h = await harness(t);
    await h.objects.write({ bucket: 'inputs', key: 'samples/sample.txt' }, SAMPLE);
    const wf = await h.workflow(folderZip(EXAMPLE), 'CWL', 'main.cwl');
    const run = await h.start(wf, { input: 's3://inputs/samples/sample.txt', __omicsd_simulate: { outcome: 'FAILED' } });
    const done = await h.settle(run.id);

    assert.equal(done.status, 'COMPLETED', `run ended ${done.status}: ${done.failureReason} ${done.statusMessage}`);
    assert.deepEqual(statusesOf(h, run.id), ['RUNNING', 'STOPPING', 'COMPLETED']);
    assert.equal(done.runOutputUri, `s3://results/runs/${run.id}`);
    const count = await readObject(h.objects, 'results', `runs/${run.id}/out/count.txt`);
    assert.equal(count.trim(), String(SAMPLE_LINES));
    assert.deepEqual(await keysUnder(h.objects, 'results', `runs/${run.id}/`), [`runs/${run.id}/logs/engine.log`, `runs/${run.id}/out/count.txt`]);

    // The run folder: definition unpacked, input staged under its own name, job file with a File object.
    const dir = path.join(h.dataDir, 'runs', run.id);
    assert.ok(fs.existsSync(path.join(dir, 'definition/main.cwl')));
    assert.deepEqual(fs.readFileSync(path.join(dir, 'inputs/inputs/samples/sample.txt')), SAMPLE);
    const job = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8'));
    assert.deepEqual(job, { input: { class: 'File', path: path.join(dir, 'inputs/inputs/samples/sample.txt') } });

    // The engine's log, locally and exported.
    const log = fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8');
    assert.match(log, /--no-container/);
    assert.match(log, /Final process status is success/);
    assert.match(await readObject(h.objects, 'results', `runs/${run.id}/logs/engine.log`), /Final process status is success/);

    // The workflow's one step is one task, with the tool's resource requirement.
    const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].name, 'count_lines');
    assert.equal(tasks[0].status, 'COMPLETED');
    assert.equal(tasks[0].cpus, 1);
    assert.equal(tasks[0].memory, 1);
    assert.ok(tasks[0].startTime! <= tasks[0].stopTime!);
  });

  test('a CommandLineTool as the main file is one task named after its job', async (t) => {
    const h = await harness(t);
    await h.objects.write({ bucket: 'inputs', key: 'three.txt' }, 'a\nb\nc\n');
    const wf = await h.workflow(folderZip(EXAMPLE), 'CWL', 'count-lines.cwl');
    const run = await h.start(wf, { input: 's3://inputs/three.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.equal((await readObject(h.objects, 'results', `runs/${run.id}/out/count.txt`)).trim(), '3');
    const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
    assert.deepEqual(tasks.map((x) => [x.name, x.status]), [['count-lines.cwl', 'COMPLETED']]);
  });

  test('an array of s3:// Files is staged and passed as File objects', async (t) => {
    const h = await harness(t);
    await h.objects.write({ bucket: 'inputs', key: 'a/part.txt' }, 'A\n');
    await h.objects.write({ bucket: 'inputs', key: 'b/part.txt' }, 'B1\nB2\n');
    const tool = cwlTool('cat', {
      extra: { stdout: 'joined.txt' },
      inputs: { parts: { type: 'File[]', inputBinding: { position: 1 } }, label: { type: 'string' } },
      outputs: { joined: { type: 'stdout' } },
    });
    const wf = await h.workflow(definitionZip({ 'cat.cwl': tool }), 'CWL', 'cat.cwl');
    const run = await h.start(wf, { parts: ['s3://inputs/a/part.txt', 's3://inputs/b/part.txt'], label: 's3://not/a/file' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.equal(await readObject(h.objects, 'results', `runs/${run.id}/out/joined.txt`), 'A\nB1\nB2\n');
    const job = JSON.parse(fs.readFileSync(path.join(h.dataDir, 'runs', run.id, 'inputs.json'), 'utf8'));
    assert.equal(job.label, 's3://not/a/file', 'a string input stays a string');
    assert.deepEqual(job.parts.map((p: { class: string }) => p.class), ['File', 'File']);
  });

  test('a failing tool ends FAILED with the engine\'s message, and nothing is exported but the log', async (t) => {
    const h = await harness(t);
    const script = 'for i in $(seq 1 300); do echo "progress line $i" >&2; done; echo "reference genome missing: chr42" >&2; exit 1';
    const wf = await h.workflow(toolZip(['sh', '-c', script]), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.deepEqual(statusesOf(h, run.id), ['RUNNING', 'STOPPING', 'FAILED']);
    assert.equal(done.failureReason, 'ENGINE_FAILED');
    t.diagnostic(`statusMessage: ${done.statusMessage}`);
    assert.match(done.statusMessage!, /^cwltool exited with code 1/);
    assert.match(done.statusMessage!, /reference genome missing: chr42/);
    assert.match(done.statusMessage!, /permanentFail/);
    assert.doesNotMatch(done.statusMessage!, /^INFO/m);
    assert.doesNotMatch(done.statusMessage!, /progress line 1\n/, 'long output is cut from the front');
    assert.ok(done.statusMessage!.length <= 1000, `statusMessage is ${done.statusMessage!.length} characters`);
    assert.match(fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8'), /progress line 1\n[^]*progress line 300\n/, 'the log keeps everything');
    assert.deepEqual(await keysUnder(h.objects, 'results', `runs/${run.id}/`), [`runs/${run.id}/logs/engine.log`]);
    const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
    assert.deepEqual(tasks.map((x) => [x.name, x.status, x.failureReason]), [['main.cwl', 'FAILED', 'permanentFail']]);
  });

  test('a missing s3:// input fails the run before the engine starts', async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(folderZip(EXAMPLE), 'CWL', 'main.cwl');
    const run = await h.start(wf, { input: 's3://inputs/nope.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'INPUT_NOT_READABLE');
    assert.match(done.statusMessage!, /s3:\/\/inputs\/nope\.txt/);
    assert.deepEqual(statusesOf(h, run.id), ['FAILED']);
  });

  test('cancel kills the engine\'s whole process group and reports nothing more', async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(toolZip(['sleep', '67']), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const pgid = (await until(() => fs.existsSync(path.join(h.dataDir, 'runs', run.id, 'engine.pid')) && pidFileOf(h, run.id), 20000, 'engine.pid')).pid;
    const sleeper = await until(() => ps().find((p) => p.pgid === pgid && /^sleep 67\b/.test(p.args)), 20000, 'the tool (sleep 67) to run in the engine\'s group');
    assert.ok(ps().some((p) => p.pid === pgid && /cwltool/.test(p.args)), 'cwltool leads the group');
    await h.flush();
    assert.equal((await h.store.runs.get(run.id, null))!.status, 'RUNNING');

    const before = h.transitions.length;
    const cancelled = await h.store.runs.cancel([run.id], Date.now());
    assert.equal(cancelled[0].cancelled, true);
    h.executor.cancel(run.id);
    await until(() => !ps().some((p) => p.pgid === pgid), 15000, `process group ${pgid} to be gone`);
    assert.ok(!ps().some((p) => p.pid === sleeper.pid), 'the tool process is gone');
    const done = await h.settle(run.id);
    assert.equal(done.status, 'CANCELLED');
    assert.equal(h.transitions.length, before, 'no transition reported after cancel');
    assert.deepEqual(await keysUnder(h.objects, 'results', `runs/${run.id}/`), []);
    assert.ok(!fs.existsSync(path.join(h.dataDir, 'runs', run.id, 'engine.pid')));
  });

  test('close() leaves the engine running; recover() at the next start re-attaches and the run completes', async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(fileToolZip(['sh', '-c', 'sleep 3; echo finished > done.txt'], 'done.txt'), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const pgid = (await until(() => fs.existsSync(path.join(h.dataDir, 'runs', run.id, 'engine.pid')) && pidFileOf(h, run.id), 20000, 'engine.pid')).pid;
    await until(() => ps().some((p) => p.pgid === pgid && /^sleep 3\b/.test(p.args)), 20000, 'the tool to run');
    await h.executor.close();
    assert.ok(ps().some((p) => p.pgid === pgid), 'close() leaves the engine running');
    await h.flush();
    assert.equal((await h.store.runs.get(run.id, null))!.status, 'RUNNING', 'close() reports nothing');

    const next = await harness(t, {}, h);
    next.executor.recover(await h.store.runs.listInStatus(['STARTING', 'RUNNING', 'STOPPING']));
    const done = await next.settle(run.id);
    assert.equal(done.status, 'COMPLETED', done.statusMessage);
    assert.deepEqual(await keysUnder(h.objects, 'results', `runs/${run.id}/out/`), [`runs/${run.id}/out/done.txt`]);
    const log = fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8');
    assert.equal(log.match(/^omicsd: \S+ run \d+: /gm)?.length, 1, 'the engine was launched once');
    assert.match(log, /omicsd restarted: re-attached to cwltool/);
  });
});

describe('local executor: restart recovery', { skip: needs('cwltool') }, () => {
  beforeEach(() => assertWorks('cwltool'));

  /** A RUNNING run whose engine record points at `pid` (a stand-in engine the test started), as a crashed omicsd leaves it. */
  async function orphanedRun(h: Harness, record: object) {
    const wf = await h.workflow(toolZip(['true']), 'CWL', 'main.cwl');
    const res = await h.store.runs.insert({
      accountId: ACCOUNT, workflowId: wf, workflowType: 'PRIVATE', roleArn: ROLE, priority: 0, outputUri: 's3://results/runs', tags: {}, extra: {},
      uuid: randomUUID(), creationTime: Date.now(), runOutputUriPrefix: 's3://results/runs/',
    }, 0);
    assert.ok(res !== 'quota');
    const run = res.record;
    await h.store.runs.markStarting([run.id]);
    await h.store.runs.applyTransitions([{ runId: run.id, status: 'RUNNING', at: Date.now() }], []);
    const dir = path.join(h.dataDir, 'runs', run.id);
    fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'engine.pid'), JSON.stringify({ engine: 'cwltool', command: ['sh'], mainPath: path.join(dir, 'main.cwl'), outDir: path.join(dir, 'out'), ...record }));
    return { run, dir };
  }

  test('an engine gone without an exit status fails its run with ENGINE_LOST, and what it left is stopped', async (t) => {
    const h = await harness(t);
    // The wrapper is gone (it never existed: a pid that is not running); a grandchild in a new session carries the marker.
    const marker = `omicsd-lost-${randomUUID()}`;
    const orphan = spawn('sh', ['-c', 'setsid sleep 70 & wait'], { detached: true, stdio: 'ignore', env: { ...process.env, [MARKER_ENV]: marker } });
    orphan.unref();
    await until(() => ps().some((p) => /^sleep 70\b/.test(p.args)) && withMarker(marker).length >= 2, 5000, 'the leftover processes');
    process.kill(orphan.pid!, 'SIGKILL');
    await until(() => !ps().some((p) => p.pid === orphan.pid), 5000, 'the stand-in wrapper to be gone');
    const { run } = await orphanedRun(h, { pid: orphan.pid, marker });

    h.executor.recover([(await h.store.runs.get(run.id, null))!]);
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'ENGINE_LOST');
    assert.match(done.statusMessage!, /ended without an exit status while omicsd was not watching it/);
    await until(() => withMarker(marker).length === 0, 10000, 'the leftover engine to be stopped');
  });

  test('an engine that ended while omicsd was down is finished from its exit status', async (t) => {
    const h = await harness(t);
    const { run, dir } = await orphanedRun(h, { pid: 999_999_999, marker: `omicsd-done-${randomUUID()}` });
    fs.writeFileSync(path.join(dir, 'out', 'result.txt'), '42\n');
    fs.writeFileSync(path.join(dir, 'engine.log'), 'the engine ran\n');
    fs.writeFileSync(path.join(dir, 'engine.exit'), '0\n');
    h.executor.recover([(await h.store.runs.get(run.id, null))!]);
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', done.statusMessage);
    assert.equal(await readObject(h.objects, 'results', `runs/${run.id}/out/result.txt`), '42\n');
  });

  test('an engine that failed while omicsd was down fails the run with its own message', async (t) => {
    const h = await harness(t);
    const { run, dir } = await orphanedRun(h, { pid: 999_999_999, marker: `omicsd-failed-${randomUUID()}` });
    fs.writeFileSync(path.join(dir, 'engine.log'), 'reference genome missing: chr42\nWARNING: Final process status is permanentFail\n');
    fs.writeFileSync(path.join(dir, 'engine.exit'), '1\n');
    h.executor.recover([(await h.store.runs.get(run.id, null))!]);
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'ENGINE_FAILED');
    assert.match(done.statusMessage!, /cwltool exited with code 1:[\s\S]*reference genome missing: chr42/);
  });

  test('a run whose engine was never launched is started afresh', async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(fileToolZip(['sh', '-c', 'echo once > ran.txt'], 'ran.txt'), 'CWL', 'main.cwl');
    const res = await h.store.runs.insert({
      accountId: ACCOUNT, workflowId: wf, workflowType: 'PRIVATE', roleArn: ROLE, priority: 0, outputUri: 's3://results/runs', tags: {}, extra: {},
      uuid: randomUUID(), creationTime: Date.now(), runOutputUriPrefix: 's3://results/runs/',
    }, 0);
    assert.ok(res !== 'quota');
    await h.store.runs.markStarting([res.record.id]);
    h.executor.recover([(await h.store.runs.get(res.record.id, null))!]);
    const done = await h.settle(res.record.id);
    assert.equal(done.status, 'COMPLETED', done.statusMessage);
    assert.equal(await readObject(h.objects, 'results', `runs/${res.record.id}/out/ran.txt`), 'once\n');
  });
});

describe('local executor: missing engines', () => {
  test('an engine command that does not exist ends the run FAILED with an install hint', async (t) => {
    const h = await harness(t, { engines: { cwl: '/nonexistent/bin/cwltool' } });
    assert.ok(h.logs.some((l) => l.includes('/nonexistent/bin/cwltool')), 'startup log names the missing engine');
    const wf = await h.workflow(folderZip(EXAMPLE), 'CWL', 'main.cwl');
    const run = await h.start(wf, { input: 's3://inputs/sample.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'ENGINE_NOT_FOUND');
    t.diagnostic(`statusMessage: ${done.statusMessage}`);
    assert.ok(done.failureReason!.length <= 64);
    assert.match(done.statusMessage!, /\/nonexistent\/bin\/cwltool/);
    assert.match(done.statusMessage!, /apt-get install cwltool/);
    assert.deepEqual(statusesOf(h, run.id), ['FAILED']);
    assert.match(fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8'), /ENGINE_NOT_FOUND/);
  });

  test('startup logs which engines were found and which were not', async (t) => {
    const h = await harness(t);
    // Missing engines at once; found ones once their probe has answered.
    await until(() => h.logs.some((l) => l.includes('local executor engines')), 30000, 'the engines line');
    const text = h.logs.join('');
    if (works('cwltool')) assert.match(text, /CWL → cwltool \d+\.\d+/, 'a working engine is logged with its version');
    if (!ENGINES.nextflow.installed) assert.match(text, /No NEXTFLOW engine is installed.*install Nextflow/);
  });

  test('a Nextflow workflow without nextflow installed fails naming the engine', { skip: ENGINES.nextflow.installed ? 'nextflow is installed' : false }, async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(definitionZip({ 'main.nf': 'params.greeting = "hi"\n' }), 'NEXTFLOW', 'main.nf');
    const run = await h.start(wf, {});
    const done = await h.settle(run.id);
    assert.equal(done.failureReason, 'ENGINE_NOT_FOUND');
    assert.match(done.statusMessage!, /nextflow/i);
  });

  test('docker detection answers', async () => {
    assert.equal(typeof (await dockerAvailable()), 'boolean');
  });
});

describe('local executor: CWL through toil-cwl-runner', { skip: needs('toil-cwl-runner') }, () => {
  beforeEach(() => assertWorks('toil-cwl-runner'));

  test('runs examples/count-lines end to end', { timeout: 60000 }, async (t) => {
    const h = await harness(t, { engines: { toilCwl: 'toil-cwl-runner' } });
    await h.objects.write({ bucket: 'inputs', key: 'samples/sample.txt' }, SAMPLE);
    const wf = await h.workflow(folderZip(EXAMPLE), 'CWL', 'main.cwl');
    const run = await h.start(wf, { input: 's3://inputs/samples/sample.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.deepEqual(statusesOf(h, run.id), ['RUNNING', 'STOPPING', 'COMPLETED']);
    assert.match(fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8'), /toil-cwl-runner --jobStore/);
    assert.equal((await readObject(h.objects, 'results', `runs/${run.id}/out/count.txt`)).trim(), String(SAMPLE_LINES));
    const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
    assert.deepEqual(tasks.map((x) => [x.name, x.status, x.cpus, x.memory]), [['count_lines', 'COMPLETED', 1, 1]]);
  });

  test('a failing tool ends FAILED with the tool\'s own message', { timeout: 60000 }, async (t) => {
    const h = await harness(t, { engines: { toilCwl: 'toil-cwl-runner --retryCount 0' } });
    const wf = await h.workflow(toolZip(['sh', '-c', 'echo "reference genome missing: chr42" >&2; exit 1']), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'ENGINE_FAILED');
    t.diagnostic(`statusMessage: ${done.statusMessage}`);
    assert.match(done.statusMessage!, /^toil-cwl-runner exited with code \d+/);
    assert.match(done.statusMessage!, /reference genome missing: chr42/);
    assert.doesNotMatch(done.statusMessage!, /Traceback|File "/);
    const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
    assert.deepEqual(tasks.map((x) => [x.name, x.status]), [['main.cwl', 'FAILED']]);
  });

  test('cancel also kills the workers Toil starts in sessions of their own', { timeout: 60000 }, async (t) => {
    const h = await harness(t, { engines: { toilCwl: 'toil-cwl-runner' } });
    const wf = await h.workflow(toolZip(['sleep', '71']), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const { pid: pgid, marker } = await until(() => fs.existsSync(path.join(h.dataDir, 'runs', run.id, 'engine.pid')) && pidFileOf(h, run.id), 20000, 'engine.pid');
    const sleeper = await until(() => ps().find((p) => /^sleep 71\b/.test(p.args)), 40000, 'the tool (sleep 71) to run');
    assert.notEqual(sleeper.pgid, pgid, 'Toil runs the tool outside the leader\'s process group');
    await h.store.runs.cancel([run.id], Date.now());
    h.executor.cancel(run.id);
    await until(() => !ps().some((p) => p.pgid === pgid || p.pgid === sleeper.pgid) && withMarker(marker).length === 0, 20000, 'every Toil process to be gone');
    const done = await h.settle(run.id);
    assert.equal(done.status, 'CANCELLED');
  });
});

describe('local executor: WDL', () => {
  test('runs a WDL count-lines through toil-wdl-runner or miniwdl', { timeout: 60000 }, async (t) => {
    const docker = await dockerAvailable();
    const engine = ENGINES['toil-wdl-runner'].installed ? 'toil-wdl-runner' : ENGINES.miniwdl.installed && docker ? 'miniwdl' : undefined;
    if (!engine) return t.skip(`no WDL engine is installed: ${INSTALL['toil-wdl-runner']} (or ${INSTALL.miniwdl})`);
    assertWorks(engine);
    const h = await harness(t, { engines: { wdl: engine } });
    await h.objects.write({ bucket: 'inputs', key: 'sample.txt' }, SAMPLE);
    const wf = await h.workflow(folderZip(path.join(ROOT, 'examples/count-lines-wdl')), 'WDL', 'main.wdl');
    const run = await h.start(wf, { input_file: 's3://inputs/sample.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.equal(await exportedCount(h, run.id), String(SAMPLE_LINES));
    if (engine === 'toil-wdl-runner') {
      const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
      assert.deepEqual(tasks.map((x) => [x.name, x.status]), [['wc', 'COMPLETED']]);
    }
  });
});

describe('local executor: WDL task resources', { skip: needs('toil-wdl-runner') }, () => {
  test('a task\'s cpus and memory are its WDL runtime\'s', { timeout: 120000 }, async (t) => {
    assertWorks('toil-wdl-runner');
    const h = await harness(t, { engines: { wdl: 'toil-wdl-runner' } });
    const wdl = 'version 1.0\nworkflow w {\n  call big\n}\ntask big {\n  command <<< echo hi > out.txt >>>\n'
      + '  runtime {\n    cpu: 2\n    memory: "3 GiB"\n  }\n  output {\n    File o = "out.txt"\n  }\n}\n';
    const wf = await h.workflow(definitionZip({ 'main.wdl': wdl }), 'WDL', 'main.wdl');
    const run = await h.start(wf, {});
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
    assert.deepEqual(tasks.map((x) => [x.name, x.cpus, x.memory]), [['big', 2, 3]]);
  });
});

describe('local executor: Nextflow', { skip: needs('nextflow') }, () => {
  test('runs a Nextflow count-lines', { timeout: 60000 }, async (t) => {
    assertWorks('nextflow');
    const h = await harness(t);
    await h.objects.write({ bucket: 'inputs', key: 'sample.txt' }, SAMPLE);
    const wf = await h.workflow(folderZip(path.join(ROOT, 'examples/count-lines-nf')), 'NEXTFLOW', 'main.nf');
    const run = await h.start(wf, { input: 's3://inputs/sample.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.equal(await exportedCount(h, run.id), String(SAMPLE_LINES));
  });
});
