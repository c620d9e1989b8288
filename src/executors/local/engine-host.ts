import type { RunRecord } from '../../domain/model.js';
import type { Resources } from './cwl-doc.js';
import {
  anythingAlive, launchEngine, localOutcome, stopRecorded,
  type EngineFiles, type EngineOutcome, type EngineRecord,
} from './engine-process.js';

/** One engine command, prepared by the executor, to be launched. */
export interface EngineLaunch {
  run: RunRecord;
  files: EngineFiles;
  record: Omit<EngineRecord, 'pid' | 'startTicks' | 'jobId'>;
  /** The engine's working directory (the run's tmp/). */
  cwd: string;
  /** The variables the engine command needs besides the harmless part of omicsd's own (sandboxEnv). */
  env: Record<string, string>;
  /** What the run needs at its peak, when its definition says (CWL ResourceRequirement); read only by hosts that ask. */
  resources(): Resources | undefined;
}

/** A launch that could not happen, as the run's failureReason and statusMessage. */
export interface LaunchRefusal {
  code: string;
  message: string;
}

/** What a host adds to one engine's command and sandbox (e.g. Toil steps submitted to Slurm). */
export interface EngineAccess {
  /** Options put right after the engine command. */
  args: string[];
  /** Variables the engine gets. */
  env: Record<string, string>;
  /** Host folders the sandboxed engine may read, at their own paths. */
  readOnly: string[];
  /** Whether the sandboxed engine keeps the host's network. */
  shareNetwork: boolean;
  /** Host users the sandbox names besides its own (SandboxLayout.users). */
  users: string[];
}

/**
 * Where engines run. The executor (index.ts) prepares a run's folder and engine command the same way
 * for every host; the host launches the command, tells when it runs and how it ended, and stops it.
 * Both hosts end the command the same way, with its exit status in the run's exit file
 * (engine-process.ts), so an omicsd started later re-attaches through the run's record.
 *   LocalHost  a detached process on this machine
 *   SlurmHost  one Slurm job per run (src/executors/slurm)
 */
export interface EngineHost {
  readonly name: string;
  /** How often the executor reads a running engine's log and asks `ended` (ms). */
  readonly pollMs: number;
  /**
   * Launches the engine; resolves with its record once it has a handle, with a refusal to fail the
   * run with, or with undefined when `stopped()` turned true before the launch happened.
   */
  launch(launch: EngineLaunch, stopped: () => boolean): Promise<EngineRecord | LaunchRefusal | undefined>;
  /** What the engine `engineId` (e.g. toil-cwl-runner) gets besides its usual command, if anything. */
  access?(engineId: string, runId: string): EngineAccess | undefined;
  /** Whether the engine has begun to run (a Slurm job may wait in the queue first). */
  running(rec: EngineRecord): boolean;
  /**
   * How the engine ended, or undefined while it runs. May move `rec` to the launch that really runs
   * the engine (a Slurm run submitted twice after a crash: the job that claimed the run).
   */
  ended(rec: EngineRecord, files: EngineFiles): Promise<EngineOutcome | undefined>;
  /** Whether anything of the engine still runs. */
  alive(rec: EngineRecord): boolean;
  /** Stops everything of the engine; after `graceMs` forcibly where the host allows it. Rejects when it could not. */
  stop(rec: EngineRecord, runId: string, graceMs: number): Promise<void>;
  /**
   * After a restart, for a run no longer active (cancelled or deleted while omicsd was down): stops
   * whatever of its engine still runs. Resolves with whether anything did; rejects when it could not tell.
   */
  orphan(rec: EngineRecord, runId: string, graceMs: number): Promise<boolean>;
  /**
   * A record written before a launch whose handle never reached the record (omicsd stopped in
   * between): the launched engine, found by the record's marker or name, or undefined when none was.
   */
  adopt(rec: EngineRecord, runId: string): Promise<EngineRecord | undefined>;
  /** Stops watching; engines keep running. */
  close(): Promise<void>;
}

/** Engines as detached processes on this machine (engine-process.ts). */
export class LocalHost implements EngineHost {
  readonly name = 'local';
  readonly pollMs = 200;

  async launch(l: EngineLaunch): Promise<EngineRecord> {
    return launchEngine(l.files, l.record, { cwd: l.cwd, env: { ...process.env, TMPDIR: l.cwd, ...l.env } });
  }

  running(): boolean {
    return true;
  }

  async ended(rec: EngineRecord, files: EngineFiles): Promise<EngineOutcome | undefined> {
    return localOutcome(files, rec);
  }

  alive(rec: EngineRecord): boolean {
    return anythingAlive(rec);
  }

  stop(rec: EngineRecord, _runId: string, graceMs: number): Promise<void> {
    return stopRecorded(rec, graceMs);
  }

  async orphan(rec: EngineRecord, _runId: string, graceMs: number): Promise<boolean> {
    if (!anythingAlive(rec)) return false;
    await stopRecorded(rec, graceMs);
    return true;
  }

  /** A spawn whose pid never reached the record is not followed: the executor stops what of it runs and starts afresh. */
  async adopt(): Promise<undefined> {
    return undefined;
  }

  async close() {}
}
