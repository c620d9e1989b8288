import { ListBatchCommand } from '@aws-sdk/client-omics';
import { useState } from 'preact/hooks';
import { clients, errorText, saveKey, type AccessKey, type UiSettings } from '../api.js';
import { ErrorLine } from '../components/Status.js';

/** Asks for an access key of omicsd's credentials file; it is tried once before it is kept (for this tab only). */
export function SignIn({ settings, onKey }: { settings: UiSettings; onKey: (key: AccessKey) => void }) {
  const [key, setKey] = useState<AccessKey>({ accessKeyId: '', secretAccessKey: '' });
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await clients(settings, key).omics.send(new ListBatchCommand({ maxItems: 1 }));
      saveKey(key);
      onKey(key);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section class="sign-in">
      <h1>Sign in</h1>
      <p class="muted">This omicsd authenticates every request. The dashboard signs its calls with an access key of its credentials file, kept in this tab only.</p>
      <form class="form" onSubmit={submit}>
        <label>Access key id <input name="accessKeyId" autocomplete="username" required value={key.accessKeyId} onInput={(e) => setKey({ ...key, accessKeyId: e.currentTarget.value })} /></label>
        <label>Secret access key <input name="secretAccessKey" type="password" autocomplete="current-password" required value={key.secretAccessKey}
          onInput={(e) => setKey({ ...key, secretAccessKey: e.currentTarget.value })} /></label>
        <ErrorLine error={error} />
        <button class="primary" type="submit">Sign in</button>
      </form>
    </section>
  );
}
