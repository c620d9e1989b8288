import os from 'node:os';
import type { EngineCommands } from './executors/local/engines.js';
import type { SlurmOptions } from './executors/slurm/index.js';

export type ExecutorName = 'simulated' | 'local' | 'slurm';

/** Everything `omicsd serve` can be told, after defaults are applied. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  executor: ExecutorName;
  simRunMs: number;
  /** StartRun calls per second per account, shared by StartRun and batch submission; 0 = unlimited. */
  startRunRate: number;
  startRunBurst: number;
  region: string;
  accountId: string;
  s3Endpoint?: string;
  /** Most runs in STARTING/RUNNING/STOPPING at once; 0 = unlimited. */
  maxConcurrentRuns: number;
  /** "Maximum runs (active or inactive)" account quota; 0 = unlimited. */
  maxRuns: number;
  logLevel: string;
  /** Engine commands for the local executor; unset ones are looked up on PATH. */
  engines: EngineCommands;
  /** `--credentials`: the access keys file; without it requests are not authenticated (docs/security.md). */
  credentialsFile?: string;
  /** `--insecure-no-auth`: allow a non-loopback `--host` without credentials. */
  insecureNoAuth: boolean;
  /** `--allowed-host`: extra names (NAME or NAME:PORT) a request's Host / Origin may carry. */
  allowedHosts: string[];
  /** `--api-rate`: requests per second per account, every operation together; 0 = unlimited. */
  apiRate: number;
  /** `--local-input-root`: folders run inputs may name by local path (docs/security.md, "Run inputs"); none by default. */
  localInputRoots: string[];
  /** The Slurm executor's options (docs/slurm.md). */
  slurm: SlurmOptions;
  /** `--unsafe-run-tools-unsandboxed`: local engines and their tools run without the bubblewrap sandbox (docs/runs.md, "Sandbox"). */
  unsafeRunToolsUnsandboxed?: boolean;
  /** `--event-webhook`: URLs every event is POSTed to (docs/events.md). */
  eventWebhooks: string[];
  /** `--event-webhook-secret`: signs each POST with HMAC-SHA256. */
  eventWebhookSecret?: string;
  /** `--events-file`: where events are appended as JSON lines (default `<data dir>/events.ndjson`); null = nowhere (`--no-events-file`). */
  eventsFile?: string | null;
  /** `--link-expiry`: seconds a presigned definition or readme link works (docs/workflows.md). */
  linkExpirySeconds: number;
  /** `--lease-seconds`: how long shared work stays with an instance that stopped heartbeating (PostgreSQL; docs/scale-out.md). */
  leaseSeconds: number;
}

export function defaultConfig(given: Partial<Config> = {}): Config {
  // An option left unset (undefined) takes its default rather than erasing it.
  const overrides = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<Config>;
  const executor = overrides.executor ?? 'local';
  const startRunRate = overrides.startRunRate ?? 10;
  return {
    host: '127.0.0.1',
    port: 8080,
    dataDir: './.omicsd',
    executor,
    simRunMs: 2000,
    startRunRate,
    startRunBurst: overrides.startRunBurst ?? Math.max(1, Math.ceil(startRunRate)),
    region: 'us-east-1',
    accountId: '123456789012',
    // Simulated runs cost nothing, so they are not capped unless asked; local engines share the
    // cores; Slurm jobs wait in the cluster's queue, kept well under Slurm's default MaxJobCount (10,000).
    maxConcurrentRuns: executor === 'local' ? os.availableParallelism() : executor === 'slurm' ? 1000 : 0,
    maxRuns: 100_000,
    logLevel: 'info',
    engines: {},
    insecureNoAuth: false,
    allowedHosts: [],
    localInputRoots: [],
    apiRate: 1000,
    slurm: { submitRate: 10, pollMs: 5000 },
    eventWebhooks: [],
    linkExpirySeconds: 900,
    leaseSeconds: 10,
    ...overrides,
  };
}
