import fs from 'node:fs';
import path from 'node:path';
import type { RunRecord, TaskUpdate } from '../../domain/model.js';
import type { WorkflowLanguage } from '../../domain/workflows/languages.js';

/** What an adapter is given to run one workflow run. */
export interface RunContext {
  run: RunRecord;
  /** `<dataDir>/runs/<runId>`: the run folder (read-only to a sandboxed engine but for outDir and tmpDir). */
  runDir: string;
  /** The unpacked definition zip. */
  definitionDir: string;
  /** Absolute path of the workflow's main file inside definitionDir. */
  mainPath: string;
  /** Every file the engine leaves here is exported to `<runOutputUri>/out/`. */
  outDir: string;
  /** The engine's working directory, HOME and TMPDIR: temporary and intermediate files. */
  tmpDir: string;
  /** Where the inputs file goes. */
  inputsPath: string;
  /** Whether a container runtime (docker) answers; when false, CWL runs tools on the host. */
  containers: boolean;
  /** The engine's call-cache folder, when the run uses a run cache (docs/run-caches.md). */
  cacheDir?: string;
  /** Where the cache keeps the engine's entries in the object store (`s3://…/<engine>/`): tasks' cacheS3Uri. */
  cacheS3Prefix?: string;
  /** Copies `s3://bucket/key` into the run dir and returns the local path. */
  stageFile(uri: string): Promise<string>;
  /** Copies every object under `s3://bucket/prefix/` into a folder of the run dir and returns it. */
  stageDirectory(uri: string): Promise<string>;
}

/** A task change as an adapter sees it; the executor adds the run id. */
export type TaskSink = (update: Omit<TaskUpdate, 'runId'>) => void;

/** Turns the engine's output lines into task updates. */
export interface TaskTracker {
  line(line: string): void;
  /** The engine exited (`success` = exit code 0): settle the tasks still open. */
  finish(success: boolean): void;
}

/** One workflow engine, as the local executor drives it. */
export interface EngineAdapter {
  /** The engine's usual name, e.g. `cwltool`. */
  readonly id: string;
  readonly family: WorkflowLanguage;
  /** The command as configured or found: executable (absolute) and leading arguments. */
  readonly argv: string[];
  /** The engine caches task results in `RunContext.cacheDir` (docs/run-caches.md). */
  readonly callCache?: boolean;
  /**
   * Writes the engine's inputs file from the run's parameters (s3:// values staged) and returns the
   * arguments that follow `argv`.
   */
  prepare(ctx: RunContext, params: Record<string, unknown>): Promise<{ args: string[]; env?: Record<string, string> }>;
  tasks(ctx: RunContext, sink: TaskSink): TaskTracker;
  /**
   * For an engine that creates its output folder itself: where it will be. The executor then makes
   * only its parent. Default: `<runDir>/out`, made beforehand.
   */
  outDirFor?(runDir: string): string;
  /** The engine's own account of why it failed, from its last output lines (plain text, any length). */
  errorSummary(stderr: string[], stdout: string[]): string;
}

/** Splits a configured command into words; single and double quotes group words. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const ch of cmd.trim()) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
    }
  }
  if (cur || any) out.push(cur);
  return out;
}

const isExecutable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** The absolute path of `name` as the shell would find it on PATH, or undefined. */
export function which(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? path.resolve(name) : undefined;
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Resolves a configured or default command: its argv with the executable made absolute, or undefined. */
export function resolveCommand(cmd: string): string[] | undefined {
  const words = splitCommand(cmd);
  if (!words.length) return undefined;
  const exe = which(words[0]);
  return exe ? [exe, ...words.slice(1)] : undefined;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
export const stripAnsi = (s: string) => s.replace(ANSI, '');

/** GiB for the task API (≥ 1) from MiB. */
export const gibFromMib = (mib: number) => Math.max(1, Math.ceil(mib / 1024));
/** CPUs for the task API (≥ 1). */
export const wholeCpus = (n: number) => Math.max(1, Math.ceil(n));

/** The last `max` characters of text, cut at a line start where possible, marked when cut. */
export function tail(text: string, max = 1000): string {
  const t = text.trim();
  if (t.length <= max) return t;
  let cut = t.slice(t.length - (max - 2));
  const nl = cut.indexOf('\n');
  if (nl > 0 && nl < cut.length / 3) cut = cut.slice(nl + 1);
  return `… ${cut}`;
}

/** Lines that every engine prints but that never explain a failure. */
export const NOISE = [
  /^You are using cwltool version .* used by Toil/,
  /^ANTLR runtime and generated code versions disagree/,
];
export const isNoise = (line: string) => !line.trim() || NOISE.some((re) => re.test(line));
