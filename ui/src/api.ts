import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { OmicsClient } from '@aws-sdk/client-omics';

/** What omicsd tells the dashboard at /ui/settings.json. */
export interface UiSettings {
  region: string;
  authentication: boolean;
}

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

const KEY = 'omicsd.accessKey';

/** The access key of this browser tab (sessionStorage: gone when the tab closes). */
export const savedKey = (): AccessKey | undefined => {
  const raw = sessionStorage.getItem(KEY);
  return raw ? (JSON.parse(raw) as AccessKey) : undefined;
};
export const saveKey = (key: AccessKey | undefined) => (key ? sessionStorage.setItem(KEY, JSON.stringify(key)) : sessionStorage.removeItem(KEY));

/** Without authentication omicsd ignores signatures; the SDK still wants a key to sign with. */
const ANONYMOUS: AccessKey = { accessKeyId: 'dashboard', secretAccessKey: 'unused' };

export interface Clients {
  omics: OmicsClient;
  logs: CloudWatchLogsClient;
}

/**
 * The official SDK clients, pointed at the omicsd that served this page: the dashboard calls the
 * same API as every other client, signed with the user's own key when omicsd authenticates.
 */
export function clients(settings: UiSettings, key: AccessKey | undefined): Clients {
  const config = {
    region: settings.region,
    endpoint: window.location.origin,
    // The SDK would call workflows-<host> for some operations; omicsd answers at its own host.
    disableHostPrefix: true,
    credentials: key ?? ANONYMOUS,
    maxAttempts: 2,
  };
  return { omics: new OmicsClient(config), logs: new CloudWatchLogsClient(config) };
}

/** An SDK error as one line. */
export const errorText = (err: unknown) => {
  const e = err as { name?: string; message?: string };
  return e?.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : String(e?.message ?? err);
};
