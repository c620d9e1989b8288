// Starting and stopping as an operator does (docs/operations.md): the documented command stops
// cleanly on SIGINT/SIGTERM with nothing left behind, options are checked before the disk is touched,
// one server per data dir (a stale lock is taken over), and the log tells a batch's life.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { StartRunBatchCommand } from '@aws-sdk/client-omics';
import { which } from '../../src/executors/local/engine.js';
import { ROLE } from '../support/client.js';
import { BIN, tempDir } from '../support/paths.js';
import { startListening } from '../support/process.js';
import { startServer } from '../support/server.js';
import { waitBatchStatus } from '../support/batches.js';
import { eventually } from '../support/wait.js';
import { createWorkflow } from '../support/workflows.js';

const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };

/** The command the README documents, as `npm link` installs it; the built bin run the same way where it is not linked. */
const OMICSD = which('omicsd');

const serveArgs = (dataDir: string) => ['serve', '--port', '0', '--data-dir', dataDir, '--executor', 'simulated', '--log-format', 'json'];

/** Live processes whose command line mentions `needle`. */
function processesWith(needle: string): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => {
    try {
      return pid !== process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

describe('the documented start command', { skip: OMICSD ? false : 'omicsd is not on PATH: run `npm link` (the README\'s first command)' }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} stops it with exit 0 and leaves no process behind`, async (t) => {
      const dataDir = tempDir();
      const started = Date.now();
      const { child } = await startListening(OMICSD!, serveArgs(dataDir), { line: /omicsd listening on (http:\/\/\S+)/, ms: 20000, what: 'omicsd' });
      const startMs = Date.now() - started;
      assert.ok(processesWith(dataDir).length >= 1);
      child.proc.kill(signal);
      assert.equal(await child.exited, 0, child.stderr());
      await eventually(() => processesWith(dataDir).length === 0, 5000, 'no process of the server left');
      assert.ok(!fs.existsSync(path.join(dataDir, 'omicsd.lock')), 'the lock is released');
      assert.match(child.stderr(), /"msg":"stopped"/);
      // Informational: the start time is a benchmark figure, not asserted here.
      t.diagnostic(`started in ${startMs} ms`);
    });
  }
});

describe('options are checked before anything is written', () => {
  const cases: [string, string[], RegExp][] = [
    ['a log level that does not exist', ['--log-level', 'loud'], /option '--log-level <level>' argument 'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/],
    ['a port out of range', ['--port', '99999'], /option '--port <port>' argument '99999' is invalid\. expected a whole number from 0 to 65535/],
    ['an account id that is not 12 digits', ['--account-id', '12'], /'--account-id <id>' argument '12' is invalid\. expected 12 digits/],
    ['an unsupported database URL', ['--database-url', 'mysql://db'], /option '--database-url <url>' is invalid: expected sqlite:PATH or postgres:\/\/USER@HOST:PORT\/DATABASE, got "mysql:\/\/db"/],
    ['a rate that is not a number', ['--start-run-rate', 'fast'], /'--start-run-rate <n>' argument 'fast' is invalid\. expected a number ≥ 0/],
    ['an unknown executor', ['--executor', 'cloud'], /argument 'cloud' is invalid\. Allowed choices are local, slurm, simulated/],
    ['a Slurm submit rate of 0', ['--executor', 'slurm', '--slurm-submit-rate', '0'], /'--slurm-submit-rate <n>' argument '0' is invalid\. expected a number > 0/],
  ];
  for (const [what, args, message] of cases) {
    test(what, () => {
      const dataDir = path.join(tempDir(), 'data');
      const res = spawnSync(process.execPath, [BIN, 'serve', '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 20000 });
      assert.notEqual(res.status, 0);
      assert.match(res.stderr, message);
      assert.ok(!fs.existsSync(dataDir), 'the data dir was not created');
    });
  }

  test('--executor slurm without Slurm\'s commands on PATH', () => {
    const dataDir = path.join(tempDir(), 'data');
    const res = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--executor', 'slurm'],
      { encoding: 'utf8', timeout: 20000, env: { ...process.env, PATH: tempDir() } });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /--executor slurm needs Slurm's client commands on PATH, and sbatch is not there: install them \(Debian: apt-get install slurm-client\)/);
    assert.ok(!fs.existsSync(dataDir), 'the data dir was not created');
  });

  test('a port in use is reported before the data dir is created', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dataDir = path.join(tempDir(), 'data');
      const res = spawnSync(process.execPath, [BIN, 'serve', '--port', String(port), '--data-dir', dataDir], { encoding: 'utf8', timeout: 20000 });
      assert.equal(res.status, 1);
      assert.match(res.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: it is already in use`));
      assert.ok(!fs.existsSync(dataDir), 'the data dir was not created');
    } finally {
      blocker.close();
    }
  });

  test('--version prints the package version', () => {
    const res = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    assert.equal(res.status, 0);
    assert.equal(res.stdout.trim(), pkg.version);
  });
});

