import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CancelRunCommand, GetRunCommand, ListRunTasksCommand } from '@aws-sdk/client-omics';
import { useEffect, useRef } from 'preact/hooks';
import type { Clients } from '../api.js';
import { ConfirmButton } from '../components/Confirm.js';
import { ErrorLine, Status } from '../components/Status.js';
import { between, duration, when } from '../format.js';
import { usePoll } from '../hooks.js';

const ACTIVE = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING'];
/** Where HealthOmics (and omicsd) keep run logs. */
const LOG_GROUP = '/aws/omics/WorkflowLog';
/** Lines of the engine log kept on the page (the newest). */
const LOG_LINES = 5000;

/** One run: what it was given, its tasks, how its status went, and its engine's log. */
export function RunPage({ api, id }: { api: Clients; id: string }) {
  const run = usePoll(() => api.omics.send(new GetRunCommand({ id })), [id], 2000);
  const r = run.data;
  const active = ACTIVE.includes(r?.status ?? '');
  return (
    <section>
      <p>{r?.batchId ? <a href={`#/batches/${r.batchId}`}>← Batch {r.batchId}</a> : <a href="#/">← Batches</a>}</p>
      <ErrorLine error={run.error} />
      {r && (
        <>
          <header class="page-head">
            <h1>{r.name ?? `Run ${r.id}`} <Status value={r.status} /></h1>
            <ConfirmButton label="Cancel run" disabled={!active} question={`Cancel run ${r.id}? Its engine is stopped.`} action={async () => {
              await api.omics.send(new CancelRunCommand({ id }));
              run.refresh();
            }} />
          </header>
          {r.status === 'FAILED' && (
            <p class="error failure" role="alert"><b>{r.failureReason}</b>{r.statusMessage ? `: ${r.statusMessage}` : ''}</p>
          )}
          <dl class="facts">
            <dt>Id</dt><dd>{r.id}</dd>
            <dt>Workflow</dt><dd><a href={`#/workflows/${r.workflowId}`}>{r.workflowId}</a></dd>
            {r.batchId && <><dt>Batch</dt><dd><a href={`#/batches/${r.batchId}`}>{r.batchId}</a></dd></>}
            <dt>Output</dt><dd>{r.runOutputUri ?? '—'}</dd>
            <dt>Priority</dt><dd>{r.priority ?? '—'}</dd>
          </dl>
          <h2>Status history</h2>
          <ol class="history">
            <li><Status value="PENDING" /> created {when(r.creationTime)}</li>
            {r.startTime && <li><Status value="RUNNING" /> started {when(r.startTime)}, {duration(between(r.creationTime, r.startTime))} after it was created</li>}
            {r.stopTime && <li><Status value={r.status} /> ended {when(r.stopTime)}, after {duration(between(r.startTime ?? r.creationTime, r.stopTime))}</li>}
            {!r.stopTime && <li class="muted">now {r.status}</li>}
          </ol>
          <h2>Parameters</h2>
          <pre class="params">{JSON.stringify(r.parameters ?? {}, null, 2)}</pre>
          <Tasks api={api} id={id} active={active} />
          <EngineLog api={api} stream={r.logLocation?.engineLogStream} active={active} />
        </>
      )}
    </section>
  );
}

function Tasks({ api, id, active }: { api: Clients; id: string; active: boolean }) {
  const tasks = usePoll(async () => (await api.omics.send(new ListRunTasksCommand({ id, maxResults: 100 }))).items ?? [], [id, active], active ? 3000 : 0);
  return (
    <>
      <h2>Tasks</h2>
      <ErrorLine error={tasks.error} />
      <div class="table-wrap">
        <table>
          <thead><tr><th>Task</th><th>Status</th><th>CPUs</th><th>Memory (GiB)</th><th>Started</th><th>Took</th></tr></thead>
          <tbody>
            {tasks.data?.map((t) => (
              <tr key={t.taskId}>
                <td>{t.name}</td><td><Status value={t.status} /></td><td>{t.cpus ?? '—'}</td><td>{t.memory ?? '—'}</td>
                <td>{when(t.startTime)}</td><td>{duration(between(t.startTime, t.stopTime))}</td>
              </tr>
            ))}
            {tasks.data && !tasks.data.length && <tr><td colSpan={6} class="muted">No tasks reported.</td></tr>}
          </tbody>
        </table>
      </div>
    </>
  );
}

/**
 * The engine's log from the head, read on while the run is active. One read at a time: a read still
 * going when the next starts (the run just ended) is dropped, so no line is shown twice.
 */
function EngineLog({ api, stream, active }: { api: Clients; stream?: string; active: boolean }) {
  const read = useRef<{ token?: string; lines: string[]; busy?: Promise<string[]> }>({ lines: [] });
  const readMore = async (): Promise<string[]> => {
    if (!stream) return read.current.lines;
    for (;;) {
      let page;
      try {
        page = await api.logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: stream, startFromHead: true, nextToken: read.current.token }));
      } catch (err) {
        // The stream exists once the engine has started.
        if ((err as { name?: string }).name === 'ResourceNotFoundException') break;
        throw err;
      }
      read.current.lines.push(...(page.events ?? []).map((e) => e.message ?? ''));
      if (read.current.lines.length > LOG_LINES) read.current.lines.splice(0, read.current.lines.length - LOG_LINES);
      if (!page.nextForwardToken || page.nextForwardToken === read.current.token) break;
      read.current.token = page.nextForwardToken;
    }
    return [...read.current.lines];
  };
  const log = usePoll(async () => {
    const r = read.current;
    r.busy ??= readMore().finally(() => {
      r.busy = undefined;
    });
    return r.busy;
  }, [stream, active], active ? 3000 : 0);
  // The end of a log is where a run's trouble shows: keep it in view as lines arrive.
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [log.data?.length]);
  return (
    <>
      <h2>Engine log</h2>
      {!stream ? <p class="muted">This run has no log (yet).</p> : (
        <>
          <ErrorLine error={log.error} />
          <pre class="log" data-testid="engine-log" ref={box}>{log.data?.join('\n') || '(empty)'}</pre>
        </>
      )}
    </>
  );
}
