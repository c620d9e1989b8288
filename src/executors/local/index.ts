import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { RunRecord, RunStatus, WorkflowEngine } from '../../domain/model.js';
import { SIMULATE_KEY } from '../../domain/runs/parameters.js';
import { languageOf, WORKFLOW_LANGUAGES, type WorkflowLanguage } from '../../domain/workflows/languages.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import type { RunCacheTable, RunTable, WorkflowTable, WorkflowVersionTable } from '../../store/store.js';
import { closeCallCache, openCallCache, readCallCache, type CallCacheSession } from './call-cache.js';
import type { Executor, RunReporter } from '../executor.js';
import { stripAnsi, tail, which, type EngineAdapter, type RunContext, type TaskTracker } from './engine.js';
import { readCwl, type Resources } from './cwl-doc.js';
import { LocalHost, type EngineHost, type LaunchRefusal } from './engine-host.js';
import { readOutcome, readRecord, watchEngine, writeRecord, type EngineFiles, type EngineOutcome, type EngineRecord } from './engine-process.js';
import { brokenMessage, probeEngine, reportEngine, reportLine } from './engine-probe.js';
import { lookupEngine, type EngineCommands } from './engines.js';
import { exportLog, exportOutputs } from './export.js';
import { engineFiles, runDir, runLogPath } from './paths.js';
import { MARKER_ENV } from './process-tree.js';
import { defaultMemoryLimit, findBwrap, prepareSandbox, probeSandbox, sandboxArgv, sandboxEnv, unavailableMessage, UNSAFE_WARNING, type SandboxLayout } from './sandbox.js';
import { PrepareError, Stager, unpackDefinition } from './staging.js';

export { runLogPath } from './paths.js';

/** What the local executor is given by the service. */
export interface LocalExecutorOptions {
  reporter: RunReporter;
  /** Where a run's workflow and its definition are read. */
  workflows: Pick<WorkflowTable, 'get' | 'getDefinition'>;
  /** Where a run of a workflow version reads that version and its definition. */
  versions: Pick<WorkflowVersionTable, 'byId' | 'getDefinition'>;
  /** The run caches runs name (docs/run-caches.md). */
  caches: Pick<RunCacheTable, 'get'>;
  /** What the run's log says when a run is picked up again (default: omicsd restarted). */
  resumedBecause?: string;
  /** Which runs are still active, on any instance: their engines are never stopped as orphans. */
  runs: Pick<RunTable, 'activeAmong'>;
  objects: ObjectStore;
  /** Per-run work and log folders live under `<dataDir>/runs/<runId>/`. */
  dataDir: string;
  /** Engine commands; undefined = look for the default on PATH. */
  engines: EngineCommands;
  log: Logger;
  /**
   * Whether CWL tools may run in containers: undefined = when `docker info` answers; false = always
   * `--no-container` (tools run on the host). Only without the sandbox: a sandboxed engine cannot
   * reach docker (its socket is root on the host), so it always runs tools with `--no-container`.
   */
  containers?: boolean;
  /**
   * `--unsafe-run-tools-unsandboxed`: run engines and their tools without the bubblewrap sandbox
   * (sandbox.ts), as omicsd's own user. Warned at start and in every run's engine.log.
   */
  unsafeRunToolsUnsandboxed?: boolean;
  /** The bubblewrap command (default: `bwrap` on PATH). */
  bwrap?: string;
  /** Address-space limit of each sandboxed process in bytes (default: 3/4 of the machine's memory). */
  sandboxMemoryBytes?: number;
  /**
   * Host folders a sandboxed engine may read besides its run folder, bound read-only at their own
   * paths: the `--local-input-root` folders, when runs may name local-path inputs.
   */
  sandboxReadOnly?: string[];
  /** How long an engine has after SIGTERM to stop before it is killed (ms; default 5000). */
  killGraceMs?: number;
  /** Where engines run (default: this machine, LocalHost). */
  host?: EngineHost;
}

