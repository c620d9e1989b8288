import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WORKFLOW_LANGUAGES, type WorkflowLanguage } from '../../domain/workflows/languages.js';
import { isNoise, stripAnsi, which, type EngineAdapter } from './engine.js';
import { lookupEngine, type EngineCommands } from './engines.js';

/**
 * Whether an engine that was found also works, learnt by running it: a command on PATH can still
 * fail at its first import (Debian's toil only *recommends* python3-wdlparse, so toil-wdl-runner
 * installed with --no-install-recommends is found, starts, and fails every WDL run).
 *
 * The probe of each engine is the cheapest command that fails the way a run would (measured with
 * the Debian packages of cwltool 3.1 and Toil 5.9, each about 1–2 s):
 *  - cwltool, toil-cwl-runner: `--version`, which imports the whole engine (cwltool, schema-salad,
 *    Toil's CWL runner);
 *  - toil-wdl-runner: compiling a one-line WDL 1.0 document with `--dev_mode 1` (compile, do not
 *    run). `--version` is no option of toil-wdl-runner 5.9 and `--help` succeeds without the WDL
 *    parser, which Toil imports only once it reads a document. The version comes from the `toil`
 *    next to it (`toil --version`), when there is one;
 *  - miniwdl: `--version`; nextflow: `-version` (its first launch downloads Nextflow itself).
 */

export type ProbeResult =
  | { ok: true; version: string }
  | { ok: false; error: string; fix: string };

/** How long a probe may take before its engine counts as broken. */
export const PROBE_TIMEOUT_MS = 60_000;
const NEXTFLOW_TIMEOUT_MS = 120_000;
/** A failed probe is repeated, when a run needs its engine, at most this often. */
export const REPROBE_FAILED_MS = 60_000;

type Probed = Pick<EngineAdapter, 'id' | 'family' | 'argv'>;

interface Exec {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Could not be started (ENOENT, EACCES, a missing interpreter …). */
  startError?: string;
  timedOut: boolean;
}

const MAX_OUTPUT = 64 * 1024;

/** Runs a command to its end (its whole process group is killed after `timeoutMs`). */
function exec(argv: string[], opts: { cwd?: string; timeoutMs: number }): Promise<Exec> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const done = (r: Omit<Exec, 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, stdout, stderr, timedOut });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0], argv.slice(1), {
        cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1', NXF_ANSI_LOG: 'false' },
      });
    } catch (err) {
      resolve({ code: null, signal: null, stdout, stderr, timedOut, startError: (err as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-MAX_OUTPUT)));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-MAX_OUTPUT)));
    child.on('error', (err) => done({ code: null, signal: null, startError: err.message }));
    // 'close': the exit status and every byte of output.
    child.on('close', (code, signal) => done({ code, signal }));
  });
}

const meaningful = (text: string) => stripAnsi(text).split('\n').map((l) => l.trimEnd()).filter((l) => !isNoise(l));

/** The version a `--version` style output names: its first token that looks like one. */
export function versionFrom(text: string): string | undefined {
  for (const line of meaningful(text)) {
    for (const word of line.trim().split(/\s+/)) {
      const m = /^v?(\d+(?:\.\d+)+[\w.+-]*)[,;:)]*$/.exec(word);
      if (m) return m[1];
    }
  }
  return undefined;
}

/** The Debian package an engine comes from, or how else it is installed. */
function packageOf(engine: string): { apt?: string; other?: string } {
  if (engine === 'cwltool') return { apt: 'cwltool' };
  if (engine.startsWith('toil')) return { apt: 'toil' };
  if (engine === 'miniwdl') return { other: 'pip install --force-reinstall miniwdl' };
  return { other: 'reinstall Nextflow (the nextflow launcher and a Java 17+ runtime)' };
}

/** Python modules whose absence names its package. */
const MODULE_PACKAGES: Record<string, string> = {
  wdlparse: 'apt-get install python3-wdlparse',
  antlr4: 'apt-get install python3-antlr4',
  toil: 'apt-get install --reinstall toil',
  cwltool: 'apt-get install --reinstall cwltool',
  schema_salad: 'apt-get install --reinstall python3-schema-salad',
  WDL: 'pip install --force-reinstall miniwdl',
};

/**
 * What to do about a probe's failure, when its output says (a missing Python module, a broken
 * installation, no Java for Nextflow); otherwise: check the command.
 */
