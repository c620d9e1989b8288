/*
 * The bubblewrap sandbox around local engines (src/executors/local/sandbox.ts; docs/runs.md,
 * "Sandbox"), against real cwltool runs: what a hostile tool can no longer do, that normal runs,
 * task reports and cancel still work through it, that omicsd itself reads only the definition's
 * own files, and what happens without bwrap.
 */
import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readCwl, readDefinitionFile, MAX_CWL_FILE_BYTES } from '../../src/executors/local/cwl-doc.js';
import { listFiles } from '../../src/executors/local/export.js';
import { FAILURE_REASONS, runLogPath } from '../../src/executors/local/index.js';
import { MARKER_ENV, engineProcesses } from '../../src/executors/local/process-tree.js';
import { findBwrap, SANDBOX_UID } from '../../src/executors/local/sandbox.js';
import { ROOT } from '../support/paths.js';
import { cwlTool, definitionZip, folderZip } from '../support/workflows.js';
import { assertWorks, harness, keysUnder, needs, readObject, statusesOf, until, withMarker, type Harness } from './harness.js';

const EXAMPLE = path.join(ROOT, 'examples/count-lines');
const SAMPLE = fs.readFileSync(path.join(EXAMPLE, 'sample.txt'));
const isRoot = process.getuid?.() === 0;
const noBwrap = findBwrap() ? false : 'bubblewrap is not installed: apt-get install bubblewrap';

const pidFileOf = (h: Harness, runId: string) => JSON.parse(fs.readFileSync(path.join(h.dataDir, 'runs', runId, 'engine.pid'), 'utf8')) as { pid: number; marker: string; command: string[] };


const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const argsOf = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

