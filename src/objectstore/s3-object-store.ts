import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import {
  ObjectAccessDeniedError,
  ObjectChangedError,
  ObjectNotFoundError,
  ObjectRequestError,
  ObjectStoreError,
} from './errors.js';
import {
  bucketNameProblem,
  describeValue,
  formatS3Uri,
  keyProblem,
  quoteEtag,
  sameEtag,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type S3Location,
  type ReadOptions,
} from './object-store.js';

export interface S3ObjectStoreOptions {
  endpoint?: string;
  region: string;
  /** Defaults to true when `endpoint` is set (S3-compatible servers rarely do virtual-hosted buckets). */
  forcePathStyle?: boolean;
  /** Multipart part size in bytes (min 5 MiB on AWS); default 64 MiB. */
  partSize?: number;
  /** ListObjectsV2 page size; default 1000. */
  listPageSize?: number;
}

/** PutObject's hard limit; larger or unknown-length bodies go multipart. */
const MAX_SINGLE_PUT = 5 * 1024 ** 3;
const MAX_PARTS = 10_000;
const PART_CONCURRENCY = 4;

interface AwsError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (err: unknown) => (err as AwsError | undefined)?.$metadata?.httpStatusCode;
const nameOf = (err: unknown) => (err as AwsError | undefined)?.name ?? (err as AwsError | undefined)?.Code;

export class S3ObjectStore implements ObjectStore {
  readonly client: S3Client;
  private readonly partSize: number;
  private readonly listPageSize: number;
  private readonly knownBuckets = new Set<string>();

  constructor(options: S3ObjectStoreOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      // Default checksums use aws-chunked uploads with trailers, which S3-compatible servers (s3rver) store verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.partSize = options.partSize ?? 64 * 1024 * 1024;
    this.listPageSize = options.listPageSize ?? 1000;
  }

