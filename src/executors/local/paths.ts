import path from 'node:path';

/**
 * Layout of a run's folder, `<dataDir>/runs/<runId>/`:
 *   definition/   the workflow definition zip, unpacked
 *   inputs/       s3:// inputs staged from the object store, as inputs/<bucket>/<key>
 *   inputs.json   the engine's inputs (CWL job file, WDL inputs, Nextflow params file)
 *   out/          where the engine writes its outputs; all of it is exported to <runOutputUri>/out/
 *   tmp/          the engine's temporary and intermediate files
 *   engine.log    the engine's stdout and stderr
 *   engine.pid    the engine's process (pid, start time, marker), so a restart can stop it
 */
export function runDir(dataDir: string, runId: string): string {
  return path.join(dataDir, 'runs', runId);
}

/** The engine log of a run (its stdout and stderr), for `omicsd logs RUN_ID`. */
export function runLogPath(dataDir: string, runId: string): string {
  return path.join(runDir(dataDir, runId), 'engine.log');
}

export function pidFilePath(dataDir: string, runId: string): string {
  return path.join(runDir(dataDir, runId), 'engine.pid');
}
