import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { RunRecord, RunStatus } from '../../domain/model.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { languageOf, WORKFLOW_LANGUAGES } from '../../domain/workflows/languages.js';
import { SIMULATE_KEY } from '../../domain/runs/parameters.js';
import type { WorkflowTable } from '../../store/store.js';
import type { Executor, RunReporter } from '../executor.js';
import { stripAnsi, tail, which, type EngineAdapter, type RunContext, type TaskTracker } from './engine.js';
import { lookupEngine, type EngineCommands } from './engines.js';
import { exportLog, exportOutputs } from './export.js';
import { pidFilePath, runDir, runLogPath } from './paths.js';
import { MARKER_ENV, engineAlive, processInfo, terminateEngine } from './process-tree.js';
import { PrepareError, Stager, unpackDefinition } from './staging.js';

export { runLogPath } from './paths.js';

/** What the local executor is given by the service. */
export interface LocalExecutorOptions {
  reporter: RunReporter;
  /** Where a run's workflow and its definition are read. */
  workflows: Pick<WorkflowTable, 'get' | 'getDefinition'>;
  objects: ObjectStore;
  /** Per-run work and log folders live under `<dataDir>/runs/<runId>/`. */
  dataDir: string;
  /** Engine commands; undefined = look for the default on PATH. */
  engines: EngineCommands;
  log: Logger;
  /**
   * Whether CWL tools may run in containers: undefined = when `docker info` answers; false = always
   * `--no-container` (tools run on the host).
   */
  containers?: boolean;
  /** How long an engine has after SIGTERM to stop before it is killed (ms; default 5000). */
  killGraceMs?: number;
}

/**
 * failureReason codes (≤ 64 characters) of local runs; statusMessage carries the details.
 *   ENGINE_NOT_FOUND       the workflow's engine is not installed (statusMessage: which, and how to install it)
 *   UNKNOWN_ENGINE         the workflow names no engine omicsd knows
 *   WORKFLOW_NOT_FOUND     the run's workflow or its definition is gone
 *   INVALID_DEFINITION     the definition zip cannot be unpacked or lacks its main file
 *   INVALID_INPUT          a parameter holds an s3:// URI that is not valid
 *   INPUT_NOT_READABLE     an s3:// input could not be read from the object store
 *   ENGINE_START_FAILED    the engine command could not be started
 *   ENGINE_FAILED          the engine exited non-zero (statusMessage: its last error lines)
 *   OUTPUT_EXPORT_FAILED   the outputs could not be written under runOutputUri
 *   SERVICE_RESTARTED      omicsd stopped while the run was active
 *   INTERNAL_ERROR         anything else (see omicsd's log)
 */
export const FAILURE_REASONS = [
  'ENGINE_NOT_FOUND', 'UNKNOWN_ENGINE', 'WORKFLOW_NOT_FOUND', 'INVALID_DEFINITION', 'INVALID_INPUT', 'INPUT_NOT_READABLE',
  'ENGINE_START_FAILED', 'ENGINE_FAILED', 'OUTPUT_EXPORT_FAILED', 'SERVICE_RESTARTED', 'INTERNAL_ERROR',
] as const;

export function createLocalExecutor(opts: LocalExecutorOptions): Executor {
  return new LocalExecutor(opts);
}

/** Written next to a run's engine so that a later omicsd can find and stop what is left of it. */
interface PidFile {
  pid: number;
  startTicks?: number;
  marker: string;
  engine: string;
  command: string[];
}

interface ActiveRun {
  runId: string;
  marker: string;
  /** Cancelled (or the service is closing): stop the work, report nothing more. */
  stopped: boolean;
  pid?: number;
  killing?: Promise<void>;
  done?: Promise<void>;
}

/** Whether a docker daemon answers (`docker info` exits 0 within 10 s). */
export function dockerAvailable(): Promise<boolean> {
  const docker = which('docker');
  if (!docker) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(docker, ['info'], { stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, 10_000);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** Splits a stream into whole lines (a line longer than 64 KiB is passed on in pieces). */
function onLines(stream: NodeJS.ReadableStream, each: (line: string) => void) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      each(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
    }
    if (buf.length > 65536) {
      each(buf);
      buf = '';
    }
  });
  stream.on('end', () => {
    if (buf) each(buf);
    buf = '';
  });
}

const pushBounded = (list: string[], line: string, max: number) => {
  list.push(line);
  if (list.length > max) list.splice(0, list.length - max);
};

