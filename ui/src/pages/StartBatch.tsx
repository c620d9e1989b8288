import { ListWorkflowsCommand, StartRunBatchCommand, type BatchRunSettings, type InlineSetting } from '@aws-sdk/client-omics';
import { useState } from 'preact/hooks';
import { errorText, type Clients } from '../api.js';
import { ErrorLine } from '../components/Status.js';
import { go, usePoll } from '../hooks.js';

const EXAMPLE = '[\n  { "runSettingId": "sample-1", "parameters": {} },\n  { "runSettingId": "sample-2", "parameters": {} }\n]';

/** StartRunBatch as a form: the shared settings, and the runs inline (JSON) or in a settings file behind an s3:// URI. */
export function StartBatch({ api, workflowId }: { api: Clients; workflowId?: string }) {
  const workflows = usePoll(async () => (await api.omics.send(new ListWorkflowsCommand({ maxResults: 100 }))).items?.filter((w) => w.status === 'ACTIVE') ?? [], [], 0);
  const [form, setForm] = useState({
    name: '', workflowId: workflowId ?? '', roleArn: '', outputUri: '', parameters: '{}', source: 'inline', inline: EXAMPLE, s3Uri: '',
  });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    let parameters: unknown;
    let runs: BatchRunSettings;
    try {
      parameters = JSON.parse(form.parameters || '{}');
      runs = form.source === 'inline' ? { inlineSettings: JSON.parse(form.inline) as InlineSetting[] } : { s3UriSettings: form.s3Uri };
    } catch (err) {
      return setError(`Not JSON: ${errorText(err)}`);
    }
    setBusy(true);
    try {
      const out = await api.omics.send(new StartRunBatchCommand({
        batchName: form.name || undefined,
        defaultRunSetting: { workflowId: form.workflowId, roleArn: form.roleArn, outputUri: form.outputUri, parameters: parameters as never },
        batchRunSettings: runs,
      }));
      go(`batches/${out.id}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>Start a batch</h1>
      <ErrorLine error={workflows.error} />
      <form class="form" onSubmit={submit}>
        <label>Batch name <input name="batchName" value={form.name} onInput={set('name')} /></label>
        <label>Workflow <select name="workflowId" required value={form.workflowId} onChange={set('workflowId')}>
          <option value="">choose…</option>
          {workflows.data?.map((w) => <option key={w.id} value={w.id}>{w.name ?? w.id} ({w.id})</option>)}
        </select></label>
        <label>Service role ARN <input name="roleArn" required value={form.roleArn} placeholder="arn:aws:iam::123456789012:role/OmicsRole" onInput={set('roleArn')} /></label>
        <label>Output URI <input name="outputUri" required value={form.outputUri} placeholder="s3://bucket/prefix/" onInput={set('outputUri')} /></label>
        <label>Parameters every run shares (JSON) <textarea name="parameters" rows={3} value={form.parameters} onInput={set('parameters')} /></label>
        <fieldset>
          <legend>Runs</legend>
          <label class="inline"><input type="radio" name="source" value="inline" checked={form.source === 'inline'} onChange={set('source')} /> listed here (up to 100)</label>
          <label class="inline"><input type="radio" name="source" value="s3" checked={form.source === 's3'} onChange={set('source')} /> in a settings file</label>
          {form.source === 'inline'
            ? <label>Run settings (JSON array) <textarea name="inlineSettings" rows={8} value={form.inline} onInput={set('inline')} /></label>
            : <label>Settings file <input name="s3UriSettings" value={form.s3Uri} placeholder="s3://bucket/runs.json" onInput={set('s3Uri')} /></label>}
        </fieldset>
        <ErrorLine error={error} />
        <button class="primary" type="submit" disabled={busy}>Start batch</button>
      </form>
    </section>
  );
}
