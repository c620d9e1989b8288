import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { CredentialSet } from './auth/credentials.js';
import { HostGuard, isLoopback } from './request-guards.js';

/** What the HTTP app needs to guard its edge (docs/security.md). */
export interface EdgeSecurity {
  /** The accepted access keys; absent = no authentication (loopback, or `--insecure-no-auth`). */
  credentials?: CredentialSet;
  /** `--host`: one of the names a Host header may carry. */
  listenHost: string;
  /** `--allowed-host` values (NAME or NAME:PORT). */
  allowedHosts: string[];
}

/**
 * The start-time security decisions, made before anything touches the data dir: load the
 * credentials file (refusing a bad one), and refuse to expose an unauthenticated service beyond
 * loopback unless `--insecure-no-auth` says so — which is then logged as a warning at every start.
 */
export function prepareSecurity(config: Config, log: Logger): EdgeSecurity {
  // Refuses a malformed --allowed-host before anything else happens.
  new HostGuard(config.host, config.allowedHosts, () => config.port);
  const credentials = config.credentialsFile ? CredentialSet.load(config.credentialsFile, log) : undefined;
  if (credentials) {
    if (config.insecureNoAuth) log.warn('--insecure-no-auth is ignored: --credentials is given, so every request is authenticated');
  } else if (!isLoopback(config.host)) {
    if (!config.insecureNoAuth) {
      throw new Error(`refusing to listen on ${config.host} without --credentials: anyone who can reach that address could `
        + 'read and run everything. Give --credentials FILE (docs/security.md), listen on 127.0.0.1, '
        + 'or pass --insecure-no-auth to accept unauthenticated requests from the network anyway.');
    }
    log.warn({ host: config.host }, `INSECURE: --insecure-no-auth: listening on ${config.host} without authentication; `
      + 'anyone who can reach this port can read and run everything as account ' + config.accountId);
  } else {
    log.info({ host: config.host }, `authentication off (no --credentials): listening on loopback (${config.host}) only; `
      + `every request acts as account ${config.accountId}`);
  }
  return { credentials, listenHost: config.host, allowedHosts: config.allowedHosts };
}