/**
 * Runs workflows through their real engines on this machine (see engines.ts for which engine runs
 * what). Each run gets `<dataDir>/runs/<runId>/`; its engine runs there in a process group of its
 * own, and its outputs go to `<runOutputUri>/out/`. A run is reported COMPLETED only when its
 * engine exited 0 and every output was exported.
 */
export class LocalExecutor implements Executor {
  readonly name = 'local';
  private active = new Map<string, ActiveRun>();
  private background = new Set<Promise<unknown>>();
  private closing = false;
  private containers: Promise<boolean>;
  private graceMs: number;

  constructor(private opts: LocalExecutorOptions) {
    this.graceMs = opts.killGraceMs ?? 5000;
    this.containers = opts.containers !== undefined ? Promise.resolve(opts.containers) : dockerAvailable();
    this.logEngines();
  }

  /** Says at start which engines runs will use and which are missing (and how to get them). */
  private logEngines() {
    const found: Record<string, string> = {};
    const missing: Record<string, string> = {};
    for (const family of WORKFLOW_LANGUAGES) {
      const hit = lookupEngine(family, this.opts.engines);
      if (hit.found) found[family] = `${hit.adapter.id} (${hit.adapter.argv.join(' ')})`;
      else missing[family] = hit.message;
    }
    this.opts.log.info({ found, missing: Object.keys(missing) }, `local executor engines: ${Object.entries(found).map(([f, e]) => `${f} → ${e}`).join(', ') || 'none found'}`);
    for (const message of Object.values(missing)) this.opts.log.warn(message);
    void this.containers.then((c) => this.opts.log.info(c ? 'docker answers: CWL tools with a DockerRequirement run in containers' : 'no docker: CWL tools run on the host (--no-container)'));
  }

  start(run: RunRecord) {
    if (this.active.has(run.id) || this.closing) return;
    const a: ActiveRun = { runId: run.id, marker: `omicsd-${run.id}-${randomBytes(6).toString('hex')}`, stopped: false };
    this.active.set(run.id, a);
    a.done = this.execute(run, a)
      .catch((err) => {
        this.opts.log.error({ err, runId: run.id }, 'local run failed unexpectedly');
        this.report(a, 'FAILED', 'INTERNAL_ERROR', `omicsd could not run this workflow: ${(err as Error).message}`);
      })
      .finally(() => this.active.delete(run.id));
  }

  /** Resolves once the run's engine has ended and everything about it was reported (for tests). */
  async settled(runId: string): Promise<void> {
    const a = this.active.get(runId);
    await a?.done;
    await a?.killing;
  }

  private report(a: ActiveRun, status: RunStatus, failureReason?: string, statusMessage?: string) {
    if (a.stopped) return;
    this.opts.reporter.transition({ runId: a.runId, status, at: Date.now(), failureReason, statusMessage });
  }