/**
 * failureReason codes (≤ 64 characters) of local runs; statusMessage carries the details.
 *   ENGINE_NOT_FOUND       the workflow's engine is not installed (statusMessage: which, and how to install it)
 *   ENGINE_BROKEN          the engine is installed but its probe fails (engine-probe.ts; statusMessage: its error, and the fix)
 *   UNKNOWN_ENGINE         the workflow names no engine omicsd knows
 *   WORKFLOW_NOT_FOUND     the run's workflow or its definition is gone
 *   INVALID_DEFINITION     the definition zip cannot be unpacked or lacks its main file
 *   INVALID_INPUT          a parameter holds an s3:// URI that is not valid
 *   INPUT_NOT_READABLE     an s3:// input could not be read from the object store
 *   ENGINE_START_FAILED    the engine command could not be started
 *   ENGINE_FAILED          the engine exited non-zero (statusMessage: its last error lines)
 *   ENGINE_LOST            the engine ended without an exit status while omicsd was away (e.g. the machine restarted)
 *   OUTPUT_EXPORT_FAILED   the outputs could not be written under runOutputUri
 *   SANDBOX_UNAVAILABLE    bwrap (bubblewrap) is missing or does not work, and tools may not run unsandboxed (sandbox.ts)
 *   EXECUTOR_CHANGED       after a restart with another --executor (local ↔ slurm), a run the other one started
 *   CACHE_NOT_READABLE     the run's run cache could not be read from the object store
 *   INTERNAL_ERROR         anything else (see omicsd's log)
 */
export const FAILURE_REASONS = [
  'ENGINE_NOT_FOUND', 'ENGINE_BROKEN', 'UNKNOWN_ENGINE', 'WORKFLOW_NOT_FOUND', 'INVALID_DEFINITION', 'INVALID_INPUT', 'INPUT_NOT_READABLE',
  'ENGINE_START_FAILED', 'ENGINE_FAILED', 'ENGINE_LOST', 'OUTPUT_EXPORT_FAILED', 'SANDBOX_UNAVAILABLE', 'EXECUTOR_CHANGED', 'CACHE_NOT_READABLE', 'INTERNAL_ERROR',
] as const;

export function createLocalExecutor(opts: LocalExecutorOptions): Executor {
  return new EngineExecutor(opts);
}

interface ActiveRun {
  runId: string;
  /** Cancelled: stop the work, report nothing more. */
  stopped: boolean;
  /** RUNNING was reported (or the run was RUNNING already when it was re-attached). */
  running?: boolean;
  record?: EngineRecord;
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

const pushBounded = (list: string[], line: string, max: number) => {
  list.push(line);
  if (list.length > max) list.splice(0, list.length - max);
};

/**
 * Runs workflows through their real engines (see engines.ts for which engine runs what), on this
 * machine or as Slurm jobs (engine-host.ts). Each run gets `<dataDir>/runs/<runId>/`; its engine runs
 * there detached from omicsd (engine-process.ts), and its outputs go to `<runOutputUri>/out/`. A run
 * is reported COMPLETED only when its engine exited 0 and every output was exported. omicsd stopping
 * or crashing leaves engines running; `recover` re-attaches to them at the next start (docs/runs.md,
 * "Restarts"). Every engine runs in a bubblewrap sandbox (sandbox.ts; docs/runs.md, "Sandbox")
 * unless the operator started omicsd with --unsafe-run-tools-unsandboxed.
 */
export class EngineExecutor implements Executor {
  readonly name: string;
  private active = new Map<string, ActiveRun>();
  private host: EngineHost;
  private closing = false;
  private containers: Promise<boolean>;
  private graceMs: number;
  private unsafe: boolean;

  constructor(private opts: LocalExecutorOptions) {
    this.host = opts.host ?? new LocalHost();
    this.name = this.host.name;
    this.graceMs = opts.killGraceMs ?? 5000;
    this.unsafe = opts.unsafeRunToolsUnsandboxed === true;
    this.containers = !this.unsafe ? Promise.resolve(false) : opts.containers !== undefined ? Promise.resolve(opts.containers) : dockerAvailable();
    this.logSandbox();
    this.logEngines();
  }

