/*
 * Engine checks that tell the truth: each engine is probed by running it (engine-probe.ts), a broken
 * one is reported as broken with the fix, its runs fail fast with ENGINE_BROKEN, and `omicsd engines`
 * says the same. Broken engines are stand-in scripts that fail the way Debian's toil-wdl-runner does
 * without python3-wdlparse.
 */
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { brokenMessage, fixFor, probeEngine, runProbe, versionFrom } from '../../src/executors/local/engine-probe.js';
import { lookupEngine } from '../../src/executors/local/engines.js';
import { runLogPath } from '../../src/executors/local/index.js';
import { BIN, ROOT, tempDir } from '../support/paths.js';
import { folderZip } from '../support/workflows.js';
import { ENGINES, INSTALL, assertWorks, harness, needs, statusesOf, until, type EngineName } from './harness.js';

const WDLPARSE_TRACEBACK = `Traceback (most recent call last):
  File "/usr/bin/toil-wdl-runner", line 33, in <module>
    sys.exit(load_entry_point('toil==5.9.0', 'console_scripts', 'toil-wdl-runner')())
  File "/usr/lib/python3/dist-packages/toil/wdl/versions/v1.py", line 18, in <module>
    from wdlparse.v1.WdlV1Lexer import FileStream, WdlV1Lexer
ModuleNotFoundError: No module named 'wdlparse'`;

/**
 * A stand-in engine in a temp folder, named `name` (a name starting with `toil` is driven as Toil):
 * `body` is its shell script; every call appends its arguments to `calls.txt` next to it.
 */
function fakeEngine(t: TestContext, name: string, body: string): { cmd: string; calls: () => string[]; dir: string } {
  const dir = tempDir('omicsd-fake-engine-');
  // Readable by the sandbox's uid 65534, as an installed engine is (runs bind its folder read-only).
  fs.chmodSync(dir, 0o755);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cmd = path.join(dir, name);
  const calls = path.join(dir, 'calls.txt');
  fs.writeFileSync(cmd, `#!/bin/sh\necho "$*" >> '${calls}'\n${body}\n`, { mode: 0o755 });
  return { cmd, dir, calls: () => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean) : []) };
}

/** A toil-wdl-runner that fails as Debian's does without python3-wdlparse. */
const brokenWdl = (t: TestContext) => fakeEngine(t, 'toil-wdl-runner', `cat >&2 <<'EOF'\n${WDLPARSE_TRACEBACK}\nEOF\nexit 1`);

const wdlAdapter = (cmd: string) => {
  const hit = lookupEngine('WDL', { wdl: cmd });
  assert.ok(hit.found, `${cmd} is found`);
  return hit.adapter;
};

/** Runs the built CLI; resolves with its exit code and output. */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('engine probe: the engines installed here', () => {
  for (const name of Object.keys(INSTALL) as EngineName[]) {
    test(`${name} is probed ok with its version`, { skip: needs(name) }, () => {
      assertWorks(name);
      const p = ENGINES[name].probe!;
      assert.ok(p.ok);
      assert.match(p.version, /^\d+\.\d+/, `${name} version "${p.version}"`);
    });
  }
});

