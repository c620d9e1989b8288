// Hand-made HTTP requests for the security tests: signed with @smithy/signature-v4 (then altered),
// sent byte for byte with node:http or a raw socket, and the AWS error shape they must come back in.
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { OmicsClient } from '@aws-sdk/client-omics';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Key {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** The buckets the account is restricted to, when any. */
  buckets?: string[];
}

export function writeCredentials(dir: string, keys: Key[], name = 'credentials.json') {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ credentials: keys }, null, 2), { mode: 0o600 });
  return file;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) =>
  typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

class Sha256 {
  private h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(d: SourceData) {
    this.h.update(bytes(d));
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}

/** A request as it goes on the wire: method, path (already percent-encoded), query, headers, body. */
export interface WireRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: string;
}

/** A WireRequest whose body may be any bytes (a Buffer is sent byte for byte). */
export type BinaryWireRequest = Omit<WireRequest, 'body'> & { body?: string | Buffer };

/** RFC 3986 encoding, as the SDK sends query values. */
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
export const queryString = (q: Record<string, string | string[]> = {}) =>
  Object.entries(q).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${enc(k)}=${enc(x)}`)).join('&');

/**
 * Signs `req` for the server at `url` as the SDK would (host, content-type, content-length,
 * x-amz-date, x-amz-content-sha256 all signed), with the given key, service, region and clock.
 */
export async function sign<R extends BinaryWireRequest>(url: string, req: R, key: Pick<Key, 'accessKeyId' | 'secretAccessKey'>,
  o: { service?: string; region?: string; signingDate?: Date } = {}): Promise<R> {
  const u = new URL(url);
  const headers: Record<string, string> = { host: u.host, ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  const signer = new SignatureV4({
    service: o.service ?? 'omics', region: o.region ?? 'us-east-1', sha256: Sha256,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
  });
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: req.path, query: req.query ?? {}, headers, body: req.body },
    { signingDate: o.signingDate ?? new Date() },
  );
  return { ...req, headers: signed.headers as Record<string, string> };
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/** Sends `req` exactly: no header is added but those node:http needs (none when `host` is given). */
export function send(url: string, req: BinaryWireRequest): Promise<WireResponse> {
  const u = new URL(url);
  const qs = queryString(req.query);
  return new Promise((resolve, reject) => {
    const r = http.request({
      host: u.hostname, port: u.port, method: req.method, path: req.path + (qs ? `?${qs}` : ''),
      headers: req.headers, setHost: req.headers.host === undefined,
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

/** Writes `data` on a fresh connection and returns everything the server answers before closing. */
export function rawExchange(url: string, data: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname, () => sock.write(data));
    let out = '';
    sock.on('data', (d) => (out += d));
    sock.on('end', () => resolve(out));
    sock.on('close', () => resolve(out));
    sock.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(out) : reject(err)));
  });
}

/** Parses a raw HTTP/1.1 response. */
export function parseRaw(raw: string): WireResponse {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: http.IncomingHttpHeaders = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  const text = rest.join('\r\n\r\n');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text, json };
}

/** The AWS error shape (docs/errors.md): X-Amzn-ErrorType, `__type`, `message`, a request id. */
export function assertAwsError(r: WireResponse, type: string, status: number, message?: RegExp) {
  assert.equal(r.status, status, `expected ${status} ${type}, got ${r.status}: ${r.text}`);
  assert.equal(r.headers['x-amzn-errortype'], type, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.ok(r.json && typeof r.json === 'object', `JSON body expected, got ${r.text.slice(0, 200)}`);
  assert.equal(r.json.__type, `com.amazonaws.omics#${type}`);
  assert.equal(typeof r.json.message, 'string');
  assert.ok(r.json.message.length > 0);
  assert.deepEqual(Object.keys(r.json).sort(), ['__type', 'message'], 'nothing but __type and message');
  assert.ok(r.headers['x-amzn-requestid'], 'x-amzn-RequestId on errors too');
  if (message) assert.match(r.json.message, message);
}

/** The official SDK client signing with `key` (one attempt per call, no host prefix). */
export function keyClient(url: string, key: Pick<Key, 'accessKeyId' | 'secretAccessKey'>, o: { region?: string; maxAttempts?: number } = {}) {
  return new OmicsClient({
    region: o.region ?? 'us-east-1', endpoint: url, disableHostPrefix: true,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: o.maxAttempts ?? 1,
  });
}

/** The error an SDK call fails with: its name, HTTP status and message (fails the test if the call succeeds). */
export async function sdkError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err: any) {
    return { name: String(err.name), status: err.$metadata?.httpStatusCode, message: String(err.message) };
  }
  assert.fail('the call succeeded');
}
