/**
 * Slurm job states (squeue's %T) as omicsd reads them (docs/slurm.md, "Job states"):
 *   waiting   the run stays STARTING
 *   running   the run is RUNNING
 *   ended     the job is over: its outcome is the engine's exit status, or the reason below
 */
const WAITING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);

export type JobPhase = 'waiting' | 'running' | 'ended';

export function phaseOf(state: string): JobPhase {
  if (WAITING.has(state)) return 'waiting';
  if (RUNNING.has(state)) return 'running';
  return 'ended';
}

/**
 * How a job Slurm ended (not by the engine's own exit) fails its run; undefined when the engine's
 * exit status tells the outcome (COMPLETED, or FAILED with an exit status written). The
 * failureReason codes of Slurm runs (the engine's own failures keep the local executor's, e.g.
 * ENGINE_FAILED):
 *   SLURM_TIMEOUT          the job reached its time limit
 *   SLURM_OUT_OF_MEMORY    the job went over its memory
 *   SLURM_NODE_FAIL        the node running it failed
 *   SLURM_PREEMPTED        the job was preempted (and not requeued)
 *   SLURM_JOB_CANCELLED    someone cancelled the job outside omicsd (scancel)
 *   SLURM_JOB_FAILED       Slurm ended the job another way (BOOT_FAIL, DEADLINE, a failed prolog …)
 *   SLURM_JOB_LOST         the job is gone and Slurm no longer knows how it ended
 *   SLURM_SUBMIT_FAILED    sbatch refused the job (statusMessage: its error; slurm-host.ts)
 * (docs/slurm.md, "Job states").
 */
export function endedBySlurm(jobId: string, state: string, reason: string): { code: string; message: string } | undefined {
  const why = reason && reason !== 'None' ? ` (${reason})` : '';
  switch (state) {
    case 'COMPLETED':
    case 'FAILED':
      return undefined;
    case 'TIMEOUT':
      return { code: 'SLURM_TIMEOUT', message: `Slurm job ${jobId} reached its time limit and was stopped${why}` };
    case 'OUT_OF_MEMORY':
      return { code: 'SLURM_OUT_OF_MEMORY', message: `Slurm job ${jobId} went over its memory limit and was stopped${why}` };
    case 'NODE_FAIL':
      return { code: 'SLURM_NODE_FAIL', message: `The node running Slurm job ${jobId} failed${why}` };
    case 'PREEMPTED':
      return { code: 'SLURM_PREEMPTED', message: `Slurm job ${jobId} was preempted${why}` };
    case 'CANCELLED':
      return { code: 'SLURM_JOB_CANCELLED', message: `Slurm job ${jobId} was cancelled outside omicsd (scancel)${why}` };
    default:
      return { code: 'SLURM_JOB_FAILED', message: `Slurm ended job ${jobId} as ${state}${why}` };
  }
}