describe('one server per data dir', () => {
  test('a second server on the same data dir is refused, naming the pid that holds it', async (t) => {
    const server = await startServer([], tempDir());
    t.after(() => server.stop());
    const res = spawnSync(process.execPath, [BIN, ...serveArgs(server.dataDir)], { encoding: 'utf8', timeout: 20000 });
    assert.equal(res.status, 1);
    assert.match(res.stderr, new RegExp(`is in use by omicsd pid ${server.pid} on `));
    assert.equal(res.stdout, '', 'the second server never listened');
    // The first one still serves.
    await server.client.send(new StartRunBatchCommand({
      defaultRunSetting: { workflowId: await createWorkflow(server.client), roleArn: ROLE, outputUri: 's3://out/x/' },
      batchRunSettings: { inlineSettings: [{ runSettingId: 'a', parameters: { msg: 'hi' } }] },
    }));
  });

  test('a lock left by a killed server is taken over', async (t) => {
    const dataDir = tempDir();
    const first = await startServer([], dataDir);
    await first.kill();
    assert.ok(fs.existsSync(path.join(dataDir, 'omicsd.lock')), 'kill -9 leaves the lock behind');
    const second = await startServer([], dataDir);
    t.after(() => second.stop());
    const owner = JSON.parse(fs.readFileSync(path.join(dataDir, 'omicsd.lock'), 'utf8')) as { pid: number };
    assert.equal(owner.pid, second.pid);
  });
});

describe('the log tells what happened', () => {
  test('one line per batch event and per failed run, with its batch and runSettingId', async (t) => {
    const server = await startServer(['--log-level', 'info', '--log-format', 'json']);
    t.after(() => server.stop());
    const c = server.client;
    const wf = await createWorkflow(c);
    const batch = await c.send(new StartRunBatchCommand({
      batchName: 'logged',
      defaultRunSetting: { workflowId: wf, roleArn: ROLE, outputUri: 's3://out/log/', parameters: { msg: 'x' } },
      batchRunSettings: {
        inlineSettings: [
          { runSettingId: 'good', parameters: { __omicsd_simulate: { runningMs: 10 } } },
          { runSettingId: 'bad-sample', parameters: { __omicsd_simulate: { outcome: 'FAILED', runningMs: 10, failureReason: 'disk full' } } },
          { runSettingId: 'unknown-param', parameters: { nope: 1 } },
        ],
      },
    }));
    await waitBatchStatus(c, batch.id!, ['PROCESSED']);
    const lines = await eventually(() => {
      const parsed = server.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown });
      // The failed run's line is written once its record is read back, so it may follow the PROCESSED one.
      return parsed.some((l) => l.event === 'allRunsFinished') && parsed.some((l) => /FAILED: disk full/.test(String(l.msg))) && parsed;
    }, 10000, 'the PROCESSED line and the failed run\'s line');
    const msgs = lines.map((l) => l.msg);
    const id = batch.id!;
    for (const expected of [
      `batch ${id} accepted (3 inline entries)`,
      `batch ${id}: 3 runs to submit`,
      `batch ${id}: every entry submitted (2 runs started, 1 entries failed)`,
      `batch ${id} PROCESSED: 1 completed, 1 failed, 0 cancelled`,
    ]) assert.ok(msgs.includes(expected), `log has "${expected}" in:\n${msgs.join('\n')}`);
    const failed = lines.find((l) => typeof l.msg === 'string' && l.msg.includes('FAILED: disk full'));
    assert.ok(failed, 'a line for the failed run');
    assert.equal(failed.batchId, id);
    assert.equal(failed.runSettingId, 'bad-sample');
    assert.equal(failed.failureReason, 'disk full');
  });
});
