import fs from 'node:fs';
import { fmt, withUnit, type Figure } from './figures.js';
import type { Machine } from './machine.js';

export interface ScenarioResult {
  seconds: number;
  details?: unknown;
  error?: string;
}

export interface Results {
  date: string;
  mode: 'quick' | 'full';
  wallSeconds: number;
  machine: Machine;
  figures: Figure[];
  scenarios: Record<string, ScenarioResult>;
  errors: string[];
}

const HEAD = ['scenario', 'figure', 'value', 'limit (same run)', 'ratio', 'target', 'result'];

function rows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    f.scenario,
    f.figure,
    withUnit(f.value, f.unit),
    f.limit === undefined ? '—' : `${withUnit(f.limit, f.unit)}${f.limitLabel ? ` (${f.limitLabel})` : ''}`,
    f.ratio === undefined ? '—' : `${fmt(f.ratio)}×`,
    f.target ?? '—',
    f.pass === undefined ? '—' : f.pass ? 'pass' : 'MISS',
  ]);
}

export function printTable(figures: Figure[]) {
  const all = [HEAD, ...rows(figures)];
  const widths = HEAD.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ');
  process.stdout.write(`\n${line(HEAD)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of all.slice(1)) process.stdout.write(`${line(r)}\n`);
}

export function writeJson(file: string, results: Results) {
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

const METHOD = `omicsd runs as its own process (\`node dist/cli/main.js serve\`, SQLite in a fresh temp data dir,
simulated executor, runs that finish at once) and is driven over HTTP on 127.0.0.1 by the official
\`@aws-sdk/client-omics\` from the harness process, except the API scenario, where autocannon sends the
GetRun requests. Every limit is measured in the same run on the same machine: a bare \`node:http\`
server (also its own process) that echoes the StartRunBatch body or answers GetRun's JSON, driven by
the same client; a 1 MiB-chunk read of the settings file and \`JSON.parse\` of the same elements from
memory; the same run rows inserted with one prepared statement in one transaction into the same
SQLite database after the server has stopped; and the configured StartRun rate. Accept: 100-entry
inline batches, each call with a fresh requestId (the batches are then ingested in the background;
the StartRun rate is set near zero so that runs are not created). Ingest: a 1 GB settings file of
100,000 entries of ~10 kB, copied into the embedded object store; time from StartRunBatch to
\`totalRuns\` being set, and the largest server RSS (sampled from /proc every 50 ms) above the RSS just
before the call. Submit: 100,000 small entries, rate uncapped; runs/s is counted from the moment
\`totalRuns\` appears until no start submission is pending (GetBatch polled every 50 ms). Reads under
load: GetBatch and ListRunsInBatch (100 a page, page 1 and the deep page reached with its real
token) on an earlier, finished batch, one call at a time with a 5 ms pause, first on the idle server
and then while the submit batch is being submitted. Rate: runs' creationTime (ListRuns); achieved rate
= (runs − bucket) / (last − first creation time), since the bucket starts full; largest burst = the
largest excess of runs created in any time window over rate × window length, which a token bucket
bounds by its size (+1 run allowed for millisecond timestamps). End to end: StartRunBatch to
PROCESSED per batch size, each on a fresh server; peak RSS is the server's VmHWM. Percentiles are
nearest-rank over all calls; MB = 10⁶ bytes. The harness exits non-zero only on errors; a missed
target is reported, not enforced. Figures from a shared or busy machine are noisy: see the load
average above.`;

export function writeMarkdown(file: string, r: Results) {
  const m = r.machine;
  const table = [HEAD, HEAD.map(() => '---'), ...rows(r.figures)].map((row) => `| ${row.join(' | ')} |`).join('\n');
  const missed = r.figures.filter((f) => f.pass === false);
  const met = r.figures.filter((f) => f.pass === true);
  const list = (fs_: Figure[]) => fs_.map((f) => `- ${f.scenario}, ${f.figure}: ${withUnit(f.value, f.unit)} (target ${f.target})`).join('\n');
  const text = `# omicsd benchmarks

Full run of \`npm run bench\` on ${r.date.slice(0, 10)}: ${m.cores} cores (${m.cpuModel}), ${m.memoryGB} GB RAM,
Node ${m.node}, ${m.platform}; commit ${m.commit ?? 'unknown'}; load average ${m.loadAverageAtStart} at start;
the whole run took ${Math.round(r.wallSeconds)} s. Raw figures and per-scenario details: \`bench/results.json\`.

${table}

${met.length} targets met, ${missed.length} missed${r.errors.length ? `, ${r.errors.length} scenario errors` : ''}.
${missed.length ? `\nMissed:\n\n${list(missed)}\n` : ''}${r.errors.length ? `\nErrors:\n\n${r.errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
## Method

${METHOD}

Run it with \`npm run bench\` (under 15 minutes on 2 cores) or \`npm run bench -- --quick\` (every
scenario shrunk, under 2 minutes; writes \`bench/results-quick.json\` and leaves this file alone).
`;
  fs.writeFileSync(file, text);
}
