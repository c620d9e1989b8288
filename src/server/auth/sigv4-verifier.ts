import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { ALGORITHM_IDENTIFIER, SignatureV4, getCanonicalHeaders } from '@smithy/signature-v4';
import { SIGNATURE_MISMATCH, authRefusal } from '../errors.js';
import type { Credential } from './credentials.js';

/**
 * AWS Signature Version 4 verification of the Authorization header (docs/security.md).
 *
 * The signature is recomputed with `@smithy/signature-v4` — the signer the AWS SDK itself uses —
 * over a request rebuilt from the bytes received: the method, the raw path (still
 * percent-encoded; the signer encodes it once more, as every non-S3 client does), the query, the
 * headers named in SignedHeaders and nothing else, and a payload hash computed here from the raw
 * body. A client's `x-amz-content-sha256` is never trusted: when present it must equal that hash.
 *
 * The credential scope must name the service of the operation the request is for (docs/security.md,
 * "Service name per operation"): `omics` for the HealthOmics routes, `logs` for CloudWatch Logs'
 * GetLogEvents. A signature is only ever checked against that one service, so a request signed for
 * one service is refused by the operations of the other.
 */

/** The service name of every HealthOmics operation's credential scope. */
export const SERVICE = 'omics';
/** How far the request date may be from the server's clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) =>
  typeof d === 'string' ? Buffer.from(d, 'utf8') : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/** The hash the signer is built with: SHA-256, or HMAC-SHA256 when given a key (node:crypto). */
class Sha256 {
  private h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData) {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}

/** What the verifier needs of a received request, as it came off the wire. */
export interface ReceivedRequest {
  method: string;
  /** The request target exactly as received (`request.raw.url`): undecoded path and query. */
  url: string;
  /** Node's `rawHeaders`: names and values in arrival order, duplicates kept. */
  rawHeaders: string[];
}

