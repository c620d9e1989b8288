// The Slurm job script (src/executors/slurm/job-script.ts) run by sh as a node would: every word of
// the engine command and every variable arrive intact, the output lands in the run's log and the
// exit status in its exit file; and how Slurm's final job states fail a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { endedBySlurm, phaseOf } from '../../src/executors/slurm/job-states.js';
import { jobScript } from '../../src/executors/slurm/job-script.js';
import { tempDir } from '../support/paths.js';

test('the job script passes awkward words and variables through unchanged, records the exit status, and runs the engine once', (t) => {
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const words = ["it's", 'two words', '$HOME', '`id`', '"quoted"', 'back\\slash', ''];
  const script = path.join(dir, 'job.sh');
  fs.writeFileSync(script, jobScript({
    runId: '1234567', engine: 'cwltool', cwd: dir, log: path.join(dir, 'engine.log'), exit: path.join(dir, 'engine.exit'), claim: path.join(dir, 'claim'),
    command: ['/bin/sh', '-c', 'for w in "$@"; do printf "[%s]\\n" "$w"; done; printf "%s\\n" "$SAMPLE"; exit 7', 'engine', ...words],
    env: { SAMPLE: "NA12878 'x' $y" },
  }));
  const r = spawnSync('/bin/sh', [script], { env: { PATH: process.env.PATH, SLURM_JOB_ID: '42' }, encoding: 'utf8' });
  assert.equal(r.status, 7, r.stderr);
  const log = fs.readFileSync(path.join(dir, 'engine.log'), 'utf8').split('\n');
  assert.match(log[0], /^omicsd: \S+ Slurm job 42 runs on \S+$/);
  assert.deepEqual(log.slice(1, 1 + words.length), words.map((w) => `[${w}]`));
  assert.equal(log[1 + words.length], "NA12878 'x' $y");
  assert.equal(fs.readFileSync(path.join(dir, 'engine.exit'), 'utf8'), '7\n');
  assert.equal(fs.readFileSync(path.join(dir, 'claim', 'job'), 'utf8'), '42\n', 'job 42 claimed the run');

  // A second job of the same run (e.g. submitted again after a crash) finds the claim and starts nothing.
  fs.rmSync(path.join(dir, 'engine.exit'));
  const again = spawnSync('/bin/sh', [script], { env: { PATH: process.env.PATH, SLURM_JOB_ID: '43' }, encoding: 'utf8' });
  assert.equal(again.status, 0);
  const after = fs.readFileSync(path.join(dir, 'engine.log'), 'utf8');
  assert.equal(after.split('\n').filter((l) => l === '[two words]').length, 1, 'the engine ran once');
  assert.match(after, /^omicsd: Slurm job 43: job 42 runs this run already; not starting it again$/m);
  assert.ok(!fs.existsSync(path.join(dir, 'engine.exit')), 'the second job wrote no exit status');

  // Job 42 requeued by Slurm (its node failed) keeps its id: it finds its own claim and runs the engine again.
  const requeued = spawnSync('/bin/sh', [script], { env: { PATH: process.env.PATH, SLURM_JOB_ID: '42' }, encoding: 'utf8' });
  assert.equal(requeued.status, 7);
  assert.equal(fs.readFileSync(path.join(dir, 'engine.log'), 'utf8').split('\n').filter((l) => l === '[two words]').length, 2);
  assert.equal(fs.readFileSync(path.join(dir, 'engine.exit'), 'utf8'), '7\n');
});

test('Slurm job states: waiting, running, ended; how an ending by Slurm fails the run', () => {
  assert.equal(phaseOf('PENDING'), 'waiting');
  assert.equal(phaseOf('REQUEUED'), 'waiting');
  assert.equal(phaseOf('RUNNING'), 'running');
  assert.equal(phaseOf('COMPLETING'), 'running');
  assert.equal(phaseOf('TIMEOUT'), 'ended');
  // The engine's exit status decides these.
  assert.equal(endedBySlurm('9', 'COMPLETED', 'None'), undefined);
  assert.equal(endedBySlurm('9', 'FAILED', 'NonZeroExitCode'), undefined);
  assert.deepEqual(endedBySlurm('9', 'TIMEOUT', 'TimeLimit'), { code: 'SLURM_TIMEOUT', message: 'Slurm job 9 reached its time limit and was stopped (TimeLimit)' });
  assert.equal(endedBySlurm('9', 'OUT_OF_MEMORY', '')?.code, 'SLURM_OUT_OF_MEMORY');
  assert.equal(endedBySlurm('9', 'NODE_FAIL', '')?.code, 'SLURM_NODE_FAIL');
  assert.equal(endedBySlurm('9', 'PREEMPTED', '')?.code, 'SLURM_PREEMPTED');
  assert.match(endedBySlurm('9', 'CANCELLED', 'None')!.message, /^Slurm job 9 was cancelled outside omicsd \(scancel\)$/);
  assert.deepEqual(endedBySlurm('9', 'BOOT_FAIL', ''), { code: 'SLURM_JOB_FAILED', message: 'Slurm ended job 9 as BOOT_FAIL' });
});
