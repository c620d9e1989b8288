/*
 * Embedded object store on the local filesystem.
 *
 * Layout under rootDir:
 *   <bucket>/data/<key>   object content; key segments map 1:1 to path segments
 *   <bucket>/meta/<key>   JSON sidecar {etag, size, fp}, a tree mirroring data/ (so it can only conflict
 *                         where data/ would conflict too, and never with a user key)
 * Temporary files are `.omicsd-tmp-<random>` in the destination folder; that segment prefix is reserved
 * (keys using it are rejected, list skips them).
 *
 * `fp` fingerprints the content file (inode, size, mtime ns). A sidecar whose fp differs from the file's
 * (the file was replaced or edited by hand) is ignored: the MD5 is recomputed by streaming and the sidecar
 * refreshed, so the ETag changes whenever content changes. Because a filesystem cannot hold both `a` and
 * `a/b`, such keys conflict (ObjectRequestError), unlike real S3.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc, type BigIntStats } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { ObjectAccessDeniedError, ObjectChangedError, ObjectNotFoundError, ObjectRequestError } from './errors.js';
import {
  bucketNameProblem,
  describeValue,
  formatS3Uri,
  keyProblem,
  sameEtag,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type S3Location,
  type ReadOptions,
} from './object-store.js';

const TMP_PREFIX = '.omicsd-tmp-';
const CHUNK = 1024 * 1024;
/** Files modified this recently may still be being written; don't persist a recomputed ETag for them (cf. git's "racy clean"). */
const RACY_MS = 2000;

interface Meta {
  etag: string;
  size: number;
  fp: string;
}

interface Paths {
  data: string;
  meta: string;
  metaRoot: string;
}

const fingerprint = (st: BigIntStats) => `${st.ino}:${st.size}:${st.mtimeNs}`;

const errCode = (err: unknown): string | undefined =>
  err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined;

/** Backend-specific key rules: the key must map to a path that stays inside the bucket's folder. */
function fsKeyProblem(key: string): string | undefined {
  const generic = keyProblem(key);
  if (generic) return generic;
  if (key.includes('\\')) return 'object keys must not contain backslashes';
  if (key.startsWith('/')) return 'object keys must not start with "/"';
  for (const segment of key.split('/')) {
    if (segment === '') return 'object keys must not contain empty path segments ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'object keys must not contain "." or ".." path segments';
    if (segment.startsWith(TMP_PREFIX)) return `path segments starting with "${TMP_PREFIX}" are reserved`;
  }
  return undefined;
}

export class FsObjectStore implements ObjectStore {
  constructor(readonly rootDir: string) {}

  async head(loc: S3Location): Promise<ObjectInfo> {
    const paths = this.paths(loc);
    const fh = await this.openObject(loc, paths.data);
    try {
      return (await this.describe(fh, paths, loc)).info;
    } finally {
      await fh.close();
    }
  }