  /** Says at every start how tools run: loudly when unsandboxed, as an error when the sandbox cannot be used. */
  private logSandbox() {
    const { log } = this.opts;
    if (this.unsafe) {
      log.warn(UNSAFE_WARNING);
      return;
    }
    const command = this.opts.bwrap ?? 'bwrap';
    const bwrap = findBwrap(command);
    if (!bwrap) {
      log.error(`${unavailableMessage(command)}; until then every local run fails with SANDBOX_UNAVAILABLE`);
      return;
    }
    void probeSandbox(bwrap).then((r) => {
      if (r.ok) log.info({ bwrap }, `workflow tools run sandboxed (${bwrap}, uid 65534, no network, only their run folder)`);
      else log.error({ bwrap, error: r.error }, `the bubblewrap sandbox does not work here: every local run fails with SANDBOX_UNAVAILABLE: ${r.error}`);
    });
  }

  /** The bwrap to run an engine under, 'unsafe' when tools run unsandboxed, or why the sandbox cannot be used. */
  private async sandbox(): Promise<{ bwrap: string } | 'unsafe' | { code: string; message: string }> {
    if (this.unsafe) return 'unsafe';
    const command = this.opts.bwrap ?? 'bwrap';
    const bwrap = findBwrap(command);
    if (!bwrap) return { code: 'SANDBOX_UNAVAILABLE', message: unavailableMessage(command) };
    const probe = await probeSandbox(bwrap);
    if (!probe.ok) {
      return { code: 'SANDBOX_UNAVAILABLE', message: `The bubblewrap sandbox does not work on this machine (${probe.error}): allow it namespaces (e.g. run omicsd's container with CAP_SYS_ADMIN or unprivileged user namespaces), or start omicsd with --unsafe-run-tools-unsandboxed` };
    }
    return { bwrap };
  }

  /**
   * Says at start which engines runs will use: missing ones at once (with how to get them), found
   * ones once their probe (engine-probe.ts, started here in the background) has told whether they
   * work — with their version, or as BROKEN with the error and the fix.
   */
  private logEngines() {
    const { log, engines } = this.opts;
    const found: WorkflowLanguage[] = [];
    const missing: WorkflowLanguage[] = [];
    for (const family of WORKFLOW_LANGUAGES) {
      const hit = lookupEngine(family, engines);
      if (hit.found) found.push(family);
      else {
        missing.push(family);
        log.warn(hit.message);
      }
    }
    void Promise.all(found.map((family) => reportEngine(family, engines))).then((reports) => {
      const working = reports.filter((r) => r.status === 'ok');
      const broken = reports.filter((r) => r.status === 'broken');
      log.info(
        { found: Object.fromEntries(working.map((r) => [r.language, `${r.engine} ${r.version} (${r.command})`])), broken: broken.map((r) => r.language), missing },
        `local executor engines: ${working.map((r) => `${r.language} → ${r.engine} ${r.version} (${r.command})`).join(', ') || 'none working'}`,
      );
      for (const r of broken) log.error({ language: r.language, engine: r.engine, error: r.error, fix: r.fix }, `${reportLine(r).replace(/\s+/g, ' ')}`);
    });
    if (this.unsafe) void this.containers.then((c) => log.info(c ? 'docker answers: CWL tools with a DockerRequirement run in containers' : 'no docker: CWL tools run on the host (--no-container)'));
  }

  start(run: RunRecord) {
    this.track(run, (a) => this.execute(run, a));
  }

  async engineVersion(engine: string | undefined, main: string | undefined) {
    const family = languageOf(engine as WorkflowEngine | undefined, main);
    if (!family) return undefined;
    // The probe's answer is cached: asking costs nothing after the first run of the engine.
    const r = await reportEngine(family, this.opts.engines);
    return r.status === 'ok' ? `${r.engine} ${r.version}` : undefined;
  }