  private async execute(run: RunRecord, a: ActiveRun): Promise<void> {
    const { workflows, objects, dataDir } = this.opts;
    const dir = path.resolve(runDir(dataDir, run.id));
    const logFile = runLogPath(dataDir, run.id);
    // A folder left by an earlier service with the same data dir cannot belong to this run.
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    const fail = async (code: string, message: string) => {
      await fsp.appendFile(logFile, `omicsd: ${code}: ${message}\n`).catch(() => {});
      this.report(a, 'FAILED', code, tail(message, 1000));
    };

    const wf = await workflows.get(run.workflowId);
    if (!wf) return fail('WORKFLOW_NOT_FOUND', `Workflow ${run.workflowId} no longer exists`);
    const family = languageOf(wf.doc.engine, wf.doc.main);
    if (!family) return fail('UNKNOWN_ENGINE', `Workflow ${run.workflowId} names no engine the local executor can run (${wf.doc.engine ?? 'none'})`);
    const lookup = lookupEngine(family, this.opts.engines);
    if (!lookup.found) return fail('ENGINE_NOT_FOUND', lookup.message);
    const adapter = lookup.adapter;
    const zip = await workflows.getDefinition(run.workflowId);
    if (!zip) return fail('WORKFLOW_NOT_FOUND', `Workflow ${run.workflowId} has no stored definition`);

    const outDir = adapter.outDirFor?.(dir) ?? path.join(dir, 'out');
    const tmpDir = path.join(dir, 'tmp');
    await fsp.mkdir(tmpDir, { recursive: true });
    await fsp.mkdir(adapter.outDirFor ? path.dirname(outDir) : outDir, { recursive: true });
    const stager = new Stager(objects, path.join(dir, 'inputs'));
    let prepared: { args: string[]; env?: Record<string, string> };
    let ctx: RunContext;
    try {
      const mainPath = await unpackDefinition(zip, path.join(dir, 'definition'), wf.doc.main);
      ctx = {
        run, runDir: dir, definitionDir: path.join(dir, 'definition'), mainPath, outDir, tmpDir,
        inputsPath: path.join(dir, 'inputs.json'), containers: await this.containers,
        stageFile: (uri) => stager.stageFile(uri), stageDirectory: (uri) => stager.stageDirectory(uri),
      };
      const p = run.parameters;
      const params = p && typeof p === 'object' && !Array.isArray(p) ? { ...(p as Record<string, unknown>) } : {};
      delete params[SIMULATE_KEY];
      prepared = await adapter.prepare(ctx, params);
    } catch (err) {
      if (err instanceof PrepareError) return fail(err.code, err.message);
      throw err;
    }
    if (a.stopped || this.closing) return;

    const outcome = await this.runEngine(a, adapter, ctx, prepared, logFile);
    if (a.stopped || this.closing || !outcome) return;

    this.report(a, 'STOPPING');
    const { code, signal, stderr, stdout } = outcome;
    if (code === 0) {
      try {
        await exportOutputs(objects, outDir, run.runOutputUri, () => a.stopped);
        if (a.stopped) return;
        await exportLog(objects, logFile, run.runOutputUri);
      } catch (err) {
        return fail('OUTPUT_EXPORT_FAILED', `Could not write the outputs under ${run.runOutputUri}: ${(err as Error).message}`);
      }
      this.report(a, 'COMPLETED');
      return;
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const summary = adapter.errorSummary(stderr, stdout).trim();
    await exportLog(objects, logFile, run.runOutputUri).catch((err) => {
      this.opts.log.warn({ err, runId: run.id }, 'could not export the engine log');
    });
    const head = `${adapter.id} ${how}`;
    // The engine's last words matter most: keep the head line and the end of the summary.
    this.report(a, 'FAILED', 'ENGINE_FAILED', summary ? `${head}:\n${tail(summary, 1000 - head.length - 2)}` : head);
  }

  /** Spawns the engine and waits for it; undefined when it could not start (already reported). */
  private async runEngine(
    a: ActiveRun, adapter: EngineAdapter, ctx: RunContext, prepared: { args: string[]; env?: Record<string, string> }, logFile: string,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string[]; stdout: string[] } | undefined> {
    const argv = [...adapter.argv, ...prepared.args];
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    log.write(`omicsd: ${new Date().toISOString()} run ${a.runId}: ${argv.map((w) => (/[\s'"]/.test(w) ? JSON.stringify(w) : w)).join(' ')}\n`);
    const closeLog = () => new Promise<void>((resolve) => log.end(resolve));

    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), {
        cwd: ctx.runDir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TMPDIR: ctx.tmpDir, [MARKER_ENV]: a.marker, ...prepared.env },
      });
    } catch (err) {
      await closeLog();
      this.report(a, 'FAILED', 'ENGINE_START_FAILED', `Could not start ${adapter.id} (${argv[0]}): ${(err as Error).message}`);
      return undefined;
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolve) => {
      child.once('error', (err) => resolve(err));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const stderr: string[] = [];
    const stdout: string[] = [];
    let tracker: TaskTracker | undefined;
    if (child.pid) {
      a.pid = child.pid;
      const record: PidFile = { pid: child.pid, startTicks: processInfo(child.pid)?.startTicks, marker: a.marker, engine: adapter.id, command: argv };
      fs.writeFileSync(pidFilePath(this.opts.dataDir, a.runId), JSON.stringify(record));
      if (a.stopped) this.kill(a);
      this.report(a, 'RUNNING');
      tracker = adapter.tasks(ctx, (u) => {
        if (!a.stopped && !this.closing) this.opts.reporter.task({ ...u, runId: a.runId });
      });
    }
    const ended = [child.stdout!, child.stderr!].map((s) => new Promise<void>((resolve) => {
      s.on('end', resolve);
      s.on('close', resolve);
      s.on('error', () => resolve());
    }));
    // Whole lines into the log, so that stdout and stderr interleave by line, not mid-line.
    const take = (keep: string[], max: number) => (line: string) => {
      log.write(`${line}\n`);
      const plain = stripAnsi(line).slice(0, 8192);
      pushBounded(keep, plain, max);
      tracker?.line(plain);
    };
    onLines(child.stdout!, take(stdout, 200));
    onLines(child.stderr!, take(stderr, 600));

    const result = await exited;
    // A process the engine left behind may hold its stdout open: wait for the pipes a little only.
    await Promise.race([Promise.all(ended), new Promise((r) => setTimeout(r, 2000))]);
    child.stdout!.destroy();
    child.stderr!.destroy();
    if (result instanceof Error) {
      log.write(`omicsd: could not start the engine: ${result.message}\n`);
      await closeLog();
      this.report(a, 'FAILED', 'ENGINE_START_FAILED', `Could not start ${adapter.id} (${argv[0]}): ${result.message}`);
      return undefined;
    }
    // Nothing of an engine outlives it: stop whatever it left running.
    if (!a.stopped && a.pid && engineAlive(a.pid, a.marker)) {
      log.write('omicsd: stopping processes the engine left behind\n');
      await terminateEngine(a.pid, a.marker, 1000);
    }
    if (a.killing) await a.killing;
    fs.rmSync(pidFilePath(this.opts.dataDir, a.runId), { force: true });
    log.write(`omicsd: ${new Date().toISOString()} ${adapter.id} ${result.signal ? `killed by ${result.signal}` : `exited with code ${result.code}`}${a.stopped ? ' (run cancelled)' : ''}\n`);
    await closeLog();
    if (!a.stopped && !this.closing) tracker?.finish(result.code === 0 && !result.signal);
    return { ...result, stderr, stdout };
  }

  private kill(a: ActiveRun) {
    if (!a.pid || a.killing) return;
    a.killing = terminateEngine(a.pid, a.marker, this.graceMs).catch((err) => {
      this.opts.log.error({ err, runId: a.runId }, 'could not stop the engine');
    });
  }

  /** The run is already CANCELLED (or otherwise ended) in the store: stop its engine, report nothing more. */
  cancel(runId: string) {
    const a = this.active.get(runId);
    if (!a) return;
    a.stopped = true;
    this.kill(a);
  }

  recover(runs: RunRecord[]) {
    for (const run of runs) {
      if (this.active.has(run.id)) continue;
      const pidFile = pidFilePath(this.opts.dataDir, run.id);
      let rec: PidFile | undefined;
      try {
        rec = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as PidFile;
      } catch {
        rec = undefined;
      }
      let leftover = '';
      if (rec && typeof rec.pid === 'number' && typeof rec.marker === 'string') {
        const now = processInfo(rec.pid);
        // A live pid with another start time was reused by an unrelated process: find ours by marker only.
        const same = !now || rec.startTicks === undefined || now.startTicks === rec.startTicks;
        const root = same ? rec.pid : undefined;
        if (engineAlive(root, rec.marker)) {
          leftover = ` What was left of it (process group ${rec.pid}) was stopped.`;
          const p = terminateEngine(root, rec.marker, this.graceMs)
            .catch((err) => this.opts.log.error({ err, runId: run.id }, 'could not stop a leftover engine'))
            .finally(() => {
              fs.rmSync(pidFile, { force: true });
              this.background.delete(p);
            });
          this.background.add(p);
        } else {
          fs.rmSync(pidFile, { force: true });
        }
      }
      const engine = rec?.engine ? `its engine (${rec.engine}, pid ${rec.pid})` : 'its engine';
      const message = `omicsd stopped while this run was ${run.status}; ${engine} cannot be re-attached after a restart, so the run cannot finish.${leftover} Start the run again.`;
      fs.appendFile(runLogPath(this.opts.dataDir, run.id), `omicsd: SERVICE_RESTARTED: ${message}\n`, () => {});
      this.opts.reporter.transition({ runId: run.id, status: 'FAILED', at: Date.now(), failureReason: 'SERVICE_RESTARTED', statusMessage: message });
    }
  }

  /** Stops every engine; their runs stay active in the store and `recover` fails them at the next start. */
  async close() {
    this.closing = true;
    const runs = [...this.active.values()];
    for (const a of runs) {
      a.stopped = true;
      this.kill(a);
    }
    await Promise.all(runs.map((a) => Promise.all([a.done, a.killing])));
    await Promise.all([...this.background]);
  }
}
