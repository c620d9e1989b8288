/*
 * The local executor against real engines and real processes: a SqliteStore and an FsObjectStore on
 * temp folders, runs started the way the scheduler starts them, every reported change applied to the
 * store. Engines that are not installed are skipped with a plain message.
 */
import { test, describe } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { RunRecord, RunTransition, TaskUpdate, WorkflowEngine } from '../../src/domain/model.js';
import { createLocalExecutor, dockerAvailable, runLogPath, type LocalExecutor, type LocalExecutorOptions } from '../../src/executors/local/index.js';
import { which } from '../../src/executors/local/engine.js';
import { MARKER_ENV } from '../../src/executors/local/process-tree.js';
import { FsObjectStore, ObjectNotFoundError } from '../../src/objectstore/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ROLE } from '../support/client.js';
import { ROOT } from '../support/paths.js';
import { eventually } from '../support/wait.js';
import { cwlTool, definitionZip, folderZip } from '../support/workflows.js';

const EXAMPLE = path.join(ROOT, 'examples/count-lines');
const SAMPLE = fs.readFileSync(path.join(EXAMPLE, 'sample.txt'));
const SAMPLE_LINES = SAMPLE.toString().split('\n').length - 1;

const HAVE = {
  cwltool: Boolean(which('cwltool')),
  toilCwl: Boolean(which('toil-cwl-runner')),
  toilWdl: Boolean(which('toil-wdl-runner')),
  miniwdl: Boolean(which('miniwdl')),
  nextflow: Boolean(which('nextflow')),
};

/** A definition zip whose main.cwl runs `baseCommand` with no inputs and no outputs. */
const toolZip = (baseCommand: string[]) => definitionZip({ 'main.cwl': cwlTool(baseCommand) });

interface Harness {
  root: string;
  dataDir: string;
  store: SqliteStore;
  objects: FsObjectStore;
  executor: LocalExecutor;
  transitions: RunTransition[];
  tasks: TaskUpdate[];
  logs: string[];
  /** Creates an ACTIVE workflow from a definition zip, as CreateWorkflow leaves it. */
  workflow(zip: Uint8Array, engine: WorkflowEngine, main: string): Promise<string>;
  /** Inserts a run and hands it to the executor as the scheduler does; returns it. */
  start(workflowId: string, parameters?: Record<string, unknown>): Promise<RunRecord>;
  /** Waits until the run's engine is done and everything reported is in the store. */
  settle(runId: string): Promise<RunRecord>;
  flush(): Promise<void>;
}