  /** Runs `work` for the run unless it is already tracked; a failure of omicsd itself fails the run. */
  private track(run: RunRecord, work: (a: ActiveRun) => Promise<void>) {
    if (this.active.has(run.id) || this.closing) return;
    const a: ActiveRun = { runId: run.id, stopped: false };
    this.active.set(run.id, a);
    a.done = work(a)
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
    if (a.stopped || this.closing) return;
    this.opts.reporter.transition({ runId: a.runId, status, at: Date.now(), failureReason, statusMessage });
  }

  private files(runId: string): EngineFiles {
    return engineFiles(this.opts.dataDir, runId);
  }

  private async fail(a: ActiveRun, code: string, message: string) {
    await fsp.appendFile(this.files(a.runId).log, `omicsd: ${code}: ${message}\n`).catch(() => {});
    this.report(a, 'FAILED', code, tail(message, 1000));
  }

  /** The engine adapter for a run's workflow (its version's definition when it names one), or the failure to report. */
  private async adapterFor(run: RunRecord): Promise<{ adapter: EngineAdapter; zip: Buffer; main?: string } | { code: string; message: string }> {
    const wf = await this.opts.workflows.get(run.workflowId, null);
    if (!wf) return { code: 'WORKFLOW_NOT_FOUND', message: `Workflow ${run.workflowId} no longer exists` };
    const versionId = run.extra.workflowVersionId;
    const version = versionId ? await this.opts.versions.byId(versionId) : undefined;
    if (versionId && !version) return { code: 'WORKFLOW_NOT_FOUND', message: `Workflow version ${run.extra.workflowVersionName} of workflow ${run.workflowId} no longer exists` };
    const doc = version?.doc ?? wf.doc;
    const family = languageOf(doc.engine, doc.main);
    if (!family) return { code: 'UNKNOWN_ENGINE', message: `Workflow ${run.workflowId} names no engine the local executor can run (${doc.engine ?? 'none'})` };
    const lookup = lookupEngine(family, this.opts.engines);
    if (!lookup.found) return { code: 'ENGINE_NOT_FOUND', message: lookup.message };
    const zip = version ? await this.opts.versions.getDefinition(version.id) : await this.opts.workflows.getDefinition(run.workflowId);
    if (!zip) return { code: 'WORKFLOW_NOT_FOUND', message: `Workflow ${run.workflowId} has no stored definition` };
    return { adapter: lookup.adapter, zip, main: doc.main };
  }

  /**
   * The run's cache session when it names a run cache and its engine caches calls (docs/run-caches.md);
   * otherwise undefined, said in the engine log when a cache was named.
   */
  private async callCache(run: RunRecord, adapter: EngineAdapter): Promise<CallCacheSession | undefined> {
    if (!run.extra.cacheId) return undefined;
    const log = this.files(run.id).log;
    const cache = await this.opts.caches.get(run.extra.cacheId, null);
    if (!cache) {
      await fsp.appendFile(log, `omicsd: run cache ${run.extra.cacheId} no longer exists: every task runs\n`);
      return undefined;
    }
    if (!adapter.callCache) {
      await fsp.appendFile(log, `omicsd: run cache ${cache.id}: ${adapter.id} has no call cache omicsd can drive (docs/run-caches.md): every task runs\n`);
      return undefined;
    }
    const session = await openCallCache(this.opts.objects, this.opts.dataDir, runDir(this.opts.dataDir, run.id),
      { id: cache.id, behavior: (run.extra.cacheBehavior ?? cache.doc.cacheBehavior) as CallCacheSession['behavior'], cacheS3Uri: cache.doc.cacheS3Uri }, adapter.id);
    await fsp.appendFile(log, `omicsd: run cache ${cache.id} (${session.behavior}): ${session.before.length} cached entries, kept under ${session.s3Prefix}\n`);
    return session;
  }

