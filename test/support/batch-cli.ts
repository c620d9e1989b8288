// The built CLI's client commands (`omicsd batch …`, `omicsd run …`) run as child processes, the
// way a user runs them, with an environment that owes nothing to the developer's own AWS setup;
// and sample sheets written for them. (cli.ts's omicsd() passes this process's environment through
// as it is; clientCli() isolates the AWS configuration, which the client commands read.)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, tempDir } from './paths.js';

export interface ClientCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ClientCliOptions {
  /** Added to (or, when undefined, removed from) the child's environment. */
  env?: NodeJS.ProcessEnv;
  /** Arguments for node itself, before the script (e.g. --max-old-space-size=64). */
  nodeArgs?: string[];
  /**
   * Whether the child finds access keys in its environment (default true). Without them the CLI
   * finds no credentials at all and signs with its placeholder key for a non-AWS endpoint.
   */
  credentials?: boolean;
  cwd?: string;
}

let home: string | undefined;

/**
 * The child's environment: this process's, without any AWS_* or OMICSD_* variable, with HOME an
 * empty temp folder and the AWS config and credentials files pointing at nothing, so that neither
 * ~/.aws nor an exported profile, region or endpoint changes what a test sees. Instance metadata is
 * switched off, so a credential chain that finds nothing fails at once rather than after a timeout.
 */
export function cliEnv(o: Pick<ClientCliOptions, 'env' | 'credentials'> = {}): NodeJS.ProcessEnv {
  home ??= tempDir('omicsd-cli-home-');
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|OMICSD_)/.test(k)));
  Object.assign(env, {
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-such-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-such-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  if (o.credentials !== false) Object.assign(env, { AWS_ACCESS_KEY_ID: 'AKIDCLITEST', AWS_SECRET_ACCESS_KEY: 'cli-test-secret' });
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `omicsd <args>` (the built CLI) to its end; resolves with its exit code and everything it printed. */
export function clientCli(args: string[], o: ClientCliOptions = {}): Promise<ClientCliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...(o.nodeArgs ?? []), BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv(o), cwd: o.cwd });
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : null), stdout, stderr }));
  });
}

/** Describes a finished command for an assertion message. */
export const showCli = (args: string[], r: ClientCliResult) => `omicsd ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout.slice(0, 4000)}\nstderr: ${r.stderr.slice(-4000)}`;

/** Runs `omicsd <args>` and fails unless it exits with `code` (0 by default); returns its result. */
export async function clientCliOk(args: string[], code = 0, o: ClientCliOptions = {}): Promise<ClientCliResult> {
  const r = await clientCli(args, o);
  if (r.code !== code) throw new Error(`expected exit code ${code}: ${showCli(args, r)}`);
  return r;
}

/** One CSV (or, with `delimiter` a tab, TSV) field: quoted when it holds the delimiter, a quote or a line break. */
export function sheetCell(v: unknown, delimiter = ','): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.includes(delimiter) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CHUNK_CHARS = 1 << 20;

/**
 * Writes a sample sheet: the `header` row, then `count` rows `row(0)` … `row(count - 1)` (each an
 * array of cells, quoted as needed; a string is written as the line itself). Streams about 1 MB at a
 * time, so a 100,000-row sheet is never in memory. A `.tsv` file gets tabs. Returns the file.
 */
export function writeSampleSheet(file: string, header: string[], count: number, row: (i: number) => unknown[] | string): string {
  const delimiter = file.endsWith('.tsv') ? '\t' : ',';
  const line = (cells: unknown[]) => cells.map((c) => sheetCell(c, delimiter)).join(delimiter);
  const fd = fs.openSync(file, 'w');
  try {
    let parts = [`${line(header)}\n`];
    let size = 0;
    for (let i = 0; i < count; i++) {
      const r = row(i);
      const text = `${typeof r === 'string' ? r : line(r)}\n`;
      parts.push(text);
      size += text.length;
      if (size >= CHUNK_CHARS) {
        fs.writeSync(fd, parts.join(''));
        parts = [];
        size = 0;
      }
    }
    fs.writeSync(fd, parts.join(''));
  } finally {
    fs.closeSync(fd);
  }
  return file;
}
