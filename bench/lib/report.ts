import fs from 'node:fs';
import { fmt, withUnit, type Figure } from './figures.js';
import type { Machine } from './machine.js';

export interface ScenarioResult {
  seconds: number;
  /** 1-minute load average before and after: a busy machine shows here first. */
  loadAverage: [number, number];
  details?: unknown;
  error?: string;
}

export interface Results {
  date: string;
  mode: 'quick' | 'full';
  profile: unknown;
  wallSeconds: number;
  machine: Machine;
  figures: Figure[];
  scenarios: Record<string, ScenarioResult>;
  errors: string[];
  /** Scenarios run again later with `--only=… --merge`, their figures replacing the full run's. */
  reruns?: { scenarios: string[]; date: string; commit?: string; loadAverageAtStart: number }[];
}

/** The full run's results with the figures and details of a later `--only` run in place of theirs. */
export function mergeResults(full: Results, partial: Results): Results {
  const labels = new Set(partial.figures.map((f) => f.scenario));
  const order = [...new Set([...full.figures, ...partial.figures].map((f) => f.scenario))];
  const figures = [...full.figures.filter((f) => !labels.has(f.scenario)), ...partial.figures]
    .sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));
  return {
    ...full, figures, scenarios: { ...full.scenarios, ...partial.scenarios }, errors: [...full.errors, ...partial.errors],
    reruns: [...(full.reruns ?? []), {
      scenarios: Object.keys(partial.scenarios), date: partial.date, commit: partial.machine.commit, loadAverageAtStart: partial.machine.loadAverageAtStart,
    }],
  };
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
\`@aws-sdk/client-omics\` from the harness process, except in the API scenario, where autocannon sends the
GetRun requests. Every limit is measured in the same run on the same machine: a bare \`node:http\` server
(its own process too) that echoes the StartRunBatch body or answers GetRun's JSON, driven by the same
client; the faster of two 1 MiB-chunk reads of the settings file, and \`JSON.parse\` of the same elements
from memory; copies of the submitted run rows inserted with one prepared statement in one transaction
into the same SQLite database after the server has stopped; and the configured StartRun rate.

- Accept: 100-entry inline batches, a fresh requestId each; the StartRun rate is set near zero, so the
  batches are ingested in the background but create no runs. Server and SDK CPU per call are in
  \`results.json\`.
- Ingest: 100,000 entries of ~10 kB (1 GB) copied into the embedded object store; the time from
  StartRunBatch until \`totalRuns\` is set, and the largest server RSS (sampled from /proc every 50 ms)
  above its RSS just before the call.
- Submit: 100,000 small entries, rate uncapped; runs/s over the server's own timestamps, from the first
  run's \`creationTime\` to the batch's \`submittedTime\`.
- Reads under load (the pollers scenario): a settings file of 100,000 small entries on s3rver, run as
  its own process; omicsd reads it with \`--s3-endpoint\`, rate uncapped, runs that finish at once. One
  SDK client polls as a dashboard or pipeline does — GetBatch, then ListRunsInBatch (100 items), then
  50 ms — from StartRunBatch until a GetBatch shows every entry submitted; then the same on a fresh
  server with 8 such pollers. All their calls count, with their full latency. The event-loop stall is
  the largest delay \`perf_hooks.monitorEventLoopDelay\` saw inside omicsd over the same window (a
  module the bench preloads with \`--import\`; it also records when the longest stalls fell, in
  \`results.json\`). The 1-poller run also gives runs/s (StartRunBatch's \`creationTime\` to
  \`submittedTime\`, ingest included) beside raw inserts of its rows, accepted → PROCESSED, and the
  server's peak RSS.
- Rate: the runs' \`creationTime\` (ListRuns). Achieved rate = (runs − bucket) / (last − first), since the
  bucket starts full; largest burst = the largest excess of runs created in any time window over
  rate × window, which a token bucket bounds by its size (+2 % allowed: creationTime is stamped after the
  token is taken, so scheduling jitter on a busy machine stamps a few runs late).
- End to end: StartRunBatch to PROCESSED (GetBatch every 50 ms) on a fresh server, three times per size;
  the median wall time counts, and peak RSS is the largest VmHWM of the three.
- Scale-out: a settings file of 100,000 small entries on s3rver (its own process), rate uncapped, runs
  that finish at once; submitted by one SQLite instance, then by 1, 2 and 3 instances sharing a fresh
  PostgreSQL database on 127.0.0.1:5432 (each its own process and data dir). runs/s from StartRunBatch's
  \`creationTime\` to \`submittedTime\` (ingest included), beside SQLite's single instance; GetBatch p99 of
  one SDK client polling the last instance every 50 ms meanwhile; duplicates = runs minus distinct
  runSettingIds among the batch's rows.
- Slurm: on the single-node test cluster of \`scripts/slurm/start.sh\` (8 CPUs claimed on this machine's
  cores; skipped where it cannot start). Submission: 1,000 runs in batches of 100 with
  \`--slurm-sbatch-args --hold\` (held jobs: only sbatch is measured), rate uncapped, after one warm-up run;
  jobs/s from the first StartRunBatch until squeue lists every job, beside 1,000 bare
  \`sbatch --hold --wrap true\` calls, 4 at a time as omicsd makes them. Then one squeue for all jobs with
  them still queued (median of 5). Last, a 20-run CWL batch of real cwltool runs (1 s each) with
  \`--max-concurrent-runs 8\`, StartRunBatch to PROCESSED, beside the same batch on the local executor.
- Soak: omicsd with \`--credentials\` (two accounts), runs of 200 ms, StartRun rate 200/s per account and the
  default \`--api-rate\` (1,000/s per account); 50 clients, each its own \`OmicsClient\` (one attempt per call)
  signed with one account's key, for 10 minutes after a 1-minute warm-up with the same traffic. Each client
  loops: one operation picked by weight, then a random pause of 0–200 ms. Per 100 calls, about 63 reads
  (GetRun, ListRuns with filters, ListRunTasks, GetRunTask, Get/ListWorkflows, Get/ListRunGroups,
  ListTagsForResource), 23 writes (StartRun, CancelRun on its own active runs, DeleteRun on its own
  finished ones, Tag/UntagResource; CreateWorkflow and CreateRunGroup rarely) and 14 batch calls (mostly
  GetBatch and ListRunsInBatch polling; StartRunBatch of 10–100 inline entries, CancelRunBatch,
  DeleteRunBatch then DeleteBatch on its own finished batches); each account also starts a batch from a
  fresh settings file of 2,000–5,000 entries (copied into the embedded store) every 90 s. A client only
  changes its own runs and batches. Three API errors are expected and counted apart: ConflictException on
  CancelRun of a run that COMPLETED or FAILED since the client saw it active, ConflictException on
  CancelRunBatch of a batch that became PROCESSED since it was polled, and ThrottlingException on StartRun
  from the account's StartRun bucket, which a submitting batch of the same account drains on purpose
  (docs/quotas.md). Any other error, throttling by \`--api-rate\` included, counts. Latency covers the calls
  of the 10 minutes (reads, writes, batch calls as listed); the server's RSS is read every 5 s, its slope
  by least squares over the 10 minutes. Runs created are the rows of the runs table after the server
  stopped (deleted runs included).

Percentiles are nearest-rank; MB = 10⁶ bytes. The harness exits non-zero only on errors; a missed target
is reported, not enforced. The machine is measured as it is: other load on it (see the load average
above) shows in every figure, which is why each figure stands beside a limit measured in the same run.
`;

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
${(r.reruns ?? []).map((x) => `Run again later with \`npm run bench -- --only=${x.scenarios.join(',')} --merge\` on ${x.date.slice(0, 10)}, commit ${x.commit ?? 'unknown'}, load average ${x.loadAverageAtStart} at start: their figures replace the full run's.`).join('\n')}

${table}

${met.length} targets met, ${missed.length} missed${r.errors.length ? `, ${r.errors.length} scenario errors` : ''}.
${missed.length ? `\nMissed:\n\n${list(missed)}\n` : ''}${r.errors.length ? `\nErrors:\n\n${r.errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
## Method

${METHOD.trim()}

Run it with \`npm run bench\` (under 20 minutes on 2 cores, 11 of them the soak) or \`npm run bench -- --quick\` (every
scenario shrunk, under 2 minutes; writes \`bench/results-quick.json\` and leaves this file alone).
`;
  fs.writeFileSync(file, text);
}