  /** The context an adapter sees, for a run whose folder is laid out already. */
  private async context(run: RunRecord, mainPath: string, outDir: string, stager: Stager, cache?: CallCacheSession): Promise<RunContext> {
    const dir = path.resolve(runDir(this.opts.dataDir, run.id));
    return {
      run, runDir: dir, definitionDir: path.join(dir, 'definition'), mainPath, outDir, tmpDir: path.join(dir, 'tmp'),
      inputsPath: path.join(dir, 'inputs.json'), containers: await this.containers,
      cacheDir: cache?.engineDir, cacheS3Prefix: cache?.s3Prefix,
      stageFile: (uri) => stager.stageFile(uri), stageDirectory: (uri) => stager.stageDirectory(uri),
    };
  }

  private async execute(run: RunRecord, a: ActiveRun): Promise<void> {
    const { objects, dataDir } = this.opts;
    const dir = path.resolve(runDir(dataDir, run.id));
    // A folder left by an earlier service with the same data dir cannot belong to this run.
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    const found = await this.adapterFor(run);
    if ('code' in found) return this.fail(a, found.code, found.message);
    const { adapter } = found;
    // No sandbox, no run (unless the operator said so): before anything is probed or staged.
    const sandbox = await this.sandbox();
    if (typeof sandbox === 'object' && 'code' in sandbox) return this.fail(a, sandbox.code, sandbox.message);
    if (sandbox === 'unsafe') await fsp.appendFile(this.files(run.id).log, `omicsd: ${UNSAFE_WARNING}\n`);
    // Found is not working: the engine's probe (waited for while it runs; a failure re-probed at most once a minute).
    const probe = await probeEngine(adapter);
    if (a.stopped || this.closing) return;
    if (!probe.ok) return this.fail(a, 'ENGINE_BROKEN', brokenMessage(adapter, probe));

    const outDir = adapter.outDirFor?.(dir) ?? path.join(dir, 'out');
    await fsp.mkdir(path.join(dir, 'tmp'), { recursive: true });
    await fsp.mkdir(adapter.outDirFor ? path.dirname(outDir) : outDir, { recursive: true });
    let cache: CallCacheSession | undefined;
    try {
      cache = await this.callCache(run, adapter);
    } catch (err) {
      return this.fail(a, 'CACHE_NOT_READABLE', `Could not read run cache ${run.extra.cacheId}: ${(err as Error).message}`);
    }
    const stager = new Stager(objects, cache?.inputsDir ?? path.join(dir, 'inputs'), cache !== undefined);
    let prepared: { args: string[]; env?: Record<string, string> };
    let ctx: RunContext;
    try {
      const mainPath = await unpackDefinition(found.zip, path.join(dir, 'definition'), found.main);
      ctx = await this.context(run, mainPath, outDir, stager, cache);
      const p = run.parameters;
      const params = p && typeof p === 'object' && !Array.isArray(p) ? { ...(p as Record<string, unknown>) } : {};
      delete params[SIMULATE_KEY];
      prepared = await adapter.prepare(ctx, params);
    } catch (err) {
      if (err instanceof PrepareError) return this.fail(a, err.code, err.message);
      throw err;
    }
    if (a.stopped || this.closing) return;

    const files = this.files(run.id);
    const access = this.host.access?.(adapter.id, run.id);
    let argv = [...adapter.argv, ...(access?.args ?? []), ...prepared.args];
    const env = { ...prepared.env, ...access?.env };
    const marker = `omicsd-${run.id}-${randomBytes(6).toString('hex')}`;
    if (sandbox !== 'unsafe') {
      const layout: SandboxLayout = {
        runDir: dir, workDir: ctx.tmpDir, executable: adapter.argv[0], memoryBytes: this.opts.sandboxMemoryBytes ?? defaultMemoryLimit(),
        readOnly: [...(this.opts.sandboxReadOnly ?? []), ...(access?.readOnly ?? []), ...(cache ? [cache.inputsDir] : [])].map((p) => path.resolve(p)),
        shareNetwork: access?.shareNetwork, users: access?.users,
        writable: [...new Set([ctx.tmpDir, adapter.outDirFor ? path.dirname(outDir) : outDir, ...(cache ? [cache.engineDir] : [])])],
      };
      await prepareSandbox(layout);
      argv = sandboxArgv(sandbox.bwrap, layout, argv, sandboxEnv(process.env, { ...env, [MARKER_ENV]: marker }));
    }
    const launched = new Date().toISOString();
    fs.appendFileSync(files.log, `omicsd: ${launched} run ${run.id}: ${argv.map((w) => (/[\s'"]/.test(w) ? JSON.stringify(w) : w)).join(' ')}\n`);
    let record: EngineRecord | LaunchRefusal | undefined;
    try {
      record = await this.host.launch({
        run, files, record: { marker, engine: adapter.id, command: argv, mainPath: ctx.mainPath, outDir, host: this.host.name },
        cwd: ctx.tmpDir, env: { TMPDIR: ctx.tmpDir, ...env }, resources: () => peakResources(adapter, ctx),
      }, () => a.stopped || this.closing);
    } catch (err) {
      return this.fail(a, 'ENGINE_START_FAILED', `Could not start ${adapter.id} (${argv[0]}): ${(err as Error).message}`);
    }
    if (!record) return;
    if ('code' in record) return this.fail(a, record.code, record.message);
    a.record = record;
    if (a.stopped) this.kill(a);
    await this.follow(run, a, adapter, ctx);
  }

