import { startServer, type RunningServer } from '../../test/support/server.js';

export interface ServerOptions {
  dataDir: string;
  simRunMs?: number;
  /** StartRun tokens per second; 0 = unlimited. */
  startRunRate?: number;
  startRunBurst?: number;
  /** 0 lifts the 100,000-runs quota. */
  maxRuns?: number;
  /** Requests per second per account; 0 (the bench's default) = unlimited, null = omicsd's own default. */
  apiRate?: number | null;
  /** A credentials file (`--credentials`): every request must then be SigV4-signed with one of its keys. */
  credentials?: string;
  /** An S3-compatible endpoint for s3:// URIs instead of the embedded store. */
  s3Endpoint?: string;
  /** Added to the server's environment (e.g. the S3 credentials). */
  env?: NodeJS.ProcessEnv;
  /** Node options for the server, before OMICSD_BENCH_NODE_ARGS (e.g. a preloaded monitor). */
  nodeArgs?: string[];
  /** More `omicsd serve` options (e.g. --event-webhook URL). */
  args?: string[];
}

/** A server of the tests' startServer() whose stop() fails unless omicsd exits 0 (child.stop() does not check). */
export type Omicsd = Omit<RunningServer, 'stop'> & { stop(): Promise<void> };

/** Starts the built `omicsd serve` as its own process, as a user would, with the simulated executor. */
export async function startOmicsd(o: ServerOptions): Promise<Omicsd> {
  // The bench measures omicsd's limits, not the per-account request rate it enforces by default.
  const args = ['--host', '127.0.0.1'];
  if (o.apiRate !== null) args.push('--api-rate', String(o.apiRate ?? 0));
  if (o.credentials !== undefined) args.push('--credentials', o.credentials);
  if (o.simRunMs !== undefined) args.push('--sim-run-ms', String(o.simRunMs));
  if (o.startRunRate !== undefined) args.push('--start-run-rate', String(o.startRunRate));
  if (o.startRunBurst !== undefined) args.push('--start-run-burst', String(o.startRunBurst));
  if (o.maxRuns !== undefined) args.push('--max-runs', String(o.maxRuns));
  if (o.s3Endpoint !== undefined) args.push('--s3-endpoint', o.s3Endpoint);
  args.push(...(o.args ?? []));
  // e.g. OMICSD_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under a scenario.
  const nodeArgs = [...(o.nodeArgs ?? []), ...(process.env.OMICSD_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const server = await startServer(args, o.dataDir, { nodeArgs, startMs: 30_000, env: o.env });
  return {
    ...server,
    async stop() {
      const code = await server.stop();
      // A crash before the stop would otherwise go unnoticed.
      if (code !== 0) throw new Error(`omicsd exited with code ${code}: ${server.stderr().slice(-2000)}`);
    },
  };
}
