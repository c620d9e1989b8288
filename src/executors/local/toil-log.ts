import { gibFromMib, isNoise, wholeCpus, type TaskSink, type TaskTracker } from './engine.js';

/**
 * Reading Toil's leader log (stderr, Toil 5.9), shared by toil-cwl-runner and toil-wdl-runner:
 *   [ts] [MainThread] [I] [toil.leader] Issued job 'CWLJob' main.cwl.count_lines.count-lines.cwl
 *       kind-CWLJob/instance-xajo_kzk v1 with job batch system ID: 1 and disk: 2.0 Gi, memory: 256.0 Mi, cores: 1, …
 *   [ts] [MainThread] [W] [toil.leader] Job failed with exit value 1: 'CWLJob' fail.cwl kind-CWLJob/instance-3rwl7t7a v1
 * Toil logs no per-job completion at INFO level: jobs still open when the leader exits take the
 * run's outcome. A job Toil issues again after a failure is a new task (`name (attempt 2)`), as
 * HealthOmics gives task retries new task ids.
 */

const PREFIX = /^\[[^\]]*\] \[[^\]]*\] \[([A-Z])\] \[([^\]]*)\] ?/;
const ISSUED = /Issued job '([^']+)' (.*?)\s*(kind-\S+) v\d+ with job batch system ID: \S+ and disk: [\d.]+ \w+, memory: ([\d.]+) (\w+), cores: ([\d.]+)/;
const FAILED = /Job failed with exit value (-?\d+): '([^']+)' (.*?)\s*(kind-\S+) v\d+/;

const UNIT_MIB: Record<string, number> = { B: 1 / 1048576, Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };

/** Names a Toil job as a task, or undefined when the job is Toil's own plumbing. */
export type ToilJobNamer = (kind: string, displayName: string) => string | undefined;

export function toilTasks(sink: TaskSink, namer: ToilJobNamer): TaskTracker {
  const byInstance = new Map<string, { name: string; base: string; attempt: number; open: boolean; cpus: number; memory: number }>();
  const used = new Map<string, number>();
  return {
    line(raw) {
      const line = raw.replace(PREFIX, '');
      const issued = ISSUED.exec(line);
      if (issued) {
        const [, kind, display, instance, mem, unit, cores] = issued;
        const base0 = namer(kind, display);
        if (!base0) return;
        const cpus = wholeCpus(Number(cores));
        const memory = gibFromMib(Number(mem) * (UNIT_MIB[unit] ?? 1));
        let job = byInstance.get(instance);
        if (!job) {
          const n = (used.get(base0) ?? 0) + 1;
          used.set(base0, n);
          const base = n === 1 ? base0 : `${base0}_${n}`;
          job = { name: base, base, attempt: 1, open: false, cpus, memory };
          byInstance.set(instance, job);
        } else if (!job.open) {
          job.attempt += 1;
          job.name = `${job.base} (attempt ${job.attempt})`;
        }
        job.open = true;
        job.cpus = cpus;
        job.memory = memory;
        sink({ name: job.name.slice(0, 128), status: 'RUNNING', at: Date.now(), cpus, memory });
        return;
      }
      const failed = FAILED.exec(line);
      if (failed) {
        const job = byInstance.get(failed[4]);
        if (!job || !job.open) return;
        job.open = false;
        sink({
          name: job.name.slice(0, 128), status: 'FAILED', at: Date.now(), failureReason: 'TASK_FAILED',
          statusMessage: `exit value ${failed[1]}`,
        });
      }
    },
    finish(success) {
      const at = Date.now();
      for (const job of byInstance.values()) {
        if (!job.open) continue;
        job.open = false;
        sink({ name: job.name.slice(0, 128), status: success ? 'COMPLETED' : 'FAILED', at, ...(success ? {} : { failureReason: 'ENGINE_FAILED' }) });
      }
    },
  };
}

const TRACE_FRAME = /^\s+(File "|\^+$|~+$)|^\s{4,}\S/;

function plain(line: string): string | undefined {
  const m = PREFIX.exec(line);
  if (!m) return line;
  if (m[1] === 'I' || m[1] === 'D') return undefined;
  const level = m[1] === 'W' ? 'WARNING' : m[1] === 'E' ? 'ERROR' : m[1] === 'C' ? 'CRITICAL' : m[1];
  return `${level}: ${line.slice(m[0].length)}`;
}

function withoutTracebacks(lines: string[]): string[] {
  const out: string[] = [];
  let inTrace = false;
  for (const line of lines) {
    if (/^\s*Traceback \(most recent call last\):/.test(line)) {
      inTrace = true;
      continue;
    }
    if (inTrace && (TRACE_FRAME.test(line) || /^\s+\S/.test(line))) continue;
    inTrace = false;
    out.push(line);
  }
  return out;
}

/** Log lines in plain words: INFO/DEBUG lines and their indented continuations dropped. */
function plainLines(lines: string[]): string[] {
  const out: string[] = [];
  let inInfo = false;
  for (const l of withoutTracebacks(lines)) {
    const m = PREFIX.exec(l);
    if (m) inInfo = m[1] === 'I' || m[1] === 'D';
    else if (inInfo && /^\s/.test(l)) continue;
    else inInfo = false;
    const p = plain(l);
    if (p) out.push(p.replace(/^(\w+): \[[\w.]+\] /, '$1: '));
  }
  return out;
}

const BORING = /---TOIL WORKER OUTPUT LOG---|Exiting the worker because of a failed job|Due to failure we are reducing|The job seems to have left a log file|Log from job .* follows|^Exit reason:/;

/**
 * Toil's failure account. A failed job's own log comes between `=========>` and `<=========`
 * (tab-indented); the tool's stderr and cwltool's verdict are in there. The leader's closing error
 * (e.g. `FailedJobsException: …`) follows. Tracebacks and INFO lines are left out.
 */
export function toilErrors(stderr: string[]): string {
  const lines = stderr.filter((l) => !isNoise(l));
  const end = lines.lastIndexOf('<=========');
  const start = end > 0 ? lines.lastIndexOf('=========>', end) : -1;
  const parts: string[] = [];
  if (start >= 0) {
    const block = lines.slice(start + 1, end).map((l) => l.replace(/^\t/, ''));
    parts.push(...plainLines(block).filter((l) => !BORING.test(l)));
  }
  const outside: string[] = [];
  let inBlock = false;
  for (const l of lines) {
    if (l === '=========>') inBlock = true;
    else if (l === '<=========') inBlock = false;
    else if (!inBlock) outside.push(l);
  }
  const leader = plainLines(outside).filter((l) => !BORING.test(l));
  const closing = leader.filter((l) => /Exception|Error|failed/i.test(l) && !/^WARNING: Job failed with exit value/.test(l));
  parts.push(...(closing.length ? closing.slice(-2) : leader.slice(-8)));
  return parts.slice(-40).join('\n');
}