export function fixFor(engine: Probed, output: string, command: string): string {
  const pkg = packageOf(engine.id);
  const reinstall = pkg.apt ? `apt-get install --reinstall ${pkg.apt}` : pkg.other!;
  const missing = /(?:ModuleNotFoundError|ImportError): No module named '?([\w.]+)/.exec(output);
  if (missing) {
    const top = missing[1].split('.')[0];
    if (MODULE_PACKAGES[top]) return MODULE_PACKAGES[top];
    if (pkg.apt) return `apt-get install python3-${top.toLowerCase().replace(/_/g, '-')} (the missing Python module ${top}), or reinstall the engine: ${reinstall}`;
    return `install the missing Python module ${top} (pip install ${top}), or reinstall the engine: ${reinstall}`;
  }
  if (/ImportError|cannot import name|DistributionNotFound|PackageNotFoundError|SyntaxError|AttributeError: module/.test(output)) {
    return `reinstall the engine: ${reinstall}`;
  }
  if (engine.family === 'NEXTFLOW' && /java|JAVA_HOME/i.test(output)) {
    return 'install a Java 17+ runtime (apt-get install openjdk-17-jre-headless) or set JAVA_HOME';
  }
  if (/bad interpreter|python3?: (command )?not found|No such file or directory/.test(output)) {
    return `the command's interpreter is missing (see the #! line of ${engine.argv[0]}): reinstall the engine (${reinstall}) or install its interpreter`;
  }
  return `check the command: run "${command}" by hand to see why it fails, or point ${FLAG[engine.family]} at a working engine`;
}

const FLAG: Record<WorkflowLanguage, string> = { CWL: '--engine-cwl', WDL: '--engine-wdl', NEXTFLOW: '--engine-nextflow' };

