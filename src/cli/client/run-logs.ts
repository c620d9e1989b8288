import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetRunCommand, type GetRunCommandOutput, type OmicsClient } from '@aws-sdk/client-omics';

/** Where HealthOmics (and omicsd) keep run logs: the streams GetRun's `logLocation` names are in this group. */
export const WORKFLOW_LOG_GROUP = '/aws/omics/WorkflowLog';

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'DELETED']);

export interface RunLogOptions {
  /** Keep reading until the run has ended and its log has no more events. */
  follow?: boolean;
  /** `engine` (default): the engine's log, `logLocation.engineLogStream`; `run`: `logLocation.runLogStream`. */
  stream?: 'engine' | 'run';
  /** How long to wait between two reads when following (ms, default 1000). */
  pollMs?: number;
}

async function write(out: NodeJS.WritableStream, text: string) {
  if (!out.write(text)) await once(out, 'drain');
}

const isNotFound = (err: unknown) => (err as { name?: string } | null)?.name === 'ResourceNotFoundException';

/**
 * Prints a run's log to `out`, one event's message and a newline per line, read through the API only:
 * GetRun for the run's `logLocation`, then CloudWatch Logs GetLogEvents from the head of the stream,
 * following `nextForwardToken` until it comes back unchanged (the end of the stream). The same works
 * against omicsd, which answers GetLogEvents itself, and against AWS HealthOmics.
 *
 * With `follow`, reads again every `pollMs` until a read that began after the run was seen in a
 * terminal status (COMPLETED, FAILED, CANCELLED, DELETED) has reached the end; a log that does not
 * exist yet (a run still waiting to start) is waited for. Fails when the run has no log: it does not
 * exist (yet, without `follow`), or it ended without one (e.g. omicsd's simulated runs).
 */
export async function printRunLog(omics: OmicsClient, logs: CloudWatchLogsClient, runId: string, out: NodeJS.WritableStream,
  opts: RunLogOptions = {}): Promise<void> {
  const pollMs = opts.pollMs ?? 1000;
  let run: GetRunCommandOutput = await omics.send(new GetRunCommand({ id: runId }));
  const logStreamName = (opts.stream ?? 'engine') === 'engine'
    ? run.logLocation?.engineLogStream ?? `run/${runId}/engine`
    : run.logLocation?.runLogStream ?? `run/${runId}`;
  let token: string | undefined;
  let found = false;

  /** Every event after `token`, until the stream's end; false when the stream does not exist. */
  const drain = async (): Promise<boolean> => {
    for (;;) {
      let page;
      try {
        page = await logs.send(new GetLogEventsCommand({ logGroupName: WORKFLOW_LOG_GROUP, logStreamName, startFromHead: true, nextToken: token }));
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
      const text = (page.events ?? []).map((e) => `${e.message ?? ''}\n`).join('');
      if (text) await write(out, text);
      const next = page.nextForwardToken;
      if (!next || next === token) return true;
      token = next;
    }
  };

  for (;;) {
    // The status is read before the log: once a terminal status was seen, a read that follows it gets everything.
    const ended = TERMINAL.has(run.status ?? '');
    found = (await drain()) || found;
    if (!opts.follow || ended) break;
    await sleep(pollMs);
    run = await omics.send(new GetRunCommand({ id: runId }));
  }
  if (!found) {
    throw new Error(`Run ${runId} has no log: stream ${logStreamName} of ${WORKFLOW_LOG_GROUP} does not exist `
      + `(the run is ${run.status}; a run has one once its engine starts, and omicsd's simulated runs never do)`);
  }
}