describe('engine probe: broken engines', () => {
  test('a toil-wdl-runner without its WDL parser is broken, with the error and the package to install', async (t) => {
    const fake = brokenWdl(t);
    const adapter = wdlAdapter(fake.cmd);
    assert.equal(adapter.id, 'toil-wdl-runner');
    const r = await runProbe(adapter);
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.match(r.error, /ModuleNotFoundError: No module named 'wdlparse'$/);
    assert.ok(r.error.split('\n').length <= 5, 'the last lines only');
    assert.equal(r.fix, 'apt-get install python3-wdlparse');
    // The probe compiles a WDL document: --version is not enough for toil-wdl-runner.
    assert.match(fake.calls()[0], /probe\.wdl .*probe\.json --dev_mode 1 -o /);
    const message = brokenMessage(adapter, r);
    assert.match(message, /WDL engine toil-wdl-runner .* is installed but does not work/);
    assert.match(message, /Fix: apt-get install python3-wdlparse$/);
  });

  test('fixes are named from the error when it is recognisable, else the command is to be checked', () => {
    const cwltool = { id: 'cwltool', family: 'CWL' as const, argv: ['/usr/bin/cwltool'] };
    const toil = { id: 'toil-cwl-runner', family: 'CWL' as const, argv: ['/usr/bin/toil-cwl-runner'] };
    const nextflow = { id: 'nextflow', family: 'NEXTFLOW' as const, argv: ['/opt/nextflow'] };
    assert.equal(fixFor(cwltool, "ModuleNotFoundError: No module named 'cwltool.main'", 'cwltool --version'), 'apt-get install --reinstall cwltool');
    assert.equal(fixFor(toil, "ModuleNotFoundError: No module named 'toil'", 'x'), 'apt-get install --reinstall toil');
    assert.match(fixFor(toil, "ModuleNotFoundError: No module named 'ruamel'", 'x'), /^apt-get install python3-ruamel .*apt-get install --reinstall toil/);
    assert.equal(fixFor(cwltool, "ImportError: cannot import name 'x' from 'schema_salad'", 'x'), 'reinstall the engine: apt-get install --reinstall cwltool');
    assert.match(fixFor(nextflow, 'ERROR: Cannot find Java or it\'s a wrong version', 'x'), /Java 17/);
    assert.match(fixFor(cwltool, 'something odd', 'cwltool --version'), /^check the command: run "cwltool --version" by hand/);
  });

  test('versions are read from what engines print', () => {
    assert.equal(versionFrom('/usr/bin/cwltool 3.1.20230209161050\n'), '3.1.20230209161050');
    assert.equal(versionFrom('5.9.0\n'), '5.9.0');
    assert.equal(versionFrom('miniwdl v1.11.1\n'), '1.11.1');
    assert.equal(versionFrom('\n      N E X T F L O W\n      version 23.10.1 build 5891\n      created 28-11-2023\n'), '23.10.1');
  });

  test('a probe that does not finish in time, or is killed, is broken', async (t) => {
    const hangs = fakeEngine(t, 'cwltool', 'echo "loading…" >&2; exec sleep 30');
    const started = Date.now();
    const slow = await runProbe({ id: 'cwltool', family: 'CWL', argv: [hangs.cmd] }, { timeoutMs: 1000 });
    assert.ok(Date.now() - started < 10_000, 'the probe is stopped at its timeout');
    assert.ok(!slow.ok);
    assert.match(slow.error, /did not finish within 1 s:\nloading…/);
    assert.match(slow.fix, /check the command/);

    const killed = fakeEngine(t, 'cwltool', 'kill -9 $$');
    const r = await runProbe({ id: 'cwltool', family: 'CWL', argv: [killed.cmd] });
    assert.ok(!r.ok);
    assert.match(r.error, /was killed by SIGKILL/);
    assert.match(r.fix, /check the command/);
  });

  test('a failed probe is cached, and repeated only once it is old enough; a working result is kept', async (t) => {
    const fake = fakeEngine(t, 'toil-wdl-runner', 'if [ -e "$(dirname "$0")/fixed" ]; then echo "toil 7.7.7"; exit 0; fi\necho "ModuleNotFoundError: No module named \'wdlparse\'" >&2; exit 1');
    const adapter = wdlAdapter(fake.cmd);
    const [a, b] = await Promise.all([probeEngine(adapter), probeEngine(adapter)]);
    assert.equal(a.ok, false);
    assert.equal(b, a, 'one probe in flight serves every caller');
    assert.equal(fake.calls().length, 1);
    fs.writeFileSync(path.join(fake.dir, 'fixed'), '');
    assert.equal((await probeEngine(adapter)).ok, false, 'a fresh failure is not probed again');
    assert.equal(fake.calls().length, 1);
    const fixed = await probeEngine(adapter, { reprobeFailedMs: 0 });
    assert.deepEqual(fixed, { ok: true, version: '7.7.7' });
    assert.equal(fake.calls().length, 2);
    assert.deepEqual(await probeEngine(adapter, { reprobeFailedMs: 0 }), fixed);
    assert.equal(fake.calls().length, 2, 'a working engine is not probed again');
  });
});

