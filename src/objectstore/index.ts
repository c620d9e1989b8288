import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectNotFoundError, ObjectRequestError } from './errors.js';
import { FsObjectStore } from './fs-object-store.js';
import { parseS3Uri, type ObjectInfo, type ObjectStore, type S3Location } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ObjectAccessDeniedError } from './errors.js';
import { formatS3Uri } from './object-store.js';

export * from './object-store.js';
export * from './errors.js';
export { FsObjectStore } from './fs-object-store.js';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.js';

/** S3 (or an S3-compatible server) when `s3Endpoint` is set, else the embedded store at `<dataDir>/objects`. */
export function createObjectStore(opts: { dataDir: string; s3Endpoint?: string; region: string }): ObjectStore {
  if (opts.s3Endpoint) return new S3ObjectStore({ endpoint: opts.s3Endpoint, region: opts.region });
  return new FsObjectStore(join(opts.dataDir, 'objects'));
}

/** Streams a local file to `uri` (used by `omicsd s3 cp FILE s3://bucket/key`). */
export async function copyFileToStore(
  store: ObjectStore,
  localPath: string,
  uri: string,
): Promise<ObjectInfo & { location: S3Location }> {
  const location = parseS3Uri(uri, 'destination');
  const st = await stat(localPath).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new ObjectNotFoundError(`No such file: ${localPath}`) : err;
  });
  if (!st.isFile()) throw new ObjectRequestError(`Not a regular file: ${localPath}`);
  if (st.size === 0) return { ...(await store.write(location, Buffer.alloc(0), { contentLength: 0 })), location };
  // Bound the read to the size we announce, so a file still growing cannot overrun contentLength.
  const body = createReadStream(localPath, { start: 0, end: st.size - 1 });
  try {
    return { ...(await store.write(location, body, { contentLength: st.size })), location };
  } finally {
    body.destroy();
  }
}

/**
 * Streams the object at `loc` into the local file `localPath` (used by `omicsd s3 cp s3://bucket/key FILE`).
 * The bytes go to a temporary file in the same folder (`.omicsd-download-<random>`), are synced, and the
 * temporary file is renamed over `localPath` only once the whole object arrived: `localPath` never holds a
 * partial object, and an existing symbolic link at `localPath` is replaced, not followed. The folder must exist.
 */
export async function copyObjectToFile(store: ObjectStore, loc: S3Location, localPath: string): Promise<ObjectInfo> {
  const { info, body } = await store.read(loc);
  const tmp = join(dirname(localPath), `.omicsd-download-${randomBytes(8).toString('hex')}`);
  let fh: FileHandle | undefined;
  let renamed = false;
  try {
    fh = await open(tmp, 'wx').catch((err: unknown) => {
      throw localFileError(err, localPath);
    });
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > info.size) break;
      for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
    }
    if (size !== info.size) {
      const got = size > info.size ? `more than ${info.size}` : String(size);
      throw new ObjectRequestError(`Cannot download ${formatS3Uri(loc)}: received ${got} bytes, but the object has ${info.size}`);
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, localPath).catch((err: unknown) => {
      throw localFileError(err, localPath);
    });
    renamed = true;
    return info;
  } finally {
    const stream = body as NodeJS.ReadableStream & { destroy?: () => void };
    stream.destroy?.();
    await fh?.close().catch(() => {});
    if (!renamed) await unlink(tmp).catch(() => {});
  }
}

/** A local file system error of copyObjectToFile as an object store error naming the local path. */
function localFileError(err: unknown, localPath: string): unknown {
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined;
  switch (code) {
    case 'ENOENT':
      return new ObjectNotFoundError(`No such folder: ${dirname(localPath)}`);
    case 'ENOTDIR':
      return new ObjectRequestError(`Not a folder: ${dirname(localPath)}`);
    case 'EISDIR':
    case 'ENOTEMPTY':
    case 'EEXIST':
      return new ObjectRequestError(`Is a folder: ${localPath}`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ObjectAccessDeniedError(`Permission denied: ${localPath}`);
    default:
      return err;
  }
}
