import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OmicsClient } from '@aws-sdk/client-omics';
import { strToU8, zipSync } from 'fflate';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'dist/cli/main.js');

export interface RunningServer {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  client: OmicsClient;
  stderr: () => string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the crash case. */
  kill(): Promise<void>;
}

export const tempDir = (prefix = 'omicsd-test-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Starts the built `omicsd serve` as its own process on a free port, as a user would. */
export async function startServer(args: string[] = [], dataDir = tempDir(), env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  // The API tests need timed runs, not real engines, unless a test asks for an executor.
  const executor = args.includes('--executor') ? [] : ['--executor', 'simulated'];
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...executor, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /omicsd listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    url, dataDir, proc, client: sdkClient(url), stderr: () => err,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** The official client as a user configures it for a custom endpoint. */
export function sdkClient(url: string, maxAttempts = 1) {
  return new OmicsClient({
    region: 'us-east-1',
    endpoint: url,
    disableHostPrefix: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts,
  });
}

export const ROLE = 'arn:aws:iam::123456789012:role/OmicsRole';

/** A one-file CWL workflow zip with a required `msg` and an optional `n` input. */
export function cwlZip(extraInputs = ''): Uint8Array {
  return zipSync({
    'main.cwl': strToU8(`cwlVersion: v1.2\nclass: CommandLineTool\nbaseCommand: echo\ninputs:\n  msg:\n    type: string\n    inputBinding: {position: 1}\n  n:\n    type: int?\n${extraInputs}outputs: []\n`),
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined/false), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 15000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

/** `omicsd s3 cp FILE URI` into the embedded store of `dataDir`, as a user puts a settings file there. */
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

/** Writes a JSON array of entries to a file, streaming, one element at a time. */
export async function writeSettingsFile(file: string, count: number, entry: (i: number) => object): Promise<void> {
  const out = fs.createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('[');
  for (let i = 0; i < count; i++) await write((i ? ',\n' : '\n') + JSON.stringify(entry(i)));
  await write('\n]');
  await new Promise<void>((r, j) => out.end((e?: Error) => (e ? j(e) : r())));
}
