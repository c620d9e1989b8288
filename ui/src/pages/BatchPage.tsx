import {
  CancelRunBatchCommand, DeleteBatchCommand, DeleteRunBatchCommand, GetBatchCommand, GetRunCommand, ListRunsCommand, ListRunsInBatchCommand,
  type GetBatchCommandOutput, type GetRunCommandOutput, type RunStatus, type SubmissionStatus,
} from '@aws-sdk/client-omics';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Clients } from '../api.js';
import { ConfirmButton } from '../components/Confirm.js';
import { ErrorLine, Pager, Status } from '../components/Status.js';
import { count, duration, when } from '../format.js';
import { go, usePoll } from '../hooks.js';
import { finishedRuns, RunsBar, SubmissionBar } from './batch-bars.js';

type Batch = GetBatchCommandOutput;
const CANCELLABLE = ['PENDING', 'SUBMITTING', 'INPROGRESS'];
const RUNS_DELETABLE = ['PROCESSED', 'CANCELLED'];
const DELETABLE = ['PROCESSED', 'CANCELLED', 'FAILED', 'RUNS_DELETED', 'RUNS_DELETE_FAILED'];

/** One batch, live: counts, throughput and ETA, its actions, failure reasons, and its runs. */
export function BatchPage({ api, id }: { api: Clients; id: string }) {
  const batch = usePoll(() => api.omics.send(new GetBatchCommand({ batchId: id })), [id], 2000);
  const b = batch.data;
  return (
    <section>
      <p><a href="#/">← Batches</a></p>
      <ErrorLine error={batch.error} />
      {b && (
        <>
          <header class="page-head">
            <h1>{b.name ?? `Batch ${b.id}`} <Status value={b.status} /></h1>
            <div class="actions">
              <ConfirmButton label="Cancel batch" disabled={!CANCELLABLE.includes(b.status!)} action={async () => {
                await api.omics.send(new CancelRunBatchCommand({ batchId: id }));
                batch.refresh();
              }} question={`Cancel batch ${b.name ?? id}? Runs not yet started are not started, and every active run is cancelled.`} />
              <ConfirmButton label="Delete runs" danger disabled={!RUNS_DELETABLE.includes(b.status!)} action={async () => {
                await api.omics.send(new DeleteRunBatchCommand({ batchId: id }));
                batch.refresh();
              }} question={`Delete every run of batch ${b.name ?? id}? The runs' records go; the batch stays.`} />
              <ConfirmButton label="Delete batch" danger disabled={!DELETABLE.includes(b.status!)} action={async () => {
                await api.omics.send(new DeleteBatchCommand({ batchId: id }));
                go('');
              }} question={`Delete batch ${b.name ?? id}? Its record goes; its runs stay.`} />
            </div>
          </header>
          <Summary b={b} />
          <FailureReasons api={api} batch={b} />
          <BatchRuns api={api} batchId={id} progress={`${b.status}:${finishedRuns(b)}:${b.submissionSummary?.successfulStartSubmissionCount ?? 0}`} />
        </>
      )}
    </section>
  );
}

/** Finished runs per minute over the last minute seen, and when the rest should be done at that pace. */
function usePace(b: Batch) {
  const samples = useRef<{ t: number; finished: number; started: number }[]>([]);
  const now = Date.now();
  const last = samples.current[samples.current.length - 1];
  if (!last || now - last.t > 500) samples.current.push({ t: now, finished: finishedRuns(b), started: b.submissionSummary?.successfulStartSubmissionCount ?? 0 });
  samples.current = samples.current.filter((s) => now - s.t <= 60_000);
  const first = samples.current[0];
  const latest = samples.current[samples.current.length - 1];
  const minutes = (latest.t - first.t) / 60_000;
  const perMinute = minutes > 0 ? (latest.finished - first.finished) / minutes : 0;
  const submitPerMinute = minutes > 0 ? (latest.started - first.started) / minutes : 0;
  const pending = b.submissionSummary?.pendingStartSubmissionCount ?? 0;
  const remaining = latest.started + pending - latest.finished;
  const eta = perMinute > 0 && remaining > 0 ? (remaining / perMinute) * 60_000 : undefined;
  return { perMinute, submitPerMinute, remaining, eta };
}

