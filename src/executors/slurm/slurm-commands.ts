import { execFile } from 'node:child_process';
import { which } from '../local/engine.js';

/**
 * Slurm's own command-line tools, run without a shell. They find the cluster as they always do:
 * through SLURM_CONF when set (passed on from omicsd's environment), else the default slurm.conf.
 */

/** A Slurm command that failed: its exit code and what it printed on stderr. */
export class SlurmCommandError extends Error {
  constructor(readonly command: string, readonly code: number | string | null, readonly stderr: string) {
    super(`${command} failed (${code ?? 'killed'}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`);
  }

  /**
   * Whether trying again later can succeed: the controller busy or briefly away, not a refusal of
   * the job. These are the messages of Slurm's EAGAIN-like errors (slurm_errno.c).
   */
  get transient(): boolean {
    return TRANSIENT.test(this.stderr) || this.code === 'ETIMEDOUT';
  }
}

const TRANSIENT = new RegExp([
  'Socket timed out', 'Resource temporarily unavailable', 'Unable to contact slurm controller', 'temporarily unable to accept job',
  'Slurm controller not responding', 'Communication connection failure', 'Connection refused', 'Zero Bytes were transmitted',
  'MaxJobCount', 'Job violates accounting/QOS policy \\(job submit limit', 'QOSMaxSubmitJob', 'AssocMaxSubmitJobLimit',
  'Transaction in progress', 'Interrupted system call',
].join('|'), 'i');

/** How long one Slurm command may take before it counts as a (transient) timeout. */
const COMMAND_TIMEOUT_MS = 60_000;

/** The environment Slurm's tools run with: only what they need, nothing of omicsd's secrets (sbatch passes it on to the job). */
export function slurmEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && /^(PATH|LANG|LC_[A-Z_]+|TZ|HOME|USER|LOGNAME|SLURM_CONF)$/.test(k)) out[k] = v;
  }
  return out;
}

export interface SlurmTools {
  sbatch: string;
  squeue: string;
  scancel: string;
  sacct?: string;
}

/** The Slurm commands on PATH, or the name of the first one missing. */
export function findSlurmTools(): SlurmTools | string {
  const found: Partial<SlurmTools> = {};
  for (const name of ['sbatch', 'squeue', 'scancel'] as const) {
    const exe = which(name);
    if (!exe) return name;
    found[name] = exe;
  }
  return { ...(found as SlurmTools), sacct: which('sacct') };
}

/** Runs one Slurm command; resolves with its stdout, rejects with a SlurmCommandError. */
export function runSlurm(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { env: slurmEnv(), timeout: COMMAND_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      reject(new SlurmCommandError(command.split('/').pop()!, e.killed ? 'ETIMEDOUT' : e.code ?? null, stderr || e.message));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
