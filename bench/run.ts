/**
 * `npm run bench [-- --quick] [-- --only=accept,ingest [--merge]] [-- --no-build]`: omicsd measured against this
 * machine's own limits, each in the same run. Exits non-zero only on errors, never on a missed target.
 * OMICSD_BENCH_NODE_ARGS adds Node options to every omicsd process (e.g. "--cpu-prof --cpu-prof-dir=DIR").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from './lib/build.js';
import type { Figure } from './lib/figures.js';
import { log } from './lib/log.js';
import { machineInfo } from './lib/machine.js';
import { removeTempDirs } from './lib/temp-dirs.js';
import { ROOT } from '../test/support/paths.js';
import { stopAll } from '../test/support/process.js';
import { mergeResults, printTable, writeJson, writeMarkdown, type Results, type ScenarioResult } from './lib/report.js';
import { FULL, QUICK } from './profile.js';
import { accept } from './scenarios/accept.js';
import { api } from './scenarios/api.js';
import { e2e } from './scenarios/e2e.js';
import { ingest } from './scenarios/ingest.js';
import { pollers } from './scenarios/pollers.js';
import { rate } from './scenarios/rate.js';
import { slurmBench } from './scenarios/slurm.js';
import { soak } from './scenarios/soak.js';
import { observe } from './scenarios/observe.js';
import { cacheBench } from './scenarios/cache.js';
import { scale } from './scenarios/scale.js';
import { startup } from './scenarios/startup.js';
import { submit } from './scenarios/submit.js';

type Scenario = (p: typeof FULL) => Promise<{ figures: Figure[]; details: unknown }>;

const SCENARIOS: [string, Scenario][] = [
  ['accept', accept], ['ingest', ingest], ['submit', submit], ['pollers', pollers], ['rate', rate], ['e2e', e2e], ['api', api], ['startup', startup], ['observe', observe], ['cache', cacheBench], ['scale', scale], ['slurm', slurmBench], ['soak', soak],
];
/** Table order (the pollers scenario's figures are the reads under load). */
const ORDER = ['accept', 'ingest', 'submit', 'rate', 'reads under load', 'end to end', 'API', 'startup', 'events and metrics', 'run caches', 'scale-out', 'slurm', 'soak'];

// The SDK warns that its 2027 releases will need Node 22: known, harmless here, and noise in the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
// --merge: a full-profile --only run puts its figures into the committed full results (BENCHMARKS.md says so).
const merge = argv.includes('--merge');
const unknown = argv.filter((a) => !['--quick', '--no-build', '--build', '--merge'].includes(a) && !a.startsWith('--only='));
if (unknown.length || (only && only.some((o) => !SCENARIOS.some(([n]) => n === o))) || (merge && (!only || quick))) {
  process.stderr.write(`usage: npm run bench -- [--quick] [--only=${SCENARIOS.map(([n]) => n).join(',')} [--merge]] [--no-build|--build]\n`);
  process.exit(2);
}

process.on('SIGINT', () => {
  void stopAll().finally(() => {
    removeTempDirs();
    process.exit(130);
  });
});

async function main(): Promise<number> {
  const profile = quick ? QUICK : FULL;
  const started = performance.now();
  if (!argv.includes('--no-build') && ensureBuilt(argv.includes('--build'))) log('bench', 'built dist/');
  const machine = machineInfo();
  log('bench', `${quick ? 'quick' : 'full'} run on ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAverageAtStart}`);

  const figures: Figure[] = [];
  const scenarios: Record<string, ScenarioResult> = {};
  const errors: string[] = [];
  try {
    for (const [name, run] of SCENARIOS) {
      if (only && !only.includes(name)) continue;
      const t = performance.now();
      const load0 = os.loadavg()[0];
      const loadAverage = (): [number, number] => [load0, os.loadavg()[0]].map((x) => Math.round(x * 100) / 100) as [number, number];
      log(name, `start (load average ${load0.toFixed(2)})`);
      try {
        const res = await run(profile);
        figures.push(...res.figures);
        scenarios[name] = { seconds: (performance.now() - t) / 1000, loadAverage: loadAverage(), details: res.details };
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        errors.push(`${name}: ${msg}`);
        scenarios[name] = { seconds: (performance.now() - t) / 1000, loadAverage: loadAverage(), error: msg };
        log(name, `ERROR ${msg}`);
      } finally {
        await stopAll(); // a scenario stops its own servers; this catches what an error left behind
      }
      log(name, `done in ${scenarios[name].seconds.toFixed(1)} s`);
    }
  } finally {
    await stopAll();
    removeTempDirs();
  }

  figures.sort((a, b) => ORDER.indexOf(a.scenario) - ORDER.indexOf(b.scenario));
  const results: Results = {
    date: new Date().toISOString(), mode: quick ? 'quick' : 'full', profile, wallSeconds: (performance.now() - started) / 1000,
    machine, figures, scenarios, errors,
  };
  printTable(figures);
  // A partial run (--only) writes nothing unless merged; a quick one never replaces the committed full table.
  const written: string[] = [];
  if (merge) {
    const jsonFile = path.join(ROOT, 'bench', 'results.json');
    const merged = mergeResults(JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Results, results);
    writeJson(jsonFile, merged);
    writeMarkdown(path.join(ROOT, 'BENCHMARKS.md'), merged);
    written.push('bench/results.json', 'BENCHMARKS.md');
  } else if (!only) {
    const jsonFile = path.join(ROOT, 'bench', quick ? 'results-quick.json' : 'results.json');
    writeJson(jsonFile, results);
    written.push(path.relative(ROOT, jsonFile));
    if (!quick) {
      writeMarkdown(path.join(ROOT, 'BENCHMARKS.md'), results);
      written.push('BENCHMARKS.md');
    }
  }
  const met = figures.filter((f) => f.pass === true).length;
  const missed = figures.filter((f) => f.pass === false).length;
  process.stdout.write(`\n${met} targets met, ${missed} missed; ${errors.length} errors; ${results.wallSeconds.toFixed(0)} s.${written.length ? ` Wrote ${written.join(' and ')}.` : ''}\n`);
  for (const e of errors) process.stdout.write(`ERROR ${e}\n`);
  return errors.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  void stopAll().finally(() => process.exit(1));
});