function Summary({ b }: { b: Batch }) {
  const pace = usePace(b);
  const active = !['PROCESSED', 'CANCELLED', 'FAILED', 'RUNS_DELETED', 'RUNS_DELETE_FAILED'].includes(b.status!);
  return (
    <div class="summary">
      <dl class="facts">
        <dt>Id</dt><dd>{b.id}</dd>
        <dt>Workflow</dt><dd><a href={`#/workflows/${b.defaultRunSetting?.workflowId}`}>{b.defaultRunSetting?.workflowId}</a></dd>
        <dt>Total runs</dt><dd>{b.totalRuns === undefined ? 'reading the run list…' : count(b.totalRuns)}</dd>
        <dt>Created</dt><dd>{when(b.creationTime)}</dd>
        <dt>All submitted</dt><dd>{when(b.submittedTime)}</dd>
        <dt>Processed</dt><dd>{when(b.processedTime)}</dd>
        {b.failedTime && <><dt>Failed</dt><dd>{when(b.failedTime)}</dd></>}
        {b.failureReason && <><dt>Failure</dt><dd class="error">{b.failureReason}</dd></>}
      </dl>
      <h2>Submission</h2>
      <SubmissionBar batch={b} />
      <h2>Runs</h2>
      <RunsBar batch={b} />
      {active && (
        <p class="pace" data-testid="pace">
          {count(Math.round(pace.perMinute))} runs finished per minute, {count(Math.round(pace.submitPerMinute))} submitted per minute;
          {' '}{count(pace.remaining)} to go{pace.eta !== undefined ? `, done in about ${duration(pace.eta)}` : ''}.
        </p>
      )}
    </div>
  );
}

interface Reason {
  reason: string;
  count: number;
  example?: string;
  runs: string[];
}

const group = (items: { reason: string; message?: string; runId?: string }[]): Reason[] => {
  const by = new Map<string, Reason>();
  for (const i of items) {
    const g = by.get(i.reason) ?? { reason: i.reason, count: 0, example: i.message, runs: [] };
    g.count++;
    if (i.runId && g.runs.length < 5) g.runs.push(i.runId);
    by.set(i.reason, g);
  }
  return [...by.values()].sort((a, b) => b.count - a.count);
};

/**
 * The failed submissions and the failed runs (the first 100 of each), grouped by their reason: read
 * when the counts of failures change, at most every 10 s; a failed run is read once (it stays failed).
 */
function FailureReasons({ api, batch }: { api: Clients; batch: Batch }) {
  const failedSubmissions = batch.submissionSummary?.failedStartSubmissionCount ?? 0;
  const failedRuns = batch.runSummary?.failedRunCount ?? 0;
  const counts = `${failedSubmissions}:${failedRuns}`;
  const seen = useRef({ counts: '', at: 0 });
  const runsRead = useRef(new Map<string, GetRunCommandOutput>());
  const groups = usePoll(async () => {
    if (seen.current.counts === counts || Date.now() - seen.current.at < 10_000) return undefined;
    const submissions = failedSubmissions
      ? (await api.omics.send(new ListRunsInBatchCommand({ batchId: batch.id!, submissionStatus: 'FAILED', maxItems: 100 }))).runs ?? [] : [];
    const runs = failedRuns ? (await api.omics.send(new ListRunsCommand({ batchId: batch.id!, status: 'FAILED', maxResults: 100 }))).items ?? [] : [];
    const details = await Promise.all(runs.map(async (r) => {
      const known = runsRead.current.get(r.id!);
      if (known) return known;
      const run = await api.omics.send(new GetRunCommand({ id: r.id! }));
      runsRead.current.set(r.id!, run);
      return run;
    }));
    seen.current = { counts, at: Date.now() };
    return {
      submissions: group(submissions.map((s) => ({ reason: s.submissionFailureReason ?? 'unknown', message: s.submissionFailureMessage }))),
      runs: group(details.map((r) => ({ reason: r.failureReason ?? 'unknown', message: r.statusMessage, runId: r.id }))),
    };
  }, [batch.id], 2000);
  const [shown, setShown] = useState<typeof groups.data>();
  useEffect(() => {
    if (groups.data) setShown(groups.data);
  }, [groups.data]);
  if (!failedSubmissions && !failedRuns) return null;
  return (
    <div class="failures">
      <h2>Failure reasons</h2>
      <ErrorLine error={groups.error} />
      {shown?.submissions.map((g) => (
        <p key={`s-${g.reason}`} class="reason" data-reason={g.reason}><b>{count(g.count)} × submission {g.reason}</b>{g.example && <span class="muted"> — {g.example}</span>}</p>
      ))}
      {shown?.runs.map((g) => (
        <p key={`r-${g.reason}`} class="reason" data-reason={g.reason}>
          <b>{count(g.count)} × run {g.reason}</b>{g.example && <span class="muted"> — {g.example}</span>}
          {' '}{g.runs.map((r) => <a key={r} class="chip" href={`#/runs/${r}`}>{r}</a>)}
        </p>
      ))}
    </div>
  );
}

