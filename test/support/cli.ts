// The built CLI's one-shot commands, run as a user runs them.
import { spawn } from 'node:child_process';
import { BIN } from './paths.js';

/** `omicsd s3 cp FILE URI` into the embedded object store of `dataDir`; resolves with its output (it names the ETag). */
export function s3cp(file: string, uri: string, dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 's3', 'cp', file, uri, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`s3 cp exited ${code}: ${err}`))));
  });
}

export interface CliResult {
  /** The exit code (null when a signal ended it). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `omicsd` with `args` as a user does and resolves with its exit code and output, whatever
 * the code (it rejects only when the process cannot be started). `env` is added to this process's environment.
 */
export function omicsd(args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: o.cwd, env: { ...process.env, ...o.env } });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
