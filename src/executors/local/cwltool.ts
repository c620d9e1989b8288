import fs from 'node:fs/promises';
import path from 'node:path';
import { cwlJob, readCwl } from './cwl-doc.js';
import { isNoise, type EngineAdapter, type RunContext, type TaskSink, type TaskTracker } from './engine.js';

/** cwltool's log lines: `INFO [job count_lines] completed success`, `WARNING [job x] exited with status: 1`. */
const LEVEL = /^(INFO|WARNING|ERROR|DEBUG|CRITICAL)\b\s*/;
const JOB = /^(?:INFO|WARNING|ERROR|DEBUG)\s+\[job ([^\]]+)\]\s?(.*)$/;
/** With --cachedir: `[job x] Output of job will be cached in DIR` (a miss), `[job x] Using cached output in DIR` (a hit: no run, no completed line). */
const CACHED = /^(Output of job will be cached in|Using cached output in) (.+)$/;

/**
 * Task tracking from cwltool's log (stderr), as printed by cwltool 3.1:
 *   INFO [step count_lines] start
 *   INFO [job count_lines] /tmp/abc$ wc \          ← the tool's command starts: RUNNING
 *   INFO [job count_lines] completed success       ← COMPLETED (any other status: FAILED)
 * A CommandLineTool run directly is one job named after its file (`[job count-lines.cwl]`);
 * scattered steps are `name`, `name_2`, … Workflow-level lines (`[workflow …]`) are not tasks.
 */
export function cwltoolTasks(ctx: RunContext, sink: TaskSink): TaskTracker {
  const info = readCwl(ctx.mainPath, ctx.definitionDir);
  const open = new Set<string>();
  const done = new Set<string>();
  const cacheUri = new Map<string, string>();
  return {
    line(raw) {
      const m = JOB.exec(raw);
      if (!m) return;
      const [, name, rest] = m;
      if (done.has(name)) return;
      const at = Date.now();
      const res = info.resourcesOf(name);
      const cached = CACHED.exec(rest);
      if (cached) {
        const uri = ctx.cacheS3Prefix ? `${ctx.cacheS3Prefix}${path.basename(cached[2].trim())}/` : undefined;
        if (uri) cacheUri.set(name, uri);
        if (cached[1].startsWith('Using')) {
          open.delete(name);
          done.add(name);
          sink({ name, status: 'COMPLETED', at, ...res, cacheHit: true, cacheS3Uri: uri });
          return;
        }
      }
      const completed = /^completed (\w+)/.exec(rest);
      if (completed) {
        const ok = completed[1] === 'success';
        open.delete(name);
        done.add(name);
        sink({
          name, status: ok ? 'COMPLETED' : 'FAILED', at, ...res, cacheHit: cacheUri.has(name) ? false : undefined, cacheS3Uri: cacheUri.get(name),
          ...(ok ? {} : { failureReason: completed[1].slice(0, 64), statusMessage: `cwltool: job ${name} completed ${completed[1]}` }),
        });
      } else if (!open.has(name)) {
        open.add(name);
        sink({ name, status: 'RUNNING', at, ...res });
      }
    },
    finish(success) {
      const at = Date.now();
      for (const name of open) {
        sink({ name, status: success ? 'COMPLETED' : 'FAILED', at, ...(success ? {} : { failureReason: 'ENGINE_FAILED' }) });
      }
      open.clear();
    },
  };
}

/** cwltool's failure account: its warnings and errors and the tool's own stderr, not its INFO chatter. */
export function cwltoolErrors(stderr: string[]): string {
  const kept: string[] = [];
  let inInfo = false;
  for (const line of stderr) {
    if (isNoise(line)) continue;
    const level = LEVEL.exec(line);
    if (level) {
      inInfo = level[1] === 'INFO' || level[1] === 'DEBUG';
      if (!inInfo) kept.push(line.replace(LEVEL, `${level[1]}: `));
      continue;
    }
    if (inInfo && /^\s/.test(line)) continue; // the rest of an INFO line (a tool's command line)
    inInfo = false;
    kept.push(line);
  }
  return kept.slice(-40).join('\n');
}

export class CwltoolAdapter implements EngineAdapter {
  readonly id = 'cwltool';
  readonly family = 'CWL' as const;
  readonly callCache = true;

  constructor(readonly argv: string[]) {}

  async prepare(ctx: RunContext, params: Record<string, unknown>) {
    await fs.writeFile(ctx.inputsPath, JSON.stringify(await cwlJob(ctx, params), null, 2));
    const tmp = `${ctx.tmpDir}${path.sep}`;
    return {
      args: [
        '--disable-color',
        ...(ctx.containers ? [] : ['--no-container']),
        // The trailing separator keeps cwltool's scratch folders, named by prefix, inside the cache folder.
        ...(ctx.cacheDir ? ['--cachedir', `${ctx.cacheDir}${path.sep}`] : []),
        '--outdir', ctx.outDir,
        '--basedir', ctx.runDir,
        '--tmpdir-prefix', tmp,
        // With a cache, each job's output folder is its cache entry (cwltool refuses both).
        ...(ctx.cacheDir ? [] : ['--tmp-outdir-prefix', tmp]),
        ctx.mainPath,
        ctx.inputsPath,
      ],
    };
  }

  tasks(ctx: RunContext, sink: TaskSink) {
    return cwltoolTasks(ctx, sink);
  }

  errorSummary(stderr: string[]) {
    return cwltoolErrors(stderr);
  }
}
