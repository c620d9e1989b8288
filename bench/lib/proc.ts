import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Every child the harness starts, so that an error or Ctrl-C can still stop them all. */
const live = new Set<ChildProcess>();

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** The last 20 kB of stderr, for error messages. */
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM; SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): Child {
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
  const child: Child = {
    proc, pid: proc.pid, stderr: () => err, exited,
    async stop(graceMs = 30_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return child;
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

/** Kills whatever is still running (the error path); SIGKILL after 10 s. */
export async function stopAll() {
  const all = [...live];
  await Promise.all(all.map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 10_000).unref();
  })));
}
