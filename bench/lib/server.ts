import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { OmicsClient } from '@aws-sdk/client-omics';
import { sdkClient } from './omics.js';
import { BIN } from './paths.js';
import { spawnTracked, waitForLine, type Child } from './proc.js';

export interface ServerOptions {
  dataDir: string;
  simRunMs?: number;
  /** StartRun tokens per second; 0 = unlimited. */
  startRunRate?: number;
  startRunBurst?: number;
  /** 0 lifts the 100,000-runs quota. */
  maxRuns?: number;
}

export interface Omicsd {
  url: string;
  pid: number;
  dataDir: string;
  client: OmicsClient;
  child: Child;
  stop(): Promise<void>;
}

/** Starts the built `omicsd serve` as its own process, as a user would, with the simulated executor. */
export async function startOmicsd(o: ServerOptions): Promise<Omicsd> {
  const args = [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', o.dataDir, '--log-level', 'warn', '--executor', 'simulated'];
  if (o.simRunMs !== undefined) args.push('--sim-run-ms', String(o.simRunMs));
  if (o.startRunRate !== undefined) args.push('--start-run-rate', String(o.startRunRate));
  if (o.startRunBurst !== undefined) args.push('--start-run-burst', String(o.startRunBurst));
  if (o.maxRuns !== undefined) args.push('--max-runs', String(o.maxRuns));
  // e.g. OMICSD_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under a scenario.
  const nodeArgs = process.env.OMICSD_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawnTracked(process.execPath, [...nodeArgs, ...args]);
  try {
    const [, url] = await waitForLine(child, /omicsd listening on (http:\/\/\S+)/, 30_000, 'omicsd');
    return {
      url, pid: child.pid, dataDir: o.dataDir, client: sdkClient(url), child,
      async stop() {
        const code = await child.stop();
        // A crash before the stop would otherwise go unnoticed.
        if (code !== 0) throw new Error(`omicsd exited with code ${code}: ${child.stderr().slice(-2000)}`);
      },
    };
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
}

/** `omicsd s3 cp FILE s3://bucket/key` into the embedded object store of `dataDir`. */
export async function s3cp(dataDir: string, file: string, uri: string) {
  await promisify(execFile)(process.execPath, [BIN, 's3', 'cp', file, uri, '--data-dir', dataDir], { maxBuffer: 1 << 20 });
}
