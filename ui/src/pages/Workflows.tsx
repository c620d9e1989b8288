import { GetWorkflowCommand, ListWorkflowVersionsCommand, ListWorkflowsCommand } from '@aws-sdk/client-omics';
import { useState } from 'preact/hooks';
import type { Clients } from '../api.js';
import { ErrorLine, Pager, Status } from '../components/Status.js';
import { when } from '../format.js';
import { usePoll } from '../hooks.js';

/** The account's workflows. */
export function Workflows({ api }: { api: Clients }) {
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const page = usePoll(() => api.omics.send(new ListWorkflowsCommand({ maxResults: 50, startingToken: tokens[tokens.length - 1] })), [tokens.join(' ')], 5000);
  return (
    <section>
      <h1>Workflows</h1>
      <ErrorLine error={page.error} />
      <div class="table-wrap">
        <table>
          <thead><tr><th>Workflow</th><th>Status</th><th>Type</th><th>Created</th></tr></thead>
          <tbody>
            {page.data?.items?.map((w) => (
              <tr key={w.id}>
                <td><a href={`#/workflows/${w.id}`}>{w.name ?? w.id}</a><div class="muted">{w.id}</div></td>
                <td><Status value={w.status} /></td><td>{w.type}</td><td>{when(w.creationTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager tokens={tokens} next={page.current ? page.data?.nextToken : undefined} setTokens={setTokens} />
    </section>
  );
}

/** One workflow: its engine, digest, parameters and versions. */
export function WorkflowPage({ api, id }: { api: Clients; id: string }) {
  const wf = usePoll(() => api.omics.send(new GetWorkflowCommand({ id })), [id], 5000);
  // The newest 100 versions: a workflow rarely has more, and the page says when it has.
  const versions = usePoll(() => api.omics.send(new ListWorkflowVersionsCommand({ workflowId: id, maxResults: 100 })), [id], 5000);
  const w = wf.data;
  return (
    <section>
      <p><a href="#/workflows">← Workflows</a></p>
      <ErrorLine error={wf.error} />
      {w && (
        <>
          <h1>{w.name ?? `Workflow ${w.id}`} <Status value={w.status} /></h1>
          {w.statusMessage && <p class="muted">{w.statusMessage}</p>}
          <dl class="facts">
            <dt>Id</dt><dd>{w.id}</dd>
            <dt>Engine</dt><dd>{w.engine ?? '—'}</dd>
            <dt>Main</dt><dd>{w.main ?? '—'}</dd>
            <dt>Digest</dt><dd class="mono">{w.digest ?? '—'}</dd>
            <dt>Created</dt><dd>{when(w.creationTime)}</dd>
            {w.description && <><dt>Description</dt><dd>{w.description}</dd></>}
          </dl>
          <h2>Parameters</h2>
          <div class="table-wrap">
            <table>
              <thead><tr><th>Name</th><th>Description</th><th>Optional</th></tr></thead>
              <tbody>
                {Object.entries(w.parameterTemplate ?? {}).map(([name, p]) => (
                  <tr key={name}><td class="mono">{name}</td><td>{p.description ?? ''}</td><td>{p.optional ? 'yes' : 'no'}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Versions</h2>
          <ErrorLine error={versions.error} />
          {versions.data && (versions.data.items?.length ? (
            <div class="table-wrap">
              <table class="versions">
                <thead><tr><th>Version</th><th>Status</th><th>Digest</th><th>Created</th><th>Description</th></tr></thead>
                <tbody>
                  {versions.data.items.map((v) => (
                    <tr key={v.versionName}>
                      <td class="mono">{v.versionName}</td><td><Status value={v.status} /></td><td class="mono">{v.digest?.slice(0, 12) ?? '—'}</td>
                      <td>{when(v.creationTime)}</td><td>{v.description ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {versions.data.nextToken && <p class="muted">Showing the newest 100 versions.</p>}
            </div>
          ) : <p class="muted">No versions: runs use the workflow's own definition.</p>)}
          <p><a class="button" href={`#/start/${w.id}`}>Start a batch of this workflow</a></p>
        </>
      )}
    </section>
  );
}