  async head(loc: S3Location): Promise<ObjectInfo> {
    checkLocation(loc);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      return { etag: res.ETag ?? '', size: res.ContentLength ?? 0 };
    } catch (err) {
      throw mapError(err, loc);
    }
  }

  async read(loc: S3Location, options: ReadOptions = {}): Promise<{ info: ObjectInfo; body: ObjectBody }> {
    checkLocation(loc);
    const expected = options.ifMatch;
    const range = options.range;
    // "bytes=5-4" is not a valid range, and S3 ignores an invalid Range header (answering with the whole object).
    if (range && range.end <= range.start) return this.emptyRead(loc, expected);
    let res;
    try {
      res = await this.client.send(
        new GetObjectCommand({
          Bucket: loc.bucket,
          Key: loc.key,
          IfMatch: expected === undefined ? undefined : quoteEtag(expected),
          Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined,
        }),
      );
    } catch (err) {
      if (expected !== undefined && (statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed')) {
        throw new ObjectChangedError(expected, (await this.head(loc)).etag);
      }
      // 416: the range starts at or beyond the end of the object; like a file read there, that is zero bytes.
      if (range && (statusOf(err) === 416 || nameOf(err) === 'InvalidRange')) return this.emptyRead(loc, expected);
      throw mapError(err, loc);
    }
    const body = res.Body as Readable | undefined;
    const info = { etag: res.ETag ?? '', size: res.ContentLength ?? 0 };
    // Not every S3-compatible server honours If-Match (s3rver ignores it), so check what was actually returned.
    if (expected !== undefined && !sameEtag(expected, info.etag)) {
      body?.destroy();
      throw new ObjectChangedError(expected, info.etag);
    }
    return { info, body: body ?? Readable.from([]) };
  }

  /** A read of zero bytes of an existing object, still honouring ifMatch. */
  private async emptyRead(loc: S3Location, expected: string | undefined): Promise<{ info: ObjectInfo; body: ObjectBody }> {
    const info = await this.head(loc);
    if (expected !== undefined && !sameEtag(expected, info.etag)) throw new ObjectChangedError(expected, info.etag);
    return { info: { ...info, size: 0 }, body: Readable.from([]) };
  }

  async write(
    loc: S3Location,
    body: Buffer | string | NodeJS.ReadableStream,
    options: { contentLength?: number } = {},
  ): Promise<ObjectInfo> {
    checkLocation(loc);
    await this.ensureBucket(loc);
    try {
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
        if (options.contentLength !== undefined && options.contentLength !== buf.length) {
          throw new ObjectRequestError(
            `Cannot write ${formatS3Uri(loc)}: body is ${buf.length} bytes but contentLength is ${options.contentLength}`,
          );
        }
        return await this.putObject(loc, buf, buf.length);
      }
      const length = options.contentLength;
      if (length !== undefined && length <= MAX_SINGLE_PUT) return await this.putStream(loc, body, length);
      return await this.multipartUpload(loc, body, length);
    } catch (err) {
      throw err instanceof ObjectStoreError ? err : mapError(err, loc);
    }
  }

  async *list(bucket: string, prefix: string): AsyncIterable<{ key: string; size: number; etag: string }> {
    // ListObjects (V1) paged by Marker rather than V2 continuation tokens: s3rver builds V2 tokens with DES,
    // which OpenSSL 3 (Node >= 17) refuses, so every truncated V2 page fails there. Without a delimiter the two
    // versions list the same keys, and V1 is served by AWS and every S3-compatible server we know of.
    checkBucket(bucket);
    let marker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker, MaxKeys: this.listPageSize }),
        );
      } catch (err) {
        throw mapError(err, { bucket, key: prefix });
      }
      const contents = page.Contents ?? [];
      for (const obj of contents) {
        yield { key: obj.Key ?? '', size: obj.Size ?? 0, etag: obj.ETag ?? '' };
      }
      const last = contents.at(-1)?.Key;
      if (!page.IsTruncated || last === undefined) return;
      marker = page.NextMarker ?? last;
    }
  }

  presignGet(loc: S3Location, expiresIn: number) {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }), { expiresIn });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async putObject(
    loc: S3Location,
    body: Buffer | Readable,
    length: number,
    abortSignal?: AbortSignal,
  ): Promise<ObjectInfo> {
    const res = await this.client.send(
      new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: body, ContentLength: length }),
      { abortSignal },
    );
    return { etag: res.ETag ?? '', size: length };
  }

  /**
   * PUTs a stream that must be exactly `length` bytes. The SDK pipes the body without an error listener, so
   * body failures (upstream errors, wrong length) are caught here and turned into an aborted request instead
   * of an uncaught stream error. The last chunk is held back until the length is known to be right, so a
   * wrong-length body never delivers a complete request the server could store.
   */
  private async putStream(loc: S3Location, body: NodeJS.ReadableStream, length: number): Promise<ObjectInfo> {
    const abort = new AbortController();
    let failure: unknown;
    const lengthError = (actual: string) =>
      new ObjectRequestError(`Cannot write ${formatS3Uri(loc)}: body is ${actual} bytes but contentLength is ${length}`);
    async function* checked(): AsyncGenerator<Buffer> {
      let seen = 0;
      let held: Buffer | undefined;
      try {
        for await (const raw of body) {
          const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
          if (chunk.length === 0) continue;
          seen += chunk.length;
          if (seen > length) throw lengthError(`more than ${length}`);
          if (held) yield held;
          held = chunk;
        }
        if (seen !== length) throw lengthError(String(seen));
      } catch (err) {
        failure = err;
        abort.abort();
        return;
      }
      if (held) yield held;
    }
    try {
      const info = await this.putObject(loc, Readable.from(checked(), { objectMode: false }), length, abort.signal);
      if (failure) throw failure;
      return info;
    } catch (err) {
      throw failure ?? err;
    }
  }

  /** Multipart upload holding at most PART_CONCURRENCY + 1 parts in memory. */
  private async multipartUpload(
    loc: S3Location,
    body: NodeJS.ReadableStream,
    length: number | undefined,
  ): Promise<ObjectInfo> {
    const partSize = length === undefined ? this.partSize : Math.max(this.partSize, Math.ceil(length / MAX_PARTS));
    const parts = chunkParts(body, partSize);
    const first = await parts.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    if (firstPart.length < partSize) {
      // The whole body fit in one part: a plain PUT is simpler and gives a plain MD5 ETag.
      checkLength(loc, firstPart.length, length);
      return this.putObject(loc, firstPart, firstPart.length);
    }
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key }));
    const uploadId = created.UploadId!;
    const completed: CompletedPart[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let total = 0;
    let partNumber = 0;
    const upload = (buf: Buffer) => {
      const number = ++partNumber;
      if (number > MAX_PARTS) throw new ObjectRequestError(`Cannot write ${formatS3Uri(loc)}: body exceeds ${MAX_PARTS} parts`);
      total += buf.length;
      // Never rejects (a rejection while we await the source would be unhandled); failures are recorded instead.
      const p: Promise<void> = this.client
        .send(
          new UploadPartCommand({
            Bucket: loc.bucket,
            Key: loc.key,
            UploadId: uploadId,
            PartNumber: number,
            Body: buf,
            ContentLength: buf.length,
          }),
        )
        .then(
          (res) => void completed.push({ PartNumber: number, ETag: res.ETag }),
          (error: unknown) => void (failure ??= { error }),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    const check = () => {
      if (failure) throw failure.error;
    };
    try {
      upload(firstPart);
      for (let next = await parts.next(); !next.done; next = await parts.next()) {
        while (inFlight.size >= PART_CONCURRENCY) await Promise.race(inFlight);
        check();
        upload(next.value);
      }
      await Promise.all(inFlight);
      check();
      checkLength(loc, total, length);
      completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
      const res = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: loc.bucket,
          Key: loc.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
      return { etag: res.ETag ?? '', size: total };
    } catch (err) {
      await parts.return(undefined).catch(() => {});
      await Promise.all(inFlight);
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: loc.key, UploadId: uploadId }))
        .catch(() => {});
      throw err;
    }
  }

  /** Creates the bucket on first write when it does not exist; permission problems are left to the PUT to report. */
  private async ensureBucket(loc: S3Location): Promise<void> {
    if (this.knownBuckets.has(loc.bucket)) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: loc.bucket }));
    } catch (err) {
      if (statusOf(err) !== 404) return;
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: loc.bucket }));
      } catch (createErr) {
        if (nameOf(createErr) !== 'BucketAlreadyOwnedByYou') throw mapError(createErr, loc);
      }
    }
    this.knownBuckets.add(loc.bucket);
  }
}