  async read(loc: S3Location, options: ReadOptions = {}): Promise<{ info: ObjectInfo; body: ObjectBody }> {
    const paths = this.paths(loc);
    // Open first and describe through the fd: a rename over the path after this point cannot change what we stream.
    const fh = await this.openObject(loc, paths.data);
    try {
      const { info, fp } = await this.describe(fh, paths, loc);
      if (options.ifMatch !== undefined && !sameEtag(options.ifMatch, info.etag)) {
        throw new ObjectChangedError(options.ifMatch, info.etag);
      }
      const start = Math.min(options.range?.start ?? 0, info.size);
      const end = Math.min(options.range?.end ?? info.size, info.size);
      const body = Readable.from(streamHandle(fh, info, fp, start, Math.max(start, end)), { objectMode: false });
      body.once('close', () => void fh.close().catch(() => {}));
      return { info: options.range ? { ...info, size: Math.max(0, end - start) } : info, body };
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  async write(
    loc: S3Location,
    body: Buffer | string | NodeJS.ReadableStream,
    options: { contentLength?: number } = {},
  ): Promise<ObjectInfo> {
    const paths = this.paths(loc);
    const dir = dirname(paths.data);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      if (errCode(err) === 'ENOTDIR' || errCode(err) === 'EEXIST') {
        throw new ObjectRequestError(`Cannot write ${formatS3Uri(loc)}: a prefix of the key is an existing object`);
      }
      throw this.mapFsError(err, loc);
    }
    const tmp = join(dir, TMP_PREFIX + randomBytes(8).toString('hex'));
    let fh: FileHandle;
    try {
      fh = await open(tmp, 'wx');
    } catch (err) {
      throw this.mapFsError(err, loc);
    }
    let closed = false;
    let renamed = false;
    try {
      const hash = createHash('md5');
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await writeAll(fh, buf);
      };
      const expected = options.contentLength;
      const lengthError = (actual: string) =>
        new ObjectRequestError(`Cannot write ${formatS3Uri(loc)}: body is ${actual} bytes but contentLength is ${expected}`);
      for await (const chunk of toChunks(body)) {
        hash.update(chunk);
        size += chunk.length;
        if (expected !== undefined && size > expected) throw lengthError(`more than ${expected}`);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= CHUNK) await flush();
      }
      await flush();
      if (expected !== undefined && size !== expected) throw lengthError(String(size));
      await fh.sync();
      try {
        await rename(tmp, paths.data);
      } catch (err) {
        if (errCode(err) === 'EISDIR' || errCode(err) === 'ENOTEMPTY' || errCode(err) === 'ENOTDIR') {
          throw new ObjectRequestError(`Cannot write ${formatS3Uri(loc)}: other objects exist under the prefix "${loc.key}/"`);
        }
        throw err;
      }
      renamed = true;
      // fstat our own inode: a concurrent replacement of the path must not get our ETag.
      const st = await fh.stat({ bigint: true });
      await fh.close();
      closed = true;
      const info = { etag: `"${hash.digest('hex')}"`, size };
      await this.writeMeta(paths, { ...info, fp: fingerprint(st) });
      return info;
    } catch (err) {
      if (!closed) await fh.close().catch(() => {});
      if (!renamed) await unlink(tmp).catch(() => {});
      throw this.mapFsError(err, loc);
    }
  }

  async *list(bucket: string, prefix: string): AsyncIterable<{ key: string; size: number; etag: string }> {
    const problem = bucketNameProblem(bucket);
    if (problem) throw new ObjectRequestError(`Invalid bucket name ${describeValue(bucket)}: ${problem}`);
    const dataRoot = join(this.rootDir, bucket, 'data');
    if (!(await isDirectory(dataRoot))) throw new ObjectNotFoundError(`The specified bucket does not exist: s3://${bucket}`);
    // Start the walk at the deepest folder the prefix names; only its last partial segment filters names.
    const cut = prefix.lastIndexOf('/') + 1;
    const dirSegments = prefix.slice(0, cut).split('/').slice(0, -1);
    // No valid key can lie under such a prefix (and it must not steer the walk outside the bucket).
    if (dirSegments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || s.includes('\0'))) return;
    yield* this.walk(bucket, join(dataRoot, ...dirSegments), prefix.slice(0, cut), prefix.slice(cut));
  }

  async close(): Promise<void> {}

  private async *walk(
    bucket: string,
    dir: string,
    keyPrefix: string,
    namePrefix: string,
  ): AsyncGenerator<{ key: string; size: number; etag: string }> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return;
      throw err;
    }
    const items: { name: string; isDir: boolean; sortKey: Buffer }[] = [];
    for (const entry of entries) {
      if (!entry.name.startsWith(namePrefix) || entry.name.startsWith(TMP_PREFIX)) continue;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        // Links placed by an operator are followed for files; linked folders are not walked (cycles).
        const st = await stat(join(dir, entry.name)).catch(() => undefined);
        isFile = !!st?.isFile();
        isDir = false;
      }
      if (!isDir && !isFile) continue;
      // Sorting "name/" for folders makes the depth-first walk yield keys in S3's UTF-8 byte order.
      items.push({ name: entry.name, isDir, sortKey: Buffer.from(isDir ? `${entry.name}/` : entry.name) });
    }
    items.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    for (const item of items) {
      const key = keyPrefix + item.name;
      if (item.isDir) {
        yield* this.walk(bucket, join(dir, item.name), `${key}/`, '');
        continue;
      }
      if (fsKeyProblem(key)) continue; // hand-placed names that could not be addressed by key
      const loc = { bucket, key };
      const paths = this.paths(loc);
      let fh: FileHandle;
      try {
        fh = await open(paths.data, fsc.O_RDONLY | fsc.O_NONBLOCK);
      } catch {
        continue; // removed since readdir
      }
      try {
        const { info } = await this.describe(fh, paths, loc);
        yield { key, size: info.size, etag: info.etag };
      } catch (err) {
        if (!(err instanceof ObjectNotFoundError)) throw err;
      } finally {
        await fh.close();
      }
    }
  }

  private paths(loc: S3Location): Paths {
    const bucketProblem = bucketNameProblem(loc.bucket);
    if (bucketProblem) throw new ObjectRequestError(`Invalid bucket name ${describeValue(loc.bucket)}: ${bucketProblem}`);
    const problem = fsKeyProblem(loc.key);
    if (problem) throw new ObjectRequestError(`Invalid object key ${describeValue(loc.key)}: ${problem}`);
    const segments = loc.key.split('/');
    const metaRoot = join(this.rootDir, loc.bucket, 'meta');
    return { data: join(this.rootDir, loc.bucket, 'data', ...segments), meta: join(metaRoot, ...segments), metaRoot };
  }

  private async openObject(loc: S3Location, path: string): Promise<FileHandle> {
    try {
      // O_NONBLOCK: a FIFO placed in the tree must not hang the open; it is a no-op for regular files.
      return await open(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
    } catch (err) {
      throw await this.missingOr(err, loc);
    }
  }

  /** The ETag/size of the open file, from the sidecar when it still describes this exact file, else recomputed. */
  private async describe(fh: FileHandle, paths: Paths, loc: S3Location): Promise<{ info: ObjectInfo; fp: string }> {
    let last: { info: ObjectInfo; fp: string } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await fh.stat({ bigint: true });
      if (!before.isFile()) throw await this.missing(loc);
      const fp = fingerprint(before);
      const size = Number(before.size);
      const meta = await readMeta(paths.meta);
      if (meta && meta.fp === fp) return { info: { etag: meta.etag, size }, fp };
      const etag = `"${await md5OfHandle(fh)}"`;
      last = { info: { etag, size }, fp };
      const after = await fh.stat({ bigint: true });
      if (fingerprint(after) !== fp) continue; // modified while hashing
      if (Date.now() - Number(after.mtimeMs) >= RACY_MS) await this.writeMeta(paths, { etag, size, fp });
      return last;
    }
    return last!;
  }

  /** Best effort: a missing sidecar only costs a recomputation. */
  private async writeMeta(paths: Paths, meta: Meta): Promise<void> {
    const path = paths.meta;
    const attempt = async () => {
      await mkdir(dirname(path), { recursive: true });
      const tmp = join(dirname(path), TMP_PREFIX + randomBytes(8).toString('hex'));
      try {
        await writeFile(tmp, JSON.stringify(meta), { flag: 'wx' });
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
    };
    try {
      await attempt();
    } catch {
      // Data files were rearranged by hand (a/b replaced by a, or the reverse), leaving stale sidecars in the way.
      try {
        await clearStaleMeta(paths);
        await attempt();
      } catch {
        /* keep serving; the ETag is recomputed next time */
      }
    }
  }

  private async missingOr(err: unknown, loc: S3Location): Promise<unknown> {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG') return this.missing(loc);
    return this.mapFsError(err, loc);
  }

  private async missing(loc: S3Location) {
    if (!(await isDirectory(join(this.rootDir, loc.bucket, 'data')))) {
      return new ObjectNotFoundError(`The specified bucket does not exist: s3://${loc.bucket}`);
    }
    return new ObjectNotFoundError(`The specified key does not exist: ${formatS3Uri(loc)}`);
  }

  private mapFsError(err: unknown, loc: S3Location): unknown {
    const code = errCode(err);
    if (code === 'EACCES' || code === 'EPERM') return new ObjectAccessDeniedError(`Access denied: ${formatS3Uri(loc)}`);
    if (code === 'ENAMETOOLONG') {
      return new ObjectRequestError(`Invalid object key ${describeValue(loc.key)}: a path segment is too long for the filesystem`);
    }
    return err;
  }
}