const RUN_STATUSES = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'CANCELLED'];

/**
 * The batch's runs (ListRuns by batch and status) or its submissions (ListRunsInBatch and its
 * filters), a page at a time; read again at once when the batch's `progress` moves, so the table
 * never shows a run as running in a batch already PROCESSED.
 */
function BatchRuns({ api, batchId, progress }: { api: Clients; batchId: string; progress: string }) {
  const [tab, setTab] = useState<'runs' | 'submissions'>('runs');
  const [status, setStatus] = useState('');
  const [submissionStatus, setSubmissionStatus] = useState('');
  const [runSettingId, setRunSettingId] = useState('');
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const token = tokens[tokens.length - 1];
  const page = usePoll(async () => {
    if (tab === 'runs') {
      const out = await api.omics.send(new ListRunsCommand({ batchId, status: (status || undefined) as RunStatus | undefined, maxResults: 50, startingToken: token }));
      return { runs: out.items ?? [], entries: [], next: out.nextToken };
    }
    const out = await api.omics.send(new ListRunsInBatchCommand({
      batchId, submissionStatus: (submissionStatus || undefined) as SubmissionStatus | undefined, runSettingId: runSettingId || undefined, maxItems: 50, startingToken: token,
    }));
    return { runs: [], entries: out.runs ?? [], next: out.nextToken };
  }, [batchId, tab, status, submissionStatus, runSettingId, tokens.join(' '), progress], 3000);
  const reset = (f: () => void) => {
    f();
    setTokens([undefined]);
  };
  return (
    <div class="batch-runs">
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'runs'} onClick={() => reset(() => setTab('runs'))}>Runs</button>
        <button role="tab" aria-selected={tab === 'submissions'} onClick={() => reset(() => setTab('submissions'))}>Submissions</button>
      </div>
      <div class="filters">
        {tab === 'runs' ? (
          <label>Status <select value={status} onChange={(e) => reset(() => setStatus(e.currentTarget.value))}>
            <option value="">any</option>{RUN_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></label>
        ) : (
          <>
            <label>Submission <select value={submissionStatus} onChange={(e) => reset(() => setSubmissionStatus(e.currentTarget.value))}>
              <option value="">any</option>{['SUCCESS', 'FAILED', 'CANCEL_SUCCESS', 'CANCEL_FAILED', 'DELETE_SUCCESS', 'DELETE_FAILED'].map((s) => <option key={s} value={s}>{s}</option>)}
            </select></label>
            <label>runSettingId <input value={runSettingId} onChange={(e) => reset(() => setRunSettingId(e.currentTarget.value))} /></label>
          </>
        )}
      </div>
      <ErrorLine error={page.error} />
      <div class="table-wrap">
        {tab === 'runs' ? (
          <table>
            <thead><tr><th>Run</th><th>Name</th><th>Status</th><th>Started</th><th>Took</th></tr></thead>
            <tbody>
              {page.data?.runs.map((r) => (
                <tr key={r.id} data-run={r.id}>
                  <td><a href={`#/runs/${r.id}`}>{r.id}</a></td><td>{r.name ?? '—'}</td><td><Status value={r.status} /></td>
                  <td>{when(r.startTime)}</td><td>{r.startTime ? duration((r.stopTime ?? new Date()).getTime() - r.startTime.getTime()) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <table>
            <thead><tr><th>runSettingId</th><th>Run</th><th>Submission</th><th>Reason</th></tr></thead>
            <tbody>
              {page.data?.entries.map((e) => (
                <tr key={e.runSettingId}>
                  <td>{e.runSettingId}</td><td>{e.runId ? <a href={`#/runs/${e.runId}`}>{e.runId}</a> : '—'}</td>
                  <td><Status value={e.submissionStatus} /></td><td>{e.submissionFailureReason ? `${e.submissionFailureReason}: ${e.submissionFailureMessage ?? ''}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <Pager tokens={tokens} next={page.current ? page.data?.next : undefined} setTokens={setTokens} />
    </div>
  );
}
