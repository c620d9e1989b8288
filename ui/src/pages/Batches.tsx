import { GetBatchCommand, ListBatchCommand, type BatchStatus } from '@aws-sdk/client-omics';
import { useState } from 'preact/hooks';
import type { Clients } from '../api.js';
import { ErrorLine, Pager, Status } from '../components/Status.js';
import { when } from '../format.js';
import { usePoll } from '../hooks.js';
import { RunsBar, SubmissionBar } from './batch-bars.js';

const STATUSES = ['CREATING', 'PENDING', 'SUBMITTING', 'INPROGRESS', 'STOPPING', 'CANCELLED', 'PROCESSED', 'FAILED', 'RUNS_DELETING', 'RUNS_DELETED', 'RUNS_DELETE_FAILED'];

/** Every batch of the account, newest first, each with its submission and run progress. */
export function Batches({ api }: { api: Clients }) {
  const [status, setStatus] = useState('');
  const [name, setName] = useState('');
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const page = usePoll(async () => {
    const list = await api.omics.send(new ListBatchCommand({
      maxItems: 20, startingToken: tokens[tokens.length - 1], status: (status || undefined) as BatchStatus | undefined, name: name || undefined,
    }));
    const batches = await Promise.all((list.items ?? []).map((b) => api.omics.send(new GetBatchCommand({ batchId: b.id! }))));
    return { batches, next: list.nextToken };
  }, [status, name, tokens.join(' ')], 3000);
  const filter = (f: () => void) => {
    f();
    setTokens([undefined]);
  };
  return (
    <section>
      <header class="page-head">
        <h1>Batches</h1>
        <a class="button primary" href="#/start">Start a batch</a>
      </header>
      <div class="filters">
        <label>Status <select value={status} onChange={(e) => filter(() => setStatus(e.currentTarget.value))}>
          <option value="">any</option>
          {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select></label>
        <label>Name <input value={name} placeholder="exact name" onChange={(e) => filter(() => setName(e.currentTarget.value))} /></label>
      </div>
      <ErrorLine error={page.error} />
      <div class="table-wrap">
        <table class="batches">
          <thead><tr><th>Batch</th><th>Status</th><th>Created</th><th>Submission</th><th>Runs</th></tr></thead>
          <tbody>
            {page.data?.batches.map((b) => (
              <tr key={b.id} data-batch={b.id}>
                <td><a href={`#/batches/${b.id}`}>{b.name ?? b.id}</a><div class="muted">{b.id}</div></td>
                <td><Status value={b.status} /></td>
                <td>{when(b.creationTime)}</td>
                <td><SubmissionBar batch={b} /></td>
                <td><RunsBar batch={b} /></td>
              </tr>
            ))}
            {page.data && !page.data.batches.length && <tr><td colSpan={5} class="muted">No batches{status || name ? ' match' : ' yet'}.</td></tr>}
          </tbody>
        </table>
      </div>
      <Pager tokens={tokens} next={page.current ? page.data?.next : undefined} setTokens={setTokens} />
    </section>
  );
}