  /** Follows a launched engine to its end, then exports and reports the outcome. */
  private async follow(run: RunRecord, a: ActiveRun, adapter: EngineAdapter, ctx: RunContext): Promise<void> {
    const files = this.files(run.id);
    const lines: string[] = [];
    const tracker: TaskTracker = adapter.tasks(ctx, (u) => {
      if (!a.stopped && !this.closing) this.opts.reporter.task({ ...u, runId: run.id });
    });
    const record = a.record!;
    const ended = async () => {
      if (!a.running && this.host.running(record)) {
        a.running = true;
        this.report(a, 'RUNNING');
      }
      return this.host.ended(record, files);
    };
    const outcome = await watchEngine(files, ended, (text) => {
      const plain = stripAnsi(text).slice(0, 8192);
      pushBounded(lines, plain, 600);
      tracker.line(plain);
    }, () => a.stopped || this.closing, { pollMs: this.host.pollMs, started: () => a.running === true });
    if (!outcome || a.stopped || this.closing) return;
    await this.finish(run, a, adapter, tracker, lines, outcome);
  }

  private async finish(run: RunRecord, a: ActiveRun, adapter: EngineAdapter, tracker: TaskTracker, lines: string[], outcome: EngineOutcome) {
    const { objects } = this.opts;
    const files = this.files(run.id);
    // Nothing of an engine outlives it: stop whatever it left running.
    if (this.host.alive(a.record!)) {
      await fsp.appendFile(files.log, 'omicsd: stopping processes the engine left behind\n');
      await this.host.stop(a.record!, a.runId, 1000);
    }
    if (outcome.kind === 'lost') {
      tracker.finish(false);
      if (outcome.code) return this.fail(a, outcome.code, outcome.message ?? outcome.code);
      return this.fail(a, 'ENGINE_LOST', `The ${adapter.id} engine of this run ended without an exit status while omicsd was not watching it `
        + '(its process was killed, or the machine restarted). Start the run again.');
    }
    const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
    await fsp.appendFile(files.log, `omicsd: ${new Date().toISOString()} ${adapter.id} ${how}\n`);
    tracker.finish(outcome.code === 0);
    await this.closeCache(run, outcome.code === 0);
    this.report(a, 'STOPPING');
    if (outcome.code === 0) {
      try {
        await exportOutputs(objects, a.record!.outDir, run.runOutputUri, () => a.stopped, path.resolve(runDir(this.opts.dataDir, run.id)));
        if (a.stopped) return;
        await exportLog(objects, files.log, run.runOutputUri);
      } catch (err) {
        return this.fail(a, 'OUTPUT_EXPORT_FAILED', `Could not write the outputs under ${run.runOutputUri}: ${(err as Error).message}`);
      }
      this.report(a, 'COMPLETED');
      return;
    }
    const summary = adapter.errorSummary(lines, []).trim();
    await exportLog(objects, files.log, run.runOutputUri).catch((err) => {
      this.opts.log.warn({ err, runId: run.id }, 'could not export the engine log');
    });
    const head = `${adapter.id} ${how}`;
    // The engine's last words matter most: keep the head line and the end of the summary.
    this.report(a, 'FAILED', 'ENGINE_FAILED', summary ? `${head}:\n${tail(summary, 1000 - head.length - 2)}` : head);
  }

