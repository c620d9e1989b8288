import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import { MARKER_ENV, engineAlive, processInfo, terminateEngine } from './process-tree.js';

/**
 * An engine process that outlives omicsd (docs/runs.md, "Restarts"). The engine runs under a small
 * `sh` wrapper in a session of its own, with its stdout and stderr appended to the run's log file and
 * no pipe to omicsd, so neither a graceful stop nor a crash of omicsd ends it. When the engine ends,
 * the wrapper writes its exit status to a file. omicsd follows the log by reading it, and learns the
 * outcome from the exit file: an omicsd started later re-attaches to the same files.
 */

/**
 * Written next to the engine before and after it is launched; its handle (`pid` on this machine,
 * `jobId` on Slurm) is absent only in between.
 */
export interface EngineRecord {
  marker: string;
  engine: string;
  command: string[];
  /** The wrapper's pid (the engine's session and process-group leader) and its start time. */
  pid?: number;
  startTicks?: number;
  /** The Slurm job the engine runs in (src/executors/slurm). */
  jobId?: string;
  /** The engine host that launched it (engine-host.ts); records written before hosts existed have none. */
  host?: string;
  /** What the run's task tracking and output export need again after a re-attach. */
  mainPath: string;
  outDir: string;
}

export type EngineOutcome =
  | { kind: 'exited'; code: number; signal?: NodeJS.Signals }
  /**
   * The engine is gone and left no exit status (killed with its wrapper, or the machine restarted),
   * or its host ended it (a Slurm job's time limit): `code` and `message` then say how.
   */
  | { kind: 'lost'; code?: string; message?: string };

export interface EngineFiles {
  /** The run's log: the engine's stdout and stderr, and omicsd's own lines. */
  log: string;
  /** The engine record (JSON). */
  record: string;
  /** The exit status the wrapper writes when the engine ends. */
  exit: string;
}

// "$@" is the engine command; its exit status (128 + N when killed by signal N) goes to the exit
// file atomically (write, then rename), so a reader never sees half of it. Slurm job scripts end
// the same way (src/executors/slurm/job-script.ts).
const WRAPPER = '"$@" >>"$OMICSD_ENGINE_LOG" 2>&1 </dev/null; s=$?; echo "$s" >"$OMICSD_ENGINE_EXIT.tmp" && mv -f "$OMICSD_ENGINE_EXIT.tmp" "$OMICSD_ENGINE_EXIT"';

const SIGNAL_BY_NUMBER = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** Writes the record whole or not at all (write, then rename): a crash mid-write leaves the previous one. */
export function writeRecord(file: string, rec: EngineRecord) {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(rec));
  fs.renameSync(`${file}.tmp`, file);
}

export function readRecord(file: string): EngineRecord | undefined {
  try {
    const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as EngineRecord;
    return typeof rec.marker === 'string' && Array.isArray(rec.command) ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** The engine's exit status, once the wrapper wrote it. */
export function readOutcome(exitFile: string): EngineOutcome | undefined {
  let text: string;
  try {
    text = fs.readFileSync(exitFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  const status = Number(text);
  if (!Number.isInteger(status)) return undefined;
  const signal = status > 128 ? SIGNAL_BY_NUMBER.get(status - 128) : undefined;
  return signal ? { kind: 'exited', code: status, signal } : { kind: 'exited', code: status };
}

/**
 * Whether the wrapper still runs: only it writes the exit status, so once it is gone without one the
 * outcome is lost. A live pid with another start time was reused by an unrelated process.
 */
export function wrapperAlive(rec: EngineRecord): boolean {
  const now = rec.pid ? processInfo(rec.pid) : undefined;
  return !!now && (rec.startTicks === undefined || now.startTicks === rec.startTicks);
}

/** Whether anything of a recorded engine still runs (its wrapper's group, its descendants, its marker). */
export function anythingAlive(rec: EngineRecord): boolean {
  return engineAlive(wrapperAlive(rec) ? rec.pid : undefined, rec.marker);
}

/** Stops everything of a recorded engine (SIGTERM, then SIGKILL after `graceMs`). */
export function stopRecorded(rec: EngineRecord, graceMs: number): Promise<void> {
  return terminateEngine(wrapperAlive(rec) ? rec.pid : undefined, rec.marker, graceMs);
}

/**
 * Spawns the engine detached, under the wrapper. The record is written before the spawn (so a crash
 * right after it still leaves the marker to find the engine by) and again with the pid after it.
 */
export function launchEngine(
  files: EngineFiles, rec: Omit<EngineRecord, 'pid' | 'startTicks'>, opts: { cwd: string; env: NodeJS.ProcessEnv },
): EngineRecord {
  writeRecord(files.record, rec);
  fs.rmSync(files.exit, { force: true });
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'omicsd-engine', ...rec.command], {
    cwd: opts.cwd,
    detached: true,
    stdio: 'ignore',
    env: { ...opts.env, [MARKER_ENV]: rec.marker, OMICSD_ENGINE_LOG: files.log, OMICSD_ENGINE_EXIT: files.exit },
  });
  // Nothing of omicsd waits on the child: its end is read from the exit file.
  child.on('error', () => {});
  child.unref();
  if (!child.pid) throw new Error(`could not start /bin/sh for ${rec.engine}`);
  const full: EngineRecord = { ...rec, pid: child.pid, startTicks: processInfo(child.pid)?.startTicks };
  writeRecord(files.record, full);
  return full;
}

/** The outcome of an engine running on this machine: its exit file, or lost once its wrapper is gone without one. */
export function localOutcome(files: EngineFiles, rec: EngineRecord): EngineOutcome | undefined {
  const outcome = readOutcome(files.exit);
  if (outcome) return outcome;
  // The wrapper may have written its status just before it went.
  if (!wrapperAlive(rec)) return readOutcome(files.exit) ?? { kind: 'lost' };
  return undefined;
}

/**
 * Follows an engine's log from the start (after a re-attach too: task tracking is idempotent) and
 * resolves with its outcome, as `ended()` tells it (the engine host's account: its exit file, its
 * wrapper or Slurm job gone). `line` gets every whole line the engine writes; omicsd's own lines
 * (`omicsd: …`) are skipped. `stopped()` ends the watch early (cancel, or omicsd closing). Both are
 * looked at every `pollMs`; the log only once `started()` (a queued Slurm job has written nothing).
 */
export async function watchEngine(
  files: EngineFiles, ended: () => Promise<EngineOutcome | undefined>, line: (text: string) => void, stopped: () => boolean,
  o: { pollMs: number; started: () => boolean },
): Promise<EngineOutcome | undefined> {
  let offset = 0;
  let rest = '';
  const readNew = async () => {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(files.log, 'r');
    } catch {
      return;
    }
    try {
      const buf = Buffer.alloc(256 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        rest += buf.toString('utf8', 0, bytesRead);
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const text = rest.slice(0, nl).replace(/\r$/, '');
          rest = rest.slice(nl + 1);
          if (!text.startsWith('omicsd: ')) line(text);
        }
        // A line longer than 64 KiB is passed on in pieces.
        if (rest.length > 65536) {
          line(rest);
          rest = '';
        }
      }
    } finally {
      await fh.close();
    }
  };
  for (;;) {
    if (stopped()) return undefined;
    // The host is asked first: it reports RUNNING before any task the log shows, and once it says
    // the engine ended, the log read next is complete.
    const outcome = await ended();
    if (outcome || o.started()) await readNew();
    if (outcome) {
      if (rest && !rest.startsWith('omicsd: ')) line(rest);
      return outcome;
    }
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}
