// Child processes that announce a listening address on stdout: omicsd itself, and the benchmarks'
// bare node:http server. Every one started here is tracked, so stopAll() can end what an error left.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** The last 20 kB of stderr, for error messages. */
  stderr(): string;
  /** Resolves with the exit code once the process has exited (128 when a signal ended it). */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit code; SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL: the crash case. */
  kill(): Promise<number | null>;
}

export function spawnChild(cmd: string, args: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  live.add(proc);
  let err = '';
  proc.stderr?.on('data', (d) => {
    err = (err + d).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve(code ?? (signal ? 128 : null));
    });
    proc.on('error', () => {
      live.delete(proc);
      resolve(null);
    });
  });
  if (proc.pid === undefined) throw new Error(`could not start ${cmd}`);
  const done = () => proc.exitCode !== null || proc.signalCode !== null;
  return {
    proc, pid: proc.pid, stderr: () => err, exited,
    async stop(graceMs = 30_000) {
      if (done()) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (!done()) proc.kill('SIGKILL');
      return exited;
    },
  };
}

/** Waits for a line matching `re` on the child's stdout; rejects if it exits or `ms` passes first. */
export function waitForLine(child: Child, re: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${ms} ms: ${child.stderr()}`)), ms);
    child.proc.stdout!.on('data', (d) => {
      out += d;
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code}: ${child.stderr()}`));
    });
  });
}

/**
 * Starts a server process and waits for its `<what> listening on http://…` line; returns the child
 * and the URL. A process that does not get there is stopped again.
 */
export async function startListening(cmd: string, args: string[], o: { line: RegExp; ms: number; what: string; env?: NodeJS.ProcessEnv }): Promise<{ child: Child; url: string }> {
  const child = spawnChild(cmd, args, o.env ? { env: o.env } : {});
  try {
    const [, url] = await waitForLine(child, o.line, o.ms, o.what);
    return { child, url };
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
}

/** Stops whatever is still running (the error path); SIGKILL after 10 s. */
export async function stopAll() {
  await Promise.all([...live].map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 10_000).unref();
  })));
}