describe('engine probe: the local executor', () => {
  test('a run for a broken engine fails fast with ENGINE_BROKEN, before anything is staged', async (t) => {
    const fake = brokenWdl(t);
    const h = await harness(t, { engines: { wdl: fake.cmd } });
    const wf = await h.workflow(folderZip(path.join(ROOT, 'examples/count-lines-wdl')), 'WDL', 'main.wdl');
    const run = await h.start(wf, { input_file: 's3://inputs/sample.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.failureReason, 'ENGINE_BROKEN');
    t.diagnostic(`statusMessage: ${done.statusMessage}`);
    assert.match(done.statusMessage!, /ModuleNotFoundError: No module named 'wdlparse'/);
    assert.match(done.statusMessage!, /apt-get install python3-wdlparse/);
    assert.ok(done.statusMessage!.length <= 1000);
    assert.deepEqual(statusesOf(h, run.id), ['FAILED']);
    const dir = path.join(h.dataDir, 'runs', run.id);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f !== 'engine.log'), [], 'nothing staged, no engine record');
    assert.match(fs.readFileSync(runLogPath(h.dataDir, run.id), 'utf8'), /ENGINE_BROKEN/);
    assert.ok(fake.calls().every((c) => /--dev_mode 1/.test(c)), 'the engine ran for its probe only');

    // The start-up log says BROKEN, never found.
    await until(() => h.logs.some((l) => l.includes('local executor engines')), 30000, 'the engines line');
    const text = h.logs.join('');
    assert.match(text, /WDL +toil-wdl-runner .*BROKEN: ModuleNotFoundError: No module named 'wdlparse' — fix: apt-get install python3-wdlparse/);
    assert.doesNotMatch(text, /WDL → toil-wdl-runner/);
  });

  test('a run waits for its engine\'s first probe instead of failing while it runs', { skip: needs('cwltool') }, async (t) => {
    assertWorks('cwltool');
    // A cwltool whose --version takes 3 s; the run itself is the real cwltool's.
    const fake = fakeEngine(t, 'cwltool', `if [ "$1" = --version ]; then sleep 3; echo "slow-cwltool 9.9.9"; exit 0; fi\nexec cwltool "$@"`);
    const h = await harness(t, { engines: { cwl: fake.cmd } });
    const wf = await h.workflow(folderZip(path.join(ROOT, 'examples/count-lines')), 'CWL', 'count-lines.cwl');
    await h.objects.write({ bucket: 'inputs', key: 'three.txt' }, 'a\nb\nc\n');
    const run = await h.start(wf, { input: 's3://inputs/three.txt' });
    const done = await h.settle(run.id);
    assert.equal(done.status, 'COMPLETED', `${done.failureReason} ${done.statusMessage}`);
    assert.deepEqual(fake.calls().map((c) => c.split(' ')[0]).slice(0, 1), ['--version'], 'probed once, first');
    assert.equal(fake.calls().filter((c) => c === '--version').length, 1);
    await until(() => h.logs.some((l) => l.includes('local executor engines')), 30000, 'the engines line');
    assert.match(h.logs.join(''), /CWL → cwltool 9\.9\.9/);
  });
});

describe('engine probe: omicsd engines', () => {
  test('a broken engine: exit code 1, BROKEN with the fix; as JSON too, and from OMICSD_ENGINE_WDL', async (t) => {
    const fake = brokenWdl(t);
    const text = await cli(['engines', '--engine-wdl', fake.cmd]);
    t.diagnostic(text.stdout);
    assert.equal(text.code, 1, text.stderr);
    const lines = text.stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), ['CWL', 'WDL', 'NEXTFLOW'], 'one line per language');
    assert.match(lines[1], new RegExp(`^WDL +toil-wdl-runner +${fake.cmd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +BROKEN: ModuleNotFoundError: No module named 'wdlparse' — fix: apt-get install python3-wdlparse$`));

    const json = await cli(['engines', '--output', 'json'], { ...process.env, OMICSD_ENGINE_WDL: fake.cmd });
    assert.equal(json.code, 1, json.stderr);
    const reports = JSON.parse(json.stdout) as { language: string; status: string; error?: string; fix?: string; command?: string }[];
    const wdl = reports.find((r) => r.language === 'WDL')!;
    assert.equal(wdl.status, 'broken');
    assert.equal(wdl.command, fake.cmd);
    assert.match(wdl.error!, /No module named 'wdlparse'/);
    assert.equal(wdl.fix, 'apt-get install python3-wdlparse');
  });

  test('working and missing engines: exit code 0', async () => {
    // Only engines that are not installed, and the installed ones when they work, so that exit 0 is expected.
    const broken = (Object.keys(ENGINES) as EngineName[]).filter((n) => ENGINES[n].installed && !ENGINES[n].probe!.ok);
    const r = await cli(['engines', '--engine-cwl', '/nonexistent/cwltool', '--engine-wdl', '/nonexistent/toil-wdl-runner', '--engine-nextflow', '/nonexistent/nextflow', '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const reports = JSON.parse(r.stdout) as { language: string; status: string; hint?: string }[];
    assert.deepEqual(reports.map((x) => [x.language, x.status]), [['CWL', 'missing'], ['WDL', 'missing'], ['NEXTFLOW', 'missing']]);
    assert.match(reports[1].hint!, /apt-get install toil python3-wdlparse/);
    if (broken.length) return;
    const real = await cli(['engines']);
    assert.equal(real.code, 0, real.stdout + real.stderr);
    if (ENGINES.cwltool.installed) assert.match(real.stdout, /^CWL +cwltool +\S+ +ok \d+\.\d+/m);
  });
});
