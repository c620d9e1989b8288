/** A word for sh, single-quoted. */
export const shellWord = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;

export interface JobScriptSpec {
  runId: string;
  engine: string;
  /** The engine command (already inside the sandbox's bwrap unless tools run unsandboxed). */
  command: string[];
  /** Exported before the command: the harmless part of omicsd's environment and the run's variables. */
  env: Record<string, string>;
  cwd: string;
  log: string;
  exit: string;
  /** The run's claim folder: the first job to make it runs the engine, and writes its id in it. */
  claim: string;
}

/**
 * The job script of one run, kept in the run's folder (docs/slurm.md, "What omicsd submits"): it
 * runs the engine as the local executor's wrapper does (engine-process.ts), appending its output to
 * the run's log and writing its exit status to the run's exit file, so omicsd reads a Slurm run's
 * end the same way, from any machine that shares the data dir. Readable as it is; to reproduce a
 * run by hand, remove its claim folder first (below), then `sbatch` or `sh` it.
 *
 * The claim makes "never started twice" hold whatever happens to omicsd: should a run ever get a
 * second job (omicsd stopped between sbatch and recording the job id, longer than Slurm remembers
 * the job; an sbatch that timed out yet reached the controller), only the first job to `mkdir` the
 * claim (atomic, on NFS too) runs the engine; any other exits at once, and omicsd follows the job
 * named in the claim (slurm-host.ts). A job Slurm requeues keeps its id, so it may run again.
 */
export function jobScript(spec: JobScriptSpec): string {
  const env = { ...spec.env, OMICSD_ENGINE_LOG: spec.log, OMICSD_ENGINE_EXIT: spec.exit };
  return [
    '#!/bin/sh',
    `# omicsd run ${spec.runId}: its ${spec.engine} engine as one Slurm job (written by omicsd).`,
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shellWord(v)}`),
    `cd ${shellWord(spec.cwd)} || exit 1`,
    // A job Slurm requeued (node failure, preemption) keeps its id and may run again.
    `if ! mkdir ${shellWord(spec.claim)} 2>/dev/null && [ "$(cat ${shellWord(`${spec.claim}/job`)} 2>/dev/null)" != "$SLURM_JOB_ID" ]; then`,
    `  echo "omicsd: Slurm job $SLURM_JOB_ID: job $(cat ${shellWord(`${spec.claim}/job`)} 2>/dev/null) runs this run already; not starting it again" >>"$OMICSD_ENGINE_LOG"`,
    '  exit 0',
    'fi',
    `echo "$SLURM_JOB_ID" >${shellWord(`${spec.claim}/job`)}`,
    'echo "omicsd: $(date -u +%Y-%m-%dT%H:%M:%SZ) Slurm job $SLURM_JOB_ID runs on $(hostname)" >>"$OMICSD_ENGINE_LOG"',
    `${spec.command.map(shellWord).join(' ')} >>"$OMICSD_ENGINE_LOG" 2>&1 </dev/null`,
    's=$?',
    'echo "$s" >"$OMICSD_ENGINE_EXIT.tmp" && mv -f "$OMICSD_ENGINE_EXIT.tmp" "$OMICSD_ENGINE_EXIT"',
    'exit "$s"',
    '',
  ].join('\n');
}
