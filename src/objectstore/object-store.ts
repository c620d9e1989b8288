import { ObjectRequestError } from './errors.js';

export * from './errors.js';

export interface S3Location {
  bucket: string;
  key: string;
}

/** `etag` keeps the surrounding double quotes, as S3 sends it. */
export interface ObjectInfo {
  etag: string;
  size: number;
}

export type ObjectBody = NodeJS.ReadableStream & AsyncIterable<Buffer>;

export interface ReadOptions {
  /** Pin the read to this ETag (ObjectChangedError otherwise). */
  ifMatch?: string;
  /** Only bytes [start, end) of the object; `info.size` is then the length of that range. */
  range?: { start: number; end: number };
}

export interface ObjectStore {
  /** Metadata; throws ObjectNotFoundError for a missing bucket/object, ObjectAccessDeniedError for 403. */
  head(loc: S3Location): Promise<ObjectInfo>;
  /**
   * Streams the object. With ifMatch, the read is pinned to that ETag; on mismatch throws ObjectChangedError.
   * The caller must consume or destroy `body`, or the underlying file/socket stays open.
   */
  read(loc: S3Location, options?: ReadOptions): Promise<{ info: ObjectInfo; body: ObjectBody }>;
  /** Writes (creating the bucket if the backend allows); streams, never buffers a large body in memory. */
  write(
    loc: S3Location,
    body: Buffer | string | NodeJS.ReadableStream,
    options?: { contentLength?: number },
  ): Promise<ObjectInfo>;
  /** Lists objects under a prefix (all pages). */
  list(bucket: string, prefix: string): AsyncIterable<{ key: string; size: number; etag: string }>;
  /**
   * A URL anyone may GET the object with for `expiresIn` seconds, signed by the store itself (an S3
   * presigned URL); absent for a store that clients cannot reach (the embedded one).
   */
  presignGet?(loc: S3Location, expiresIn: number): Promise<string>;
  close(): Promise<void>;
}

/** Compares ETags ignoring surrounding quotes, so `abc` and `"abc"` match. */
export function sameEtag(a: string, b: string): boolean {
  return unquote(a) === unquote(b);
}

export function quoteEtag(etag: string): string {
  return `"${unquote(etag)}"`;
}

function unquote(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const MAX_KEY_BYTES = 1024;

/** Why `bucket` is not a valid S3 bucket name, or undefined when it is. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return 'bucket names must be 3 to 63 characters long';
  if (!BUCKET_CHARS.test(bucket)) {
    return 'bucket names may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit';
  }
  if (bucket.includes('..')) return 'bucket names must not contain two adjacent dots';
  if (IPV4.test(bucket)) return 'bucket names must not be formatted as an IP address';
  return undefined;
}

/** Why `key` is not a valid S3 object key (backend-independent rules), or undefined when it is. */
export function keyProblem(key: string): string | undefined {
  if (key === '') return 'the object key is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `object keys must be at most ${MAX_KEY_BYTES} bytes (UTF-8)`;
  if (key.includes('\0')) return 'object keys must not contain NUL characters';
  // A lone surrogate cannot be encoded as UTF-8; it would silently become U+FFFD and alias another key.
  if (LONE_SURROGATE.test(key)) return 'object keys must be valid Unicode';
  return undefined;
}

/** Renders a user-supplied value for an error message: quoted, control characters escaped, bounded length. */
export function describeValue(value: string): string {
  const shown = value.length > 200 ? `${value.slice(0, 200)}...` : value;
  return JSON.stringify(shown);
}

/** Parses `s3://bucket/key`; throws ObjectRequestError naming `field` when the URI is not acceptable. */
export function parseS3Uri(uri: string, field: string, options: { allowEmptyKey?: boolean } = {}): S3Location {
  const fail = (reason: string) => new ObjectRequestError(`Invalid ${field} ${describeValue(uri)}: ${reason}`);
  if (typeof uri !== 'string' || !uri.startsWith('s3://')) throw fail('expected an S3 URI of the form s3://bucket/key');
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw fail('the bucket name is missing');
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) throw fail(bucketProblem);
  if (key === '') {
    if (options.allowEmptyKey) return { bucket, key };
    throw fail('the object key is missing (expected s3://bucket/key)');
  }
  const problem = keyProblem(key);
  if (problem) throw fail(problem);
  return { bucket, key };
}

export function formatS3Uri(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}
