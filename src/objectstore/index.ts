import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectNotFoundError, ObjectRequestError } from './errors.js';
import { FsObjectStore } from './fs-object-store.js';
import { parseS3Uri, type ObjectInfo, type ObjectStore, type S3Location } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';

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