/**
 * The backend-independent bucket and key rules, checked before anything is sent: the SDK would otherwise turn an
 * empty key into a bucket-level request, and a lone surrogate into U+FFFD (another key) or a URIError.
 */
function checkLocation(loc: S3Location): void {
  checkBucket(loc.bucket);
  const problem = keyProblem(loc.key);
  if (problem) throw new ObjectRequestError(`Invalid object key ${describeValue(loc.key)}: ${problem}`);
}

function checkBucket(bucket: string): void {
  const problem = bucketNameProblem(bucket);
  if (problem) throw new ObjectRequestError(`Invalid bucket name ${describeValue(bucket)}: ${problem}`);
}

function checkLength(loc: S3Location, actual: number, expected: number | undefined) {
  if (expected !== undefined && actual !== expected) {
    throw new ObjectRequestError(`Cannot write ${formatS3Uri(loc)}: body is ${actual} bytes but contentLength is ${expected}`);
  }
}

/** Re-chunks a stream into buffers of exactly `size` bytes (the last may be shorter). */
async function* chunkParts(body: NodeJS.ReadableStream, size: number): AsyncGenerator<Buffer, void, undefined> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const raw of body) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    while (pendingBytes + chunk.length >= size) {
      const take = size - pendingBytes;
      pending.push(chunk.subarray(0, take));
      yield Buffer.concat(pending, size);
      pending = [];
      pendingBytes = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

function mapError(err: unknown, loc: S3Location): unknown {
  const name = nameOf(err);
  const status = statusOf(err);
  if (name === 'NoSuchBucket') return new ObjectNotFoundError(`The specified bucket does not exist: s3://${loc.bucket}`);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new ObjectNotFoundError(`The specified key does not exist: ${formatS3Uri(loc)}`);
  }
  if (status === 403 || name === 'AccessDenied') {
    const detail = name && name !== 'AccessDenied' && name !== 'Forbidden' ? ` (${name})` : '';
    return new ObjectAccessDeniedError(`Access denied: ${formatS3Uri(loc)}${detail}`);
  }
  return err;
}
