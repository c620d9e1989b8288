import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { clients, errorText, savedKey, saveKey, type AccessKey, type UiSettings } from './api.js';
import { useRoute } from './hooks.js';
import { BatchPage } from './pages/BatchPage.js';
import { Batches } from './pages/Batches.js';
import { RunPage } from './pages/RunPage.js';
import { SignIn } from './pages/SignIn.js';
import { StartBatch } from './pages/StartBatch.js';
import { WorkflowPage, Workflows } from './pages/Workflows.js';
import './style.css';

function App() {
  const [settings, setSettings] = useState<UiSettings>();
  const [error, setError] = useState<string>();
  const [key, setKey] = useState<AccessKey | undefined>(savedKey);
  const route = useRoute();
  useEffect(() => {
    fetch('/ui/settings.json').then((r) => r.json()).then(setSettings, (err) => setError(errorText(err)));
  }, []);
  const api = useMemo(() => (settings ? clients(settings, key) : undefined), [settings, key]);
  if (error) return <p class="error">{error}</p>;
  if (!settings || !api) return <p class="muted">Loading…</p>;
  const signedIn = !settings.authentication || key !== undefined;
  const [section, id] = route;
  return (
    <>
      <nav class="top">
        <a class="brand" href="#/">omicsd</a>
        <a href="#/">Batches</a>
        <a href="#/workflows">Workflows</a>
        <a href="#/start">Start a batch</a>
        {settings.authentication && key && <button class="link" onClick={() => { saveKey(undefined); setKey(undefined); }}>Sign out {key.accessKeyId}</button>}
      </nav>
      <main>
        {!signedIn ? <SignIn settings={settings} onKey={setKey} />
          : section === 'batches' && id ? <BatchPage key={id} api={api} id={id} />
            : section === 'runs' && id ? <RunPage key={id} api={api} id={id} />
              : section === 'workflows' && id ? <WorkflowPage key={id} api={api} id={id} />
                : section === 'workflows' ? <Workflows api={api} />
                  : section === 'start' ? <StartBatch api={api} workflowId={id} />
                    : <Batches api={api} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
