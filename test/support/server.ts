// Starts, stops and kills the built `omicsd serve` as its own process, as a user runs it.
import type { OmicsClient } from '@aws-sdk/client-omics';
import { sdkClient } from './client.js';
import { BIN, tempDir } from './paths.js';
import { startListening, type Child } from './process.js';
import { testDatabaseUrl } from './store.js';

// test/batch/ingest.test.ts imports tempDir from here; paths.ts is its home.
export { tempDir };

export interface RunningServer {
  url: string;
  dataDir: string;
  pid: number;
  proc: Child['proc'];
  child: Child;
  /** A client for `url` (sdkClient: one attempt per call). */
  client: OmicsClient;
  stderr: () => string;
  /** SIGTERM, then waits for the exit code (SIGKILL after `graceMs`, 30 s by default). */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL: the crash case. */
  kill(): Promise<void>;
}

export interface ServerOptions {
  /** Added to the environment of the test process. */
  env?: NodeJS.ProcessEnv;
  /** Arguments for node itself, before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** How long the server may take to print its listening line (default 20 s). */
  startMs?: number;
}

/**
 * Starts `omicsd serve` on a free port with `args` and the data dir `dataDir`. Without an
 * `--executor` in `args` it uses the simulated executor: timed runs, not real engines.
 */
export async function startServer(args: string[] = [], dataDir = tempDir(), o: ServerOptions = {}): Promise<RunningServer> {
  const executor = args.includes('--executor') ? [] : ['--executor', 'simulated'];
  // On a PostgreSQL test run, each data dir's server uses its own database (test/support/store.ts).
  const dbUrl = args.includes('--database-url') ? undefined : await testDatabaseUrl(dataDir);
  if (dbUrl) args = [...args, '--database-url', dbUrl];
  const { child, url } = await startListening(
    process.execPath,
    [...(o.nodeArgs ?? []), BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...executor, ...args],
    { line: /omicsd listening on (http:\/\/\S+)/, ms: o.startMs ?? 20_000, what: 'omicsd', env: { ...process.env, ...o.env } },
  );
  return {
    url, dataDir, pid: child.pid, proc: child.proc, child, client: sdkClient(url), stderr: child.stderr,
    stop: (graceMs) => child.stop(graceMs),
    async kill() {
      await child.kill();
    },
  };
}