/** A fresh store, object store and executor; with `after`, a second executor on the first one's data (a restart). */
async function harness(t: TestContext, opts: Partial<LocalExecutorOptions> = {}, after?: Harness): Promise<Harness> {
  const root = after?.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'omicsd-local-'));
  const dataDir = path.join(root, 'data');
  const store = after?.store ?? new SqliteStore(path.join(dataDir, 'omicsd.sqlite'));
  const objects = after?.objects ?? new FsObjectStore(path.join(dataDir, 'objects'));
  const transitions: RunTransition[] = [];
  const tasks: TaskUpdate[] = [];
  const logs: string[] = [];
  let pending: Promise<unknown> = Promise.resolve();
  const apply = (changes: RunTransition[], taskUpdates: TaskUpdate[]) => {
    pending = pending.then(() => store.runs.applyTransitions(changes, taskUpdates));
  };
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const executor = createLocalExecutor({
    reporter: {
      transition(c) { transitions.push(c); apply([c], []); },
      task(u) { tasks.push(u); apply([], [u]); },
    },
    workflows: store.workflows, objects, dataDir, log, engines: {}, containers: false, killGraceMs: 2000, ...opts,
  }) as LocalExecutor;
  t.after(async () => {
    await executor.close();
    await pending;
    if (after) return;
    await objects.close();
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const h: Harness = {
    root, dataDir, store, objects, executor, transitions, tasks, logs,
    async workflow(zip, engine, main) {
      const res = await store.workflows.create({
        uuid: randomUUID(), status: 'ACTIVE', type: 'PRIVATE', name: 'wf', creationTime: Date.now(), tags: {},
        doc: { engine, main },
      }, Buffer.from(zip));
      return res.record.id;
    },
    async start(workflowId, parameters) {
      const res = await store.runs.insert({
        workflowId, workflowType: 'PRIVATE', roleArn: ROLE, priority: 0, parameters, outputUri: 's3://results/runs',
        tags: {}, extra: {}, uuid: randomUUID(), creationTime: Date.now(), runOutputUriPrefix: 's3://results/runs/',
      }, 0);
      assert.ok(res !== 'quota');
      const run = res.record;
      assert.deepEqual(await store.runs.markStarting([run.id]), [run.id]);
      executor.start({ ...run, status: 'STARTING' });
      return run;
    },
    async settle(runId) {
      await executor.settled(runId);
      await pending;
      return (await store.runs.get(runId))!;
    },
    flush: async () => {
      await pending;
    },
  };
  return h;
}

const statusesOf = (h: Harness, runId: string) => h.transitions.filter((c) => c.runId === runId).map((c) => c.status);

async function readObject(objects: FsObjectStore, bucket: string, key: string): Promise<string> {
  const { body } = await objects.read({ bucket, key });
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

async function keysUnder(objects: FsObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  try {
    for await (const o of objects.list(bucket, prefix)) keys.push(o.key);
  } catch (err) {
    if (!(err instanceof ObjectNotFoundError)) throw err;
  }
  return keys.sort();
}

/** Polls `check` every 100 ms until it returns a value; an error it throws fails the wait at once. */
const until = <T>(check: () => T | undefined | false, ms: number, what: string) => eventually(check, ms, what, { everyMs: 100, failFast: true });

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

/** Processes carrying a run's marker in their environment (Toil workers leave the engine's process group). */
function withMarker(marker: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (fs.readFileSync(`/proc/${name}/environ`).includes(`${MARKER_ENV}=${marker}\0`)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

const pidFileOf = (h: Harness, runId: string) => JSON.parse(fs.readFileSync(path.join(h.dataDir, 'runs', runId, 'engine.pid'), 'utf8')) as { pid: number; marker: string };

describe('local executor: CWL through cwltool', { skip: HAVE.cwltool ? false : 'cwltool not installed' }, () => {
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
    assert.equal((await h.store.runs.get(run.id))!.status, 'RUNNING');

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

  test('close() stops running engines; recover() at the next start fails their runs with SERVICE_RESTARTED', async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(toolZip(['sleep', '68']), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const pgid = (await until(() => fs.existsSync(path.join(h.dataDir, 'runs', run.id, 'engine.pid')) && pidFileOf(h, run.id), 20000, 'engine.pid')).pid;
    await until(() => ps().some((p) => p.pgid === pgid && /^sleep 68\b/.test(p.args)), 20000, 'the tool to run');
    await h.executor.close();
    assert.ok(!ps().some((p) => p.pgid === pgid), 'close() leaves no engine process');
    await h.flush();
    assert.equal((await h.store.runs.get(run.id))!.status, 'RUNNING', 'close() reports nothing');

    const next = await harness(t, {}, h);
    next.executor.recover(await h.store.runs.listInStatus(['STARTING', 'RUNNING', 'STOPPING']));
    await next.flush();
    const done = (await h.store.runs.get(run.id))!;
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'SERVICE_RESTARTED');
    assert.match(done.statusMessage!, /omicsd stopped while this run was RUNNING/);
  });
});

describe('local executor: restart recovery', () => {
  test('recover() kills a leftover engine recorded in the run folder', async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(toolZip(['true']), 'CWL', 'main.cwl');
    const res = await h.store.runs.insert({
      workflowId: wf, workflowType: 'PRIVATE', roleArn: ROLE, priority: 0, outputUri: 's3://results/runs', tags: {}, extra: {},
      uuid: randomUUID(), creationTime: Date.now(), runOutputUriPrefix: 's3://results/runs/',
    }, 0);
    assert.ok(res !== 'quota');
    const run = res.record;
    await h.store.runs.markStarting([run.id]);
    await h.store.runs.applyTransitions([{ runId: run.id, status: 'RUNNING', at: Date.now() }], []);
    // An engine that outlived its omicsd: its own process group, a child in it, a grandchild in a new session.
    const marker = `omicsd-${run.id}-test`;
    const orphan = spawn('sh', ['-c', 'sleep 69 & setsid sleep 70 & wait'], { detached: true, stdio: 'ignore', env: { ...process.env, [MARKER_ENV]: marker } });
    orphan.unref();
    const dir = path.join(h.dataDir, 'runs', run.id);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'engine.pid'), JSON.stringify({ pid: orphan.pid, marker, engine: 'cwltool', command: ['sh'] }));
    await until(() => ps().filter((p) => /^sleep (69|70)\b/.test(p.args)).length === 2 && withMarker(marker).length >= 3, 5000, 'the leftover processes');

    h.executor.recover([(await h.store.runs.get(run.id))!]);
    await h.flush();
    const done = (await h.store.runs.get(run.id))!;
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'SERVICE_RESTARTED');
    assert.match(done.statusMessage!, /cwltool, pid \d+/);
    await until(() => withMarker(marker).length === 0 && !ps().some((p) => p.pgid === orphan.pid), 10000, 'the leftover engine to be stopped');
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
    const text = h.logs.join('');
    assert.match(text, /local executor engines/);
    if (HAVE.cwltool) assert.match(text, /CWL → cwltool/);
    if (!HAVE.nextflow) assert.match(text, /No NEXTFLOW engine is installed.*install Nextflow/);
  });

  test('a Nextflow workflow without nextflow installed fails naming the engine', { skip: HAVE.nextflow ? 'nextflow is installed' : false }, async (t) => {
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

describe('local executor: CWL through toil-cwl-runner', () => {
  test('runs examples/count-lines end to end', { timeout: 60000 }, async (t) => {
    if (!HAVE.toilCwl) return t.skip('toil-cwl-runner not installed');
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
    if (!HAVE.toilCwl) return t.skip('toil-cwl-runner not installed');
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
    if (!HAVE.toilCwl) return t.skip('toil-cwl-runner not installed');
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
    const engine = HAVE.toilWdl ? 'toil-wdl-runner' : HAVE.miniwdl && docker ? 'miniwdl' : undefined;
    if (!engine) return t.skip('no WDL engine installed (toil-wdl-runner, or miniwdl with docker)');
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

describe('local executor: Nextflow', () => {
  test('runs a Nextflow count-lines', { timeout: 60000 }, async (t) => {
    if (!HAVE.nextflow) return t.skip('nextflow not installed');
    const h = await harness(t);
    await h.objects.write({ bucket: 'inputs', key: 'sample.txt' }, SAMPLE);
    const wf = await h.workflow(folderZip(path.join(ROOT, 'examples/count-lines-nf')), 'NEXTFLOW', 'main.nf');
    const run = await h.start(wf, { input: 's3://inputs/sample.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.equal(await exportedCount(h, run.id), String(SAMPLE_LINES));
  });
});