const quote = (argv: string[]) => argv.map((w) => (/[\s'"]/.test(w) ? JSON.stringify(w) : w)).join(' ');

/** The last meaningful lines of a failed command's stderr (stdout when stderr says nothing). */
function lastLines(x: Exec, max = 5): string {
  const err = meaningful(x.stderr).filter((l) => l.trim());
  const lines = err.length ? err : meaningful(x.stdout).filter((l) => l.trim());
  return lines.slice(-max).join('\n').slice(-800);
}

/** A one-line WDL 1.0 workflow: enough for toil-wdl-runner to load its WDL parser. */
const PROBE_WDL = 'version 1.0\n\nworkflow omicsd_probe {\n}\n';

/** Temp folders of probes in flight, removed even when the process exits first (omicsd stopped right after start). */
const liveDirs = new Set<string>();
let exitHook = false;
function probeDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omicsd-probe-'));
  liveDirs.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** Runs the engine's probe now (see the comment at the top); never rejects. */
export async function runProbe(engine: Probed, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? (engine.family === 'NEXTFLOW' ? NEXTFLOW_TIMEOUT_MS : PROBE_TIMEOUT_MS);
  let dir: string | undefined;
  try {
    let argv: string[];
    let versionOf: Promise<string | undefined> | undefined;
    if (engine.id === 'toil-wdl-runner') {
      dir = probeDir();
      fs.writeFileSync(path.join(dir, 'probe.wdl'), PROBE_WDL);
      fs.writeFileSync(path.join(dir, 'probe.json'), '{}\n');
      argv = [...engine.argv, path.join(dir, 'probe.wdl'), path.join(dir, 'probe.json'), '--dev_mode', '1', '-o', path.join(dir, 'out')];
      const toil = which(path.join(path.dirname(engine.argv[0]), 'toil'));
      versionOf = toil ? exec([toil, '--version'], { timeoutMs }).then((x) => (x.code === 0 ? versionFrom(x.stdout) : undefined)) : undefined;
    } else {
      argv = [...engine.argv, engine.family === 'NEXTFLOW' ? '-version' : '--version'];
    }
    const x = await exec(argv, { cwd: dir, timeoutMs });
    const command = quote(argv);
    if (x.startError) {
      return { ok: false, error: `could not start ${engine.argv[0]}: ${x.startError}`, fix: fixFor(engine, x.startError, command) };
    }
    if (x.timedOut) {
      return { ok: false, error: `"${command}" did not finish within ${timeoutMs / 1000} s${lastLines(x) ? `:\n${lastLines(x)}` : ''}`, fix: `check the command: run "${command}" by hand to see where it hangs` };
    }
    if (x.code !== 0) {
      const how = x.signal ? `was killed by ${x.signal}` : `exited with code ${x.code}`;
      const error = lastLines(x) || `"${command}" ${how} without a message`;
      return { ok: false, error, fix: fixFor(engine, `${x.stderr}\n${x.stdout}`, command) };
    }
    const version = (await versionOf) ?? versionFrom(x.stdout) ?? versionFrom(x.stderr) ?? 'version unknown';
    return { ok: true, version };
  } catch (err) {
    return { ok: false, error: `could not probe ${engine.id}: ${(err as Error).message}`, fix: `check the command ${quote(engine.argv)}` };
  } finally {
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    }
  }
}

interface CacheEntry {
  pending: Promise<ProbeResult>;
  result?: ProbeResult;
  /** When the result came (ms). */
  at?: number;
}

/** Probe results by engine and command, for the life of the process. */
const cache = new Map<string, CacheEntry>();

const keyOf = (engine: Probed) => `${engine.id}\0${engine.argv.join('\0')}`;

/**
 * The engine's probe result: the cached one, or the one in flight (waited for), or a new probe.
 * A failed result older than `reprobeFailedMs` is probed again (an engine installed or fixed while
 * omicsd runs is picked up); a working one is kept.
 */
export function probeEngine(engine: Probed, opts: { reprobeFailedMs?: number } = {}): Promise<ProbeResult> {
  const key = keyOf(engine);
  const hit = cache.get(key);
  const stale = hit?.result && !hit.result.ok && Date.now() - hit.at! >= (opts.reprobeFailedMs ?? REPROBE_FAILED_MS);
  if (hit && !stale) return hit.pending;
  const entry: CacheEntry = { pending: runProbe(engine) };
  entry.pending = entry.pending.then((result) => {
    entry.result = result;
    entry.at = Date.now();
    return result;
  });
  cache.set(key, entry);
  return entry.pending;
}

/** Forgets every cached result (tests). */
export function clearProbeCache() {
  cache.clear();
}

/** What a broken engine's run reports (statusMessage of ENGINE_BROKEN) and the log says. */
export function brokenMessage(engine: Probed, result: Extract<ProbeResult, { ok: false }>): string {
  return `The ${engine.family} engine ${engine.id} (${quote(engine.argv)}) is installed but does not work:\n${result.error}\nFix: ${result.fix}`;
}

/** One language's engine, as `omicsd engines` and the start-up log report it. */
export type EngineReport =
  | { language: WorkflowLanguage; status: 'ok'; engine: string; command: string; version: string }
  | { language: WorkflowLanguage; status: 'missing'; command: string; hint: string }
  | { language: WorkflowLanguage; status: 'broken'; engine: string; command: string; error: string; fix: string };

/** The engine of `language` under `commands`: missing, or found and probed. */
export async function reportEngine(language: WorkflowLanguage, commands: EngineCommands): Promise<EngineReport> {
  const hit = lookupEngine(language, commands);
  if (!hit.found) return { language, status: 'missing', command: hit.looked, hint: hit.message };
  const { adapter } = hit;
  const r = await probeEngine(adapter);
  const command = quote(adapter.argv);
  return r.ok
    ? { language, status: 'ok', engine: adapter.id, command, version: r.version }
    : { language, status: 'broken', engine: adapter.id, command, error: r.error, fix: r.fix };
}

/** Every language's engine, probed in parallel. */
export const reportEngines = (commands: EngineCommands) => Promise.all(WORKFLOW_LANGUAGES.map((l) => reportEngine(l, commands)));

/** One line of the report: `WDL  toil-wdl-runner  /usr/bin/toil-wdl-runner  ok 5.9.0` (a broken engine: its last error line). */
export function reportLine(r: EngineReport): string {
  const lang = r.language.padEnd(8);
  if (r.status === 'missing') return `${lang} ${'-'.padEnd(16)} ${r.command}  missing: ${r.hint}`;
  const head = `${lang} ${r.engine.padEnd(16)} ${r.command}`;
  if (r.status === 'ok') return `${head}  ok ${r.version}`;
  const last = r.error.split('\n').filter((l) => l.trim()).pop()?.trim() ?? r.error;
  return `${head}  BROKEN: ${last} — fix: ${r.fix}`;
}