/** A request whose Authorization header parsed and whose key, scope and date are acceptable. */
export interface PendingSignature {
  credential: Credential;
  /** The service name the signature was made for (and is verified with). */
  service: string;
  signedHeaders: string[];
  signature: string;
  signingDate: Date;
  /** Whether the date came from `Date` rather than `x-amz-date` (the signer cannot rebuild that case). */
  dateFromDateHeader: boolean;
  headers: Map<string, string[]>;
  method: string;
  url: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/omics/aws4_request, SignedHeaders=a;b, Signature=hex` */
function parseAuthorization(value: string) {
  const incomplete = (why: string) => authRefusal('IncompleteSignatureException', why);
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    throw incomplete(`Unsupported Authorization algorithm: only ${ALGORITHM_IDENTIFIER} (Signature Version 4) is accepted.`);
  }
  const params = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0 || params.has(p.slice(0, eq))) throw incomplete('The Authorization header is malformed: expected Credential=…, SignedHeaders=…, Signature=… once each.');
    params.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((k) => !params.get(k));
  if (missing.length || params.size !== 3) {
    throw incomplete(`The Authorization header requires the parameters Credential, SignedHeaders and Signature${missing.length ? ` (missing: ${missing.join(', ')})` : ' and no others'}.`);
  }
  const scope = params.get('Credential')!.split('/');
  if (scope.length !== 5 || scope.some((s) => s === '') || scope[4] !== 'aws4_request' || !/^\d{8}$/.test(scope[1])) {
    throw incomplete('The Credential parameter must be ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.');
  }
  const signedHeaders = params.get('SignedHeaders')!.split(';');
  if (signedHeaders.some((h) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h))) {
    throw incomplete('SignedHeaders must be a ;-separated list of lowercase header names.');
  }
  const [accessKeyId, scopeDate, region, service] = scope;
  return { accessKeyId, scopeDate, region, service, signedHeaders, signature: params.get('Signature')! };
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** ISO 8601 basic format, as in x-amz-date and the string to sign. */
const longDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return longDate(d) === value ? d : undefined;
}

/** RFC 3986 decoding of one query component; a malformed escape is kept as it came (and then will not verify). */
function decode(s: string) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The query as the signer wants it: decoded keys and values, repeated keys as arrays. `+` stays `+`. */
function parseQuery(qs: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return query;
}

/** Header values by lowercase name, in arrival order (a repeated header keeps every value). */
export function headerMap(rawHeaders: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const values = map.get(name);
    if (values) values.push(rawHeaders[i + 1]);
    else map.set(name, [rawHeaders[i + 1]]);
  }
  return map;
}

/** Signer subclass for the one case `sign()` cannot rebuild: a signed `Date` header (it strips `date`). */
class Resigner extends SignatureV4 {
  async signatureOver(request: Parameters<Resigner['createCanonicalRequest']>[0], payloadHash: string, signingDate: Date, region: string, service: string) {
    const canonicalHeaders = getCanonicalHeaders(request, undefined, new Set(Object.keys(request.headers)));
    const canonical = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    const date = longDate(signingDate);
    const stringToSign = await this.createStringToSign(date, `${date.slice(0, 8)}/${region}/${service}/aws4_request`, canonical, ALGORITHM_IDENTIFIER);
    return this.sign(stringToSign, { signingDate, signingRegion: region, signingService: service });
  }
}

export class SigV4Verifier {
  constructor(private opts: { region: string; lookup: (accessKeyId: string) => Credential | undefined; now?: () => number }) {}

  /**
   * Everything that needs no body: the Authorization header, the key, the scope and the date.
   * Runs before the body is read, so an unauthenticated client cannot make the server buffer one.
   * `service` is the service name the request's operation is signed for (SERVICE unless told).
   */
  precheck(req: ReceivedRequest, service: string = SERVICE): PendingSignature {
    const headers = headerMap(req.rawHeaders);
    const query = parseQuery(req.url.indexOf('?') < 0 ? '' : req.url.slice(req.url.indexOf('?') + 1));
    // Checked on decoded keys: the signer leaves any X-Amz-Signature out of the canonical query.
    if (Object.keys(query).some((k) => /^x-amz-(signature|credential|algorithm)$/i.test(k))) {
      throw authRefusal('IncompleteSignatureException', 'Query-string (presigned URL) authentication is not supported: sign the Authorization header.');
    }
    const auth = headers.get('authorization');
    if (!auth) throw authRefusal('MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (auth.length > 1) throw authRefusal('IncompleteSignatureException', 'The request carries more than one Authorization header.');
    const a = parseAuthorization(auth[0]);
    if (!a.signedHeaders.includes('host')) {
      throw authRefusal('IncompleteSignatureException', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }
    // The request time: x-amz-date, else Date (RFC 7231), whichever is there; it must be signed.
    const amzDate = headers.get('x-amz-date');
    let signingDate: Date | undefined;
    let dateFromDateHeader = false;
    if (amzDate) {
      signingDate = parseAmzDate(amzDate[0]);
      if (!signingDate || amzDate.length > 1) throw authRefusal('IncompleteSignatureException', "X-Amz-Date must be one date in ISO 8601 basic format, e.g. '20260101T120000Z'.");
    } else if (headers.get('date')) {
      const ms = Date.parse(headers.get('date')![0]);
      if (Number.isNaN(ms)) throw authRefusal('IncompleteSignatureException', 'The Date header is not an HTTP date.');
      if (!a.signedHeaders.includes('date')) throw authRefusal('IncompleteSignatureException', "'Date' must be a 'SignedHeader' when it dates the request.");
      signingDate = new Date(Math.floor(ms / 1000) * 1000);
      dateFromDateHeader = true;
    } else {
      throw authRefusal('IncompleteSignatureException', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }

    for (const name of a.signedHeaders) {
      if (!headers.has(name)) throw authRefusal('IncompleteSignatureException', `The signed header '${name}' is not in the request.`);
    }

    const credential = this.opts.lookup(a.accessKeyId);
    if (!credential) throw authRefusal('UnrecognizedClientException', 'The security token included in the request is invalid.');
    // Keys from the credentials file have no session tokens: a token cannot be valid for one.
    if (headers.has('x-amz-security-token')) throw authRefusal('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (a.service !== service) throw authRefusal('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'.`);
    if (a.region !== this.opts.region) throw authRefusal('InvalidSignatureException', 'Credential should be scoped to a valid region.');
    const date = longDate(signingDate);
    if (a.scopeDate !== date.slice(0, 8)) {
      throw authRefusal('InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${a.scopeDate}' != '${date.slice(0, 8)}', from '${date}'.`);
    }
    const now = this.opts.now?.() ?? Date.now();
    if (signingDate.getTime() < now - MAX_SKEW_MS) {
      throw authRefusal('InvalidSignatureException', `Signature expired: ${date} is now earlier than ${longDate(new Date(now - MAX_SKEW_MS))} (${longDate(new Date(now))} - 15 min.)`);
    }
    if (signingDate.getTime() > now + MAX_SKEW_MS) {
      throw authRefusal('InvalidSignatureException', `Signature not yet current: ${date} is still later than ${longDate(new Date(now + MAX_SKEW_MS))} (${longDate(new Date(now))} + 15 min.)`);
    }
    return { credential, service, signedHeaders: a.signedHeaders, signature: a.signature, signingDate, dateFromDateHeader, headers, method: req.method, url: req.url };
  }

  /** Recomputes the signature over the request and the raw body bytes; returns the caller's credential. */
  async verify(p: PendingSignature, body: Buffer | undefined): Promise<Credential> {
    const payloadHash = body && body.length ? createHash('sha256').update(body).digest('hex') : EMPTY_SHA256;
    const claimed = p.headers.get('x-amz-content-sha256');
    if (claimed && (claimed.length !== 1 || claimed[0].trim() !== payloadHash)) throw authRefusal('InvalidSignatureException', SIGNATURE_MISMATCH);

    const q = p.url.indexOf('?');
    const headers: Record<string, string> = {};
    // Exactly the signed headers; a repeated header's values are joined with ',' (SigV4 canonical form).
    for (const name of p.signedHeaders) headers[name] = p.headers.get(name)!.map((v) => v.trim()).join(',');
    if (headers['x-amz-content-sha256'] !== undefined) headers['x-amz-content-sha256'] = payloadHash;
    const request = {
      method: p.method,
      protocol: 'http:',
      hostname: headers.host,
      path: q < 0 ? p.url : p.url.slice(0, q),
      query: parseQuery(q < 0 ? '' : p.url.slice(q + 1)),
      headers,
      body: body && body.length ? body : undefined,
    };
    const signer = new Resigner({
      service: p.service,
      region: this.opts.region,
      credentials: { accessKeyId: p.credential.accessKeyId, secretAccessKey: p.credential.secretAccessKey },
      sha256: Sha256,
      uriEscapePath: true,
      // The payload hash is ours: the signer must not add an x-amz-content-sha256 the client did not sign.
      applyChecksum: false,
    });
    let expected: string;
    if (p.dateFromDateHeader || p.signedHeaders.includes('date')) {
      expected = await signer.signatureOver(request, payloadHash, p.signingDate, this.opts.region, p.service);
    } else {
      const signed = await signer.sign(request, {
        signingDate: p.signingDate,
        signableHeaders: new Set(p.signedHeaders),
        // sign() adds x-amz-date itself; keep it out of the canonical headers when the client did not sign it.
        unsignableHeaders: new Set(p.signedHeaders.includes('x-amz-date') ? [] : ['x-amz-date']),
      });
      const m = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization));
      if (!m) throw new Error('the SigV4 signer produced no signature');
      expected = m[1];
    }
    if (!/^[0-9a-f]{64}$/.test(p.signature) || !timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(p.signature, 'latin1'))) {
      throw authRefusal('InvalidSignatureException', SIGNATURE_MISMATCH);
    }
    return p.credential;
  }
}