/** A TCP server on 127.0.0.1 counting the connections it gets. */
async function listener(t: { after(fn: () => unknown): void }) {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

describe('sandbox: a hostile CWL tool cannot reach the host', { skip: needs('cwltool') || noBwrap }, () => {
  beforeEach(() => assertWorks('cwltool'));

  test('no root, no /etc/shadow, no writes outside its run folder, no network', { timeout: 60000 }, async (t) => {
    const h = await harness(t);
    const server = await listener(t);
    const outside = path.join(h.root, `pwned-${randomUUID()}.txt`);
    const hostTmp = path.join(os.tmpdir(), `omicsd-pwned-${randomUUID()}.txt`);
    t.after(() => {
      fs.rmSync(outside, { force: true });
      fs.rmSync(hostTmp, { force: true });
    });
    // The reported attack, and more: every probe prints its outcome to stderr (the engine log).
    const script = [
      'id >&2; head -c 60 /etc/passwd >&2; echo >&2',
      'if head -c 60 /etc/shadow >/dev/null 2>&1; then echo "probe shadow READ" >&2; else echo "probe shadow denied" >&2; fi',
      `if echo pwned > ${outside}; then echo "probe outside WRITTEN" >&2; else echo "probe outside denied" >&2; fi`,
      `echo pwned > ${hostTmp} 2>/dev/null; echo "probe tmp done" >&2`,
      'if echo 0 > ../../engine.exit; then echo "probe exitfile WRITTEN" >&2; else echo "probe exitfile denied" >&2; fi',
      'if echo x >> ../../definition/main.cwl; then echo "probe definition WRITTEN" >&2; else echo "probe definition denied" >&2; fi',
      `if python3 -c "import socket; socket.create_connection(('127.0.0.1', ${server.port}), timeout=5)" 2>/dev/null; then echo "probe net CONNECTED" >&2; else echo "probe net refused" >&2; fi`,
      'exit 3',
    ].join('\n');
    const wf = await h.workflow(definitionZip({ 'main.cwl': cwlTool(['sh', '-c', script]) }), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const done = await h.settle(run.id);
    const log = fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8');
    t.diagnostic(`statusMessage: ${done.statusMessage}`);

    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'ENGINE_FAILED');
    assert.match(done.statusMessage!, /uid=65534\(nobody\) gid=65534\(nogroup\)/);
    assert.doesNotMatch(log, /uid=0\(/);
    // /etc/passwd of the sandbox names only nobody.
    assert.match(log, /^nobody:x:65534:65534:nobody:/m);
    assert.doesNotMatch(log, /^root:x:0:0/m);
    assert.match(log, /probe shadow denied/);
    assert.match(log, /probe outside denied/);
    assert.ok(!fs.existsSync(outside), 'nothing written next to the data dir');
    assert.ok(!fs.existsSync(hostTmp), 'a write to /tmp stays in the sandbox\'s own /tmp');
    assert.match(log, /probe exitfile denied/);
    assert.match(log, /probe definition denied/);
    assert.match(log, /probe net refused/);
    assert.equal(server.connections(), 0, 'no connection reached the host');
    // The run's own exit status is the engine's, not one the tool wrote.
    assert.equal(fs.readFileSync(path.join(h.dataDir, 'runs', run.id, 'engine.exit'), 'utf8').trim(), '1');
    assert.match(log, /^omicsd: \S+ run \d+: \S*bwrap .*--unshare-net .*setpriv --reuid=65534 /m);
  });

  test('a normal run completes through the sandbox: outputs exported, tasks reported, files readable by omicsd', { timeout: 60000 }, async (t) => {
    const h = await harness(t);
    await h.objects.write({ bucket: 'inputs', key: 'samples/sample.txt' }, SAMPLE);
    const wf = await h.workflow(folderZip(EXAMPLE), 'CWL', 'main.cwl');
    const run = await h.start(wf, { input: 's3://inputs/samples/sample.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.deepEqual(statusesOf(h, run.id), ['RUNNING', 'STOPPING', 'COMPLETED']);
    assert.equal((await readObject(h.objects, 'results', `runs/${run.id}/out/count.txt`)).trim(), String(SAMPLE.toString().split('\n').length - 1));
    assert.deepEqual(await keysUnder(h.objects, 'results', `runs/${run.id}/`), [`runs/${run.id}/logs/engine.log`, `runs/${run.id}/out/count.txt`]);
    const tasks = await h.store.tasks.list(run.id, {}, { limit: 100 });
    assert.deepEqual(tasks.map((x) => [x.name, x.status]), [['count_lines', 'COMPLETED']]);
    const dir = path.join(h.dataDir, 'runs', run.id);
    if (isRoot) {
      // The engine wrote as uid 65534; omicsd (root) exported it and can remove it.
      assert.equal(fs.statSync(path.join(dir, 'out/count.txt')).uid, SANDBOX_UID);
      assert.equal(fs.statSync(path.join(dir, 'engine.log')).uid, 0, 'the log is written by the wrapper, outside the sandbox');
    }
    fs.rmSync(dir, { recursive: true });
  });

  test('cancel kills the sandboxed tool, found by its marker from outside the pid namespace', { timeout: 60000 }, async (t) => {
    const h = await harness(t);
    const wf = await h.workflow(definitionZip({ 'main.cwl': cwlTool(['sleep', '73']) }), 'CWL', 'main.cwl');
    // A secret in omicsd's environment does not reach the sandbox.
    process.env.AWS_SECRET_ACCESS_KEY = 'omicsd-sandbox-test-secret';
    let run;
    try {
      run = await h.start(wf, {});
      await until(() => fs.existsSync(path.join(h.dataDir, 'runs', run!.id, 'engine.pid')), 20000, 'engine.pid');
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
    const { pid: wrapper, marker } = await until(() => fs.existsSync(path.join(h.dataDir, 'runs', run.id, 'engine.pid')) && pidFileOf(h, run.id), 20000, 'engine.pid');
    // cwltool runs tools with a cleaned environment: the tool is found by the engine's process group.
    const sleeper = await until(() => engineProcesses(wrapper, marker).find((p) => {
      try {
        return argsOf(p.pid).join(' ') === 'sleep 73';
      } catch {
        return false;
      }
    })?.pid, 20000, 'the tool (sleep 73) to run');
    // Seen from the host: the engine carries the marker through bwrap, the tool runs as 65534 in the wrapper's process group.
    assert.equal(uidOf(sleeper), SANDBOX_UID);
    const marked = withMarker(marker);
    assert.ok(marked.some((p) => argsOf(p)[0].endsWith('bwrap')), 'bwrap carries the marker');
    const engine = marked.find((p) => argsOf(p).some((a) => a.endsWith('cwltool')) && uidOf(p) === SANDBOX_UID);
    assert.ok(engine, 'the sandboxed cwltool (uid 65534) carries the marker');
    const environ = fs.readFileSync(`/proc/${engine}/environ`, 'utf8');
    assert.doesNotMatch(environ, /AWS_SECRET_ACCESS_KEY/);
    assert.match(environ, /(^|\0)PATH=/);
    const pgid = Number(fs.readFileSync(`/proc/${sleeper}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
    assert.equal(pgid, wrapper);
    await h.flush();

    await h.store.runs.cancel([run.id], Date.now());
    h.executor.cancel(run.id);
    await until(() => withMarker(marker).length === 0 && engineProcesses(undefined, marker).length === 0, 15000, 'every sandboxed process to be gone');
    // The tool has no marker (cwltool cleans its environment): it dies with its pid namespace.
    await until(() => {
      try {
        return /^State:\s+[ZX]/m.test(fs.readFileSync(`/proc/${sleeper}/status`, 'utf8'));
      } catch {
        return true;
      }
    }, 10000, 'the tool to be gone');
    assert.equal((await h.settle(run.id)).status, 'CANCELLED');
  });

  test('a step that runs /dev/zero or a file outside the definition is not read by omicsd; the run fails cleanly', { timeout: 90000 }, async (t) => {
    // The engine reads it inside the sandbox, where each process's address space is limited.
    const h = await harness(t, { sandboxMemoryBytes: 1024 ** 3 });
    const steps = (run: string) => definitionZip({
      'main.cwl': JSON.stringify({
        cwlVersion: 'v1.2', class: 'Workflow', inputs: [], outputs: [],
        steps: { bad: { run, in: [], out: [] } },
      }),
    });
    const before = process.memoryUsage().rss;
    for (const target of ['/dev/zero', '../../../../../../../../etc/shadow']) {
      const wf = await h.workflow(steps(target), 'CWL', 'main.cwl');
      const run = await h.start(wf, {});
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const done = await h.settle(run.id).finally(() => clearInterval(sampler));
      t.diagnostic(`${target}: ${done.failureReason}: ${done.statusMessage?.slice(0, 300)}`);
      assert.equal(done.status, 'FAILED', target);
      assert.equal(done.failureReason, 'ENGINE_FAILED', target);
      assert.ok(peak - before < 200 * 1024 ** 2, `omicsd's RSS grew by ${Math.round((peak - before) / 1024 ** 2)} MiB for ${target}`);
    }
  });
});

describe('sandbox: without bwrap', { skip: needs('cwltool') }, () => {
  beforeEach(() => assertWorks('cwltool'));

  test('runs fail fast with SANDBOX_UNAVAILABLE, naming the package', async (t) => {
    const h = await harness(t, { bwrap: '/nonexistent/bin/bwrap' });
    await until(() => h.logs.some((l) => l.includes('SANDBOX_UNAVAILABLE')), 5000, 'the startup error');
    assert.ok(FAILURE_REASONS.includes('SANDBOX_UNAVAILABLE'));
    const wf = await h.workflow(definitionZip({ 'main.cwl': cwlTool(['true']) }), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'SANDBOX_UNAVAILABLE');
    assert.match(done.statusMessage!, /apt-get install bubblewrap/);
    assert.match(done.statusMessage!, /--unsafe-run-tools-unsandboxed/);
    assert.deepEqual(statusesOf(h, run.id), ['FAILED']);
    // Failed before anything was staged or launched.
    const dir = path.join(h.dataDir, 'runs', run.id);
    assert.ok(!fs.existsSync(path.join(dir, 'definition')));
    assert.ok(!fs.existsSync(path.join(dir, 'engine.pid')));
  });

  test('with --unsafe-run-tools-unsandboxed runs go unsandboxed, warned at start and in the run\'s log', async (t) => {
    const h = await harness(t, { bwrap: '/nonexistent/bin/bwrap', unsafeRunToolsUnsandboxed: true });
    assert.ok(h.logs.some((l) => /"level":40.*--unsafe-run-tools-unsandboxed is set: workflow tools run UNSANDBOXED/.test(l)), 'warned at start');
    const wf = await h.workflow(definitionZip({ 'main.cwl': cwlTool(['sh', '-c', 'id >&2']) }), 'CWL', 'main.cwl');
    const run = await h.start(wf, {});
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    const log = fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8');
    assert.match(log, /^omicsd: WARNING: --unsafe-run-tools-unsandboxed is set: workflow tools run UNSANDBOXED/m);
    assert.doesNotMatch(log, /bwrap/);
    assert.match(log, new RegExp(`uid=${process.getuid!()}\\b`));
  });
});

describe('sandbox: what omicsd reads of a definition', () => {
  test('only regular files inside the definition folder, at most MAX_CWL_FILE_BYTES', (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'omicsd-cwldoc-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const def = path.join(root, 'definition');
    fs.mkdirSync(def);
    fs.writeFileSync(path.join(root, 'secret.cwl'), 'class: CommandLineTool\n');
    fs.writeFileSync(path.join(def, 'ok.cwl'), 'class: CommandLineTool\n');
    fs.symlinkSync('/dev/zero', path.join(def, 'zero.cwl'));
    fs.symlinkSync(path.join(root, 'secret.cwl'), path.join(def, 'link-out.cwl'));
    fs.symlinkSync('ok.cwl', path.join(def, 'link-in.cwl'));
    fs.writeFileSync(path.join(def, 'big.cwl'), Buffer.alloc(MAX_CWL_FILE_BYTES + 1, 0x20));
    execFileSync('mkfifo', [path.join(def, 'fifo.cwl')]);

    assert.equal(readDefinitionFile(def, path.join(def, 'ok.cwl')), 'class: CommandLineTool\n');
    assert.equal(readDefinitionFile(def, path.join(def, 'link-in.cwl')), 'class: CommandLineTool\n');
    for (const bad of ['zero.cwl', 'link-out.cwl', 'big.cwl', 'fifo.cwl', '../secret.cwl', '/dev/zero', '/etc/shadow', 'missing.cwl']) {
      assert.equal(readDefinitionFile(def, path.resolve(def, bad)), undefined, bad);
    }
    // A workflow naming them learns defaults, without hanging on the FIFO or reading /dev/zero.
    fs.writeFileSync(path.join(def, 'main.cwl'), JSON.stringify({
      cwlVersion: 'v1.2', class: 'Workflow', inputs: { x: 'File' }, outputs: [],
      steps: Object.fromEntries(['/dev/zero', 'fifo.cwl', '../secret.cwl', 'zero.cwl'].map((run, i) => [`s${i}`, { run, in: [], out: [] }])),
    }));
    const info = readCwl(path.join(def, 'main.cwl'), def);
    assert.equal(info.inputTypes.get('x'), 'File');
    assert.deepEqual(info.resourcesOf('s0'), { cpus: 1, memory: 1 });
  });

  test('output export does not follow links out of the run folder', async (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'omicsd-export-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const run = path.join(root, 'run');
    fs.mkdirSync(path.join(run, 'out'), { recursive: true });
    fs.mkdirSync(path.join(run, 'tmp/work'), { recursive: true });
    fs.writeFileSync(path.join(run, 'out/own.txt'), 'own\n');
    fs.writeFileSync(path.join(run, 'tmp/work/published.txt'), 'published\n');
    fs.writeFileSync(path.join(root, 'secret.txt'), 'secret\n');
    fs.symlinkSync(path.join(run, 'tmp/work/published.txt'), path.join(run, 'out/published.txt'));
    fs.symlinkSync('/etc/passwd', path.join(run, 'out/passwd.txt'));
    fs.symlinkSync(path.join(root, 'secret.txt'), path.join(run, 'out/secret.txt'));
    fs.symlinkSync('/etc', path.join(run, 'out/etc'));
    assert.deepEqual(await listFiles(path.join(run, 'out'), run), ['own.txt', 'published.txt']);
  });
});
