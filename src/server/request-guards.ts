import net from 'node:net';
import os from 'node:os';
import { RequestRefused } from './errors.js';

/**
 * Checks made on every request before anything else, authenticated or not (docs/security.md):
 * the Host header must name this service, a browser's Origin must be one of those names, and a
 * body must be JSON. Together they close DNS rebinding and cross-site requests from a browser,
 * even on loopback where nothing else protects the port.
 */

/** The media types a body may have: what the AWS SDKs, boto3 and the AWS CLI send (docs/security.md). */
export const JSON_MEDIA_TYPES = new Set(['application/json', 'application/x-amz-json-1.0', 'application/x-amz-json-1.1']);

/** The host prefixes the SDKs put in front of the endpoint's host (docs/api.md). */
const HOST_PREFIXES = ['', 'workflows-', 'tags-', 'analytics-'];

const denied = (message: string) => new RequestRefused('AccessDeniedException', 403, message);

export const isLoopback = (host: string) => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
};

export const isWildcard = (host: string) => ['0.0.0.0', '::', '[::]', '::0'].includes(host.toLowerCase());

/** `name` as it appears in a Host header: lowercase, IPv6 literals in brackets. */
const hostForm = (name: string) => {
  const n = name.toLowerCase().replace(/\.$/, '');
  return net.isIPv6(n) ? `[${n}]` : n;
};

/** Splits `name[:port]` / `[v6][:port]`; undefined when it is not a host (with an optional port). */
export function splitHost(value: string): { name: string; port?: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  if (m[1].startsWith('[') && !net.isIPv6(m[1].slice(1, -1))) return undefined;
  return { name: hostForm(m[1].replace(/^\[|\]$/g, '')), port };
}

interface AllowedName {
  name: string;
  /** Only this port; undefined = the port omicsd listens on (built-in names) */
  port?: number;
  /** `--allowed-host NAME` without a port: any port. */
  anyPort?: boolean;
}

export class HostGuard {
  private names: AllowedName[] = [];

  /**
   * @param listenHost `--host`
   * @param extra `--allowed-host` values, NAME or NAME:PORT
   * @param listeningPort the port actually listened on (known only once listening, for `--port 0`)
   */
  constructor(listenHost: string, extra: string[], private listeningPort: () => number) {
    const builtIn = new Set([hostForm(listenHost), 'localhost', '127.0.0.1', '[::1]']);
    // Bound to every address: each address of this machine, and its name, are the listening address.
    if (isWildcard(listenHost)) {
      builtIn.add(hostForm(os.hostname()));
      for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) builtIn.add(hostForm(a.address.replace(/%.*$/, '')));
    }
    for (const name of builtIn) for (const prefix of HOST_PREFIXES) this.names.push({ name: prefix + name });
    for (const value of extra) {
      const h = splitHost(value);
      if (!h) throw new Error(`--allowed-host: expected NAME or NAME:PORT, got "${value}"`);
      for (const prefix of HOST_PREFIXES) this.names.push({ name: prefix + h.name, port: h.port, anyPort: h.port === undefined });
    }
  }

  /**
   * Whether `host[:port]` names this service; a missing port is the scheme's default. omicsd itself
   * serves plain HTTP, so an https origin can only be a proxy's: one of the `--allowed-host` names.
   */
  allows(value: string, scheme: 'http:' | 'https:' = 'http:'): boolean {
    const h = splitHost(value);
    if (!h) return false;
    const port = h.port ?? (scheme === 'https:' ? 443 : 80);
    return this.names.some((n) => n.name === h.name
      && (n.anyPort || (n.port === undefined ? scheme === 'http:' && port === this.listeningPort()
        // NAME:443 behind a TLS proxy arrives as a bare Host: a port-less Host matches 80 or 443.
        : port === n.port || (h.port === undefined && (n.port === 80 || n.port === 443)))));
  }

  /** Refuses a request whose Host is not one of this service's names, or whose Origin is another site. */
  check(rawHeaders: string[], headers: { host?: string; origin?: string }) {
    let hosts = 0;
    for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === 'host') hosts++;
    if (hosts !== 1 || !headers.host) throw denied('The request must carry exactly one Host header.');
    if (!this.allows(headers.host)) {
      throw denied('The Host header does not name this service. Call it by an allowed name (see --allowed-host).');
    }
    if (headers.origin !== undefined) {
      let origin: URL | undefined;
      try {
        origin = new URL(headers.origin);
      } catch {
        origin = undefined;
      }
      const ok = origin !== undefined && (origin.protocol === 'http:' || origin.protocol === 'https:')
        && origin.pathname === '/' && this.allows(origin.host, origin.protocol);
      if (!ok) throw denied('Cross-origin requests are not allowed: the Origin header does not name this service.');
    }
  }
}

/**
 * A body only as JSON; a request without a body may omit Content-Type (e.g. CancelRun). `accepted`
 * narrows the media types for an operation of another protocol: CloudWatch Logs' GetLogEvents takes
 * its awsJson1_1 type, `application/x-amz-json-1.1`, only (docs/security.md, "Content type").
 */
export function checkContentType(headers: { 'content-type'?: string; 'content-length'?: string; 'transfer-encoding'?: string },
  accepted: ReadonlySet<string> = JSON_MEDIA_TYPES) {
  const ct = headers['content-type'];
  const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && Number(headers['content-length']) !== 0);
  const media = ct?.split(';')[0].trim().toLowerCase();
  if (media === undefined ? hasBody : !accepted.has(media)) {
    throw new RequestRefused('ValidationException', 400,
      `Unsupported Content-Type ${ct === undefined ? '(none)' : JSON.stringify(ct.slice(0, 100))}: a request body must be ${[...accepted].join(', ')}.`);
  }
}