  /** Keeps or drops what the run added to its run cache (call-cache.ts); a failure here costs the cache, never the run. */
  private async closeCache(run: RunRecord, succeeded: boolean) {
    const dir = runDir(this.opts.dataDir, run.id);
    const session = await readCallCache(dir);
    if (!session) return;
    const log = this.files(run.id).log;
    try {
      const kept = await closeCallCache(this.opts.objects, session, succeeded, log);
      await fsp.appendFile(log, `omicsd: run cache ${session.cacheId} (${session.behavior}): ${kept} new entries kept under ${session.s3Prefix}\n`);
    } catch (err) {
      this.opts.log.warn({ err, runId: run.id, cacheId: session.cacheId }, 'could not keep the run cache entries');
      await fsp.appendFile(log, `omicsd: run cache ${session.cacheId}: could not keep this run's entries: ${(err as Error).message}\n`).catch(() => {});
    }
  }

  /** Stops a cancelled run's engine; its record goes with it, so no later start re-attaches to it. */
  private kill(a: ActiveRun) {
    if (!a.record || a.killing) return;
    a.killing = this.host.stop(a.record, a.runId, this.graceMs)
      .then(() => fs.rmSync(this.files(a.runId).record, { force: true }))
      .catch((err) => {
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

  /** A deleted run's folder (definition, staged inputs, outputs, log) goes with it. */
  forget(runId: string) {
    if (this.active.has(runId)) return; // only finished runs can be deleted; a lingering watch ends by itself
    fsp.rm(runDir(this.opts.dataDir, runId), { recursive: true, force: true })
      .catch((err) => this.opts.log.warn({ err, runId }, 'could not remove the folder of a deleted run'));
  }

  /**
   * After a restart, for each run the store shows active: an engine still running is followed again
   * to its end; one that ended meanwhile is finished from its exit status; a run whose engine was
   * never launched is started afresh (nothing of it ran); only an engine gone without an exit status
   * fails its run (ENGINE_LOST).
   */
  recover(runs: RunRecord[]) {
    void this.stopOrphans(new Set(runs.map((r) => r.id)));
    for (const run of runs) {
      const files = this.files(run.id);
      const record = readRecord(files.record);
      const other = record && hostOf(record);
      if (other && other !== this.host.name) {
        // The record stays: started once with its own executor, omicsd stops the engine (stopOrphans).
        this.track(run, (a) => this.fail(a, 'EXECUTOR_CHANGED', `This run was started by --executor ${other}, and omicsd now runs with `
          + `--executor ${this.host.name}, which cannot follow it: the run ends here. Its engine may still be running; starting omicsd `
          + `once with --executor ${other} stops it.`));
        continue;
      }
      if (record && (record.pid || record.jobId)) {
        this.track(run, (a) => this.reattach(run, a, record, files));
        continue;
      }
      this.track(run, async (a) => {
        // A crash between writing the record and the launch: the engine may have been launched all the same.
        const adopted = record && await this.host.adopt(record, run.id);
        if (adopted) {
          writeRecord(files.record, adopted);
          return this.reattach(run, a, adopted, files);
        }
        if (a.stopped || this.closing) return;
        this.opts.log.info({ runId: run.id }, 'recovery: the run had not launched its engine; starting it');
        if (record && this.host.alive(record)) await this.host.stop(record, run.id, this.graceMs);
        await this.execute(run, a);
      });
    }
  }

  /**
   * Engines whose runs are no longer active (cancelled or deleted while omicsd was down, before their
   * engine could be stopped) are stopped now: nothing would ever read their outcome. A run another
   * instance took over (docs/scale-out.md) is still active in the store, and its engine is left alone.
   */
  private async stopOrphans(recovered: Set<string>) {
    let ids: string[];
    try {
      ids = fs.readdirSync(path.join(this.opts.dataDir, 'runs'));
    } catch {
      return;
    }
    const orphans: { id: string; files: EngineFiles; record: EngineRecord }[] = [];
    for (const id of ids) {
      if (recovered.has(id) || this.active.has(id)) continue;
      const files = this.files(id);
      const record = fs.existsSync(files.record) && !fs.existsSync(files.exit) ? readRecord(files.record) : undefined;
      // Another executor's engine is left for it to stop (EXECUTOR_CHANGED).
      if (!record || (hostOf(record) ?? this.host.name) !== this.host.name) continue;
      orphans.push({ id, files, record });
    }
    if (!orphans.length) return;
    let elsewhere: Set<string>;
    try {
      elsewhere = new Set(await this.opts.runs.activeAmong(orphans.map((o) => o.id)));
    } catch (err) {
      this.opts.log.warn({ err }, 'recovery: could not ask the store which runs are active; no engine is stopped as an orphan');
      return;
    }
    for (const { id, files, record } of orphans) {
      if (elsewhere.has(id)) continue;
      void this.host.orphan(record, id, this.graceMs).then((stopped) => {
        if (stopped) this.opts.log.info({ runId: id, engine: record.engine, pid: record.pid, jobId: record.jobId }, `recovery: stopped the engine of run ${id}, which is no longer active`);
        fs.rmSync(files.record, { force: true });
      }, (err) => {
        this.opts.log.error({ err, runId: id }, 'could not stop an orphaned engine');
      });
    }
  }

  private async reattach(run: RunRecord, a: ActiveRun, record: EngineRecord, files: EngineFiles) {
    a.record = record;
    // Cancelled while omicsd looked for the engine: stop it now (cancel found no record to stop).
    if (a.stopped) return this.kill(a);
    const found = await this.adapterFor(run);
    if ('code' in found) return this.fail(a, found.code, found.message);
    const handle = record.jobId ? `Slurm job ${record.jobId}` : `pid ${record.pid}`;
    const state = readOutcome(files.exit) ? `its engine (${record.engine}) ended while omicsd was down`
      : this.host.alive(record) ? `re-attached to ${record.engine} (${handle})` : `its engine (${record.engine}, ${handle}) is gone`;
    this.opts.log.info({ runId: run.id, engine: record.engine, pid: record.pid, jobId: record.jobId }, `recovery: run ${run.id}: ${state}`);
    await fsp.appendFile(files.log, `omicsd: ${new Date().toISOString()} ${this.opts.resumedBecause ?? 'omicsd restarted'}: ${state}\n`);
    const cache = await readCallCache(runDir(this.opts.dataDir, run.id));
    const ctx = await this.context(run, record.mainPath, record.outDir, new Stager(this.opts.objects, path.join(runDir(this.opts.dataDir, run.id), 'inputs')), cache);
    a.running = run.status !== 'STARTING';
    await this.follow(run, a, found.adapter, ctx);
  }

  /** Stops following engines and leaves them running: `recover` picks them up at the next start. */
  async close() {
    this.closing = true;
    // The host first: launches still waiting (e.g. in Slurm's submit queue) end, and gathered stops go out.
    await this.host.close();
    const runs = [...this.active.values()];
    await Promise.all(runs.map((a) => Promise.all([a.done, a.killing])));
  }
}

/** What a run needs at its peak, where omicsd can read it: the largest CWL ResourceRequirement of its steps. */
function peakResources(adapter: EngineAdapter, ctx: RunContext): Resources | undefined {
  if (adapter.family !== 'CWL') return undefined;
  try {
    return readCwl(ctx.mainPath, ctx.definitionDir).peak;
  } catch {
    return undefined;
  }
}

/** The host that launched a recorded engine: named in the record, or told by its handle in records written before. */
function hostOf(rec: EngineRecord): string | undefined {
  return rec.host ?? (rec.jobId ? 'slurm' : rec.pid ? 'local' : undefined);
}
