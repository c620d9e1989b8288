import { GetBatchCommand, type GetBatchResponse, type OmicsClient } from '@aws-sdk/client-omics';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { CliError, describeError } from '../client/errors.js';

/** Batch statuses after which nothing more happens to its runs (docs/batches.md). */
const FINAL = new Set(['PROCESSED', 'FAILED', 'CANCELLED', 'RUNS_DELETING', 'RUNS_DELETED', 'RUNS_DELETE_FAILED']);

export const WATCH_EXIT = { allCompleted: 0, notAllCompleted: 1, error: 2 } as const;

export interface WatchOptions {
  intervalMs: number;
  /** Live bars on a terminal; one line per change otherwise. */
  tty: boolean;
  out: NodeJS.WritableStream;
}

interface Counts {
  status: string;
  total: number;
  submitted: number;
  submitFailed: number;
  finished: number;
  pending: number;
  starting: number;
  running: number;
  stopping: number;
  completed: number;
  failed: number;
  cancelled: number;
}

function counts(b: GetBatchResponse): Counts {
  const s = b.submissionSummary ?? {};
  const r = b.runSummary ?? {};
  const submitFailed = s.failedStartSubmissionCount ?? 0;
  const completed = r.completedRunCount ?? 0;
  const failed = r.failedRunCount ?? 0;
  const cancelled = r.cancelledRunCount ?? 0;
  return {
    status: b.status ?? 'UNKNOWN',
    total: b.totalRuns ?? 0,
    submitted: (s.successfulStartSubmissionCount ?? 0) + submitFailed,
    submitFailed,
    // An entry that failed to submit is finished too: it will never run.
    finished: completed + failed + cancelled + submitFailed,
    pending: r.pendingRunCount ?? 0,
    starting: r.startingRunCount ?? 0,
    running: r.runningRunCount ?? 0,
    stopping: r.stoppingRunCount ?? 0,
    completed,
    failed,
    cancelled,
  };
}

const runStates = (c: Counts) =>
  `pending ${c.pending}, starting ${c.starting}, running ${c.running}, stopping ${c.stopping}, completed ${c.completed}, failed ${c.failed}, cancelled ${c.cancelled}`;

/** The run states that have runs, to fit a terminal line under the bars. */
const shortRunStates = (c: Counts) => {
  const states = (['pending', 'starting', 'running', 'stopping', 'completed', 'failed', 'cancelled'] as const).filter((k) => c[k] > 0);
  return states.length ? states.map((k) => `${c[k]} ${k}`).join(', ') : 'no runs yet';
};

export function describeCounts(batchId: string, c: Counts) {
  return `batch ${batchId} ${c.status}: submitted ${c.submitted}/${c.total} (${c.submitFailed} failed); runs ${runStates(c)}`;
}

/** 0 only when the batch is PROCESSED and every one of its entries became a COMPLETED run. */
export function exitCodeOf(c: Counts): number {
  const clean = c.status === 'PROCESSED' && c.submitFailed === 0 && c.failed === 0 && c.cancelled === 0 && c.completed === c.total;
  return clean ? WATCH_EXIT.allCompleted : WATCH_EXIT.notAllCompleted;
}

/** Progress of one counter, as a rate since the watch began and the time left at that rate. */
class Rate {
  private first?: { at: number; value: number };
  perSecond(value: number, now: number) {
    this.first ??= { at: now, value };
    const seconds = (now - this.first.at) / 1000;
    return seconds > 0 ? (value - this.first.value) / seconds : 0;
  }
}

const eta = (left: number, rate: number) => {
  if (left <= 0) return '0s';
  if (rate <= 0) return '?';
  const s = Math.round(left / rate);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
};

/** Polls GetBatch until the batch is final; resolves with the exit code (docs/cli.md, "Exit codes"). */
export async function watchBatch(omics: OmicsClient, batchId: string, o: WatchOptions): Promise<number> {
  const submitRate = new Rate();
  const finishRate = new Rate();
  let bars: { multi: MultiBar; submitted: SingleBar; finished: SingleBar; states: SingleBar } | undefined;
  let lastLine = '';
  try {
    for (;;) {
      let batch: GetBatchResponse;
      try {
        batch = await omics.send(new GetBatchCommand({ batchId }));
      } catch (err) {
        throw new CliError(describeError(err), WATCH_EXIT.error);
      }
      const c = counts(batch);
      const now = Date.now();
      if (o.tty) {
        bars ??= createBars(o.out);
        const total = Math.max(c.total, 1);
        const sr = submitRate.perSecond(c.submitted, now);
        const fr = finishRate.perSecond(c.finished, now);
        bars.submitted.setTotal(total);
        bars.finished.setTotal(total);
        bars.submitted.update(c.submitted, { label: 'submitted', rate: sr.toFixed(1), left: eta(c.total - c.submitted, sr) });
        bars.finished.update(c.finished, { label: 'finished ', rate: fr.toFixed(1), left: eta(c.total - c.finished, fr) });
        bars.states.update(0, { line: `${batchId} ${c.status}: ${shortRunStates(c)}` });
      } else {
        const line = describeCounts(batchId, c);
        if (line !== lastLine) o.out.write(`${new Date(now).toISOString()} ${line}\n`);
        lastLine = line;
      }
      if (FINAL.has(c.status)) {
        bars?.multi.stop();
        bars = undefined;
        if (o.tty) o.out.write(`${describeCounts(batchId, c)}\n`);
        if (c.status === 'FAILED' && batch.failureReason) o.out.write(`failure reason: ${batch.failureReason}\n`);
        return exitCodeOf(c);
      }
      await new Promise((r) => setTimeout(r, o.intervalMs));
    }
  } finally {
    bars?.multi.stop();
  }
}

function createBars(out: NodeJS.WritableStream) {
  const multi = new MultiBar(
    { stream: out as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false, barsize: 24, format: '{label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {left}' },
    Presets.shades_classic,
  );
  const submitted = multi.create(1, 0, { label: 'submitted', rate: '0', left: '?' });
  const finished = multi.create(1, 0, { label: 'finished ', rate: '0', left: '?' });
  const states = multi.create(1, 0, { line: '' }, { format: '{line}' });
  return { multi, submitted, finished, states };
}
