import path from 'node:path';

/**
 * Layout of a run's folder, `<dataDir>/runs/<runId>/`:
 *   definition/   the workflow definition zip, unpacked
 *   inputs/       s3:// inputs staged from the object store, as inputs/<bucket>/<key>
 *   inputs.json   the engine's inputs (CWL job file, WDL inputs, Nextflow params file)
 *   out/          where the engine writes its outputs; all of it is exported to <runOutputUri>/out/
 *   tmp/          the engine's working directory (HOME and TMPDIR too): temporary and intermediate
 *                 files, Toil's job store (tmp/toil-jobstore), Nextflow's trace (tmp/trace.txt)
 *   sandbox/      /etc/passwd and /etc/group of the run's sandbox (sandbox.ts)
 * In the sandbox the run folder is read-only; only out/ (miniwdl: miniwdl/) and tmp/ are writable.
 *   engine.log    the engine's stdout and stderr, and omicsd's own lines about the run
 *   engine.pid    the engine's record (pid, start time, marker, command), so a restart can re-attach
 *   engine.exit   the engine's exit status, written by its wrapper when it ends
 */
export function runDir(dataDir: string, runId: string): string {
  return path.join(dataDir, 'runs', runId);
}

/** The engine log of a run (its stdout and stderr), for `omicsd logs RUN_ID`. */
export function runLogPath(dataDir: string, runId: string): string {
  return path.join(runDir(dataDir, runId), 'engine.log');
}

/** The files through which omicsd follows a run's detached engine (engine-process.ts). */
export function engineFiles(dataDir: string, runId: string) {
  const dir = runDir(dataDir, runId);
  return { log: path.join(dir, 'engine.log'), record: path.join(dir, 'engine.pid'), exit: path.join(dir, 'engine.exit') };
}