/** Removes sidecars sitting where the mirrored tree now needs a folder, or a folder where it needs a file. */
async function clearStaleMeta(paths: Paths): Promise<void> {
  const segments = relative(paths.metaRoot, paths.meta).split(sep);
  let current = paths.metaRoot;
  for (const segment of segments.slice(0, -1)) {
    current = join(current, segment);
    const st = await lstat(current).catch(() => undefined);
    if (!st) return;
    if (!st.isDirectory()) {
      await unlink(current);
      return;
    }
  }
  if ((await lstat(paths.meta).catch(() => undefined))?.isDirectory()) await rm(paths.meta, { recursive: true, force: true });
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function readMeta(path: string): Promise<Meta | undefined> {
  try {
    const meta = JSON.parse(await readFile(path, 'utf8')) as Partial<Meta>;
    return typeof meta.etag === 'string' && typeof meta.fp === 'string' ? (meta as Meta) : undefined;
  } catch {
    return undefined;
  }
}

async function md5OfHandle(fh: FileHandle): Promise<string> {
  const hash = createHash('md5');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let pos = 0; ; ) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash.digest('hex');
}

/** Streams bytes [start, end) from the fd, failing if the file is modified in place meanwhile. */
async function* streamHandle(fh: FileHandle, info: ObjectInfo, fp: string, start: number, end: number): AsyncGenerator<Buffer> {
  const changed = (how: string) => new ObjectChangedError(info.etag, `(file ${how} during read)`);
  for (let pos = start; pos < end; ) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, end - pos));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) throw changed('truncated');
    pos += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
  if (fingerprint(await fh.stat({ bigint: true })) !== fp) throw changed('modified');
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

async function* toChunks(body: Buffer | string | NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  if (typeof body === 'string') {
    yield Buffer.from(body, 'utf8');
  } else if (Buffer.isBuffer(body)) {
    yield body;
  } else {
    for await (const chunk of body) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  }
}
