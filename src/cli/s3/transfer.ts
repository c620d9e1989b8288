/*
 * One copy of `omicsd s3 cp`, streamed: a local file into the object store, or an object into a local file.
 * Neither holds a whole file in memory; a download lands under its final name only once complete.
 */
import { constants as fsc } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import {
  copyObjectToFile,
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStore,
} from '../../objectstore/index.js';
import { shown, uri } from './locations.js';
import { errCode, localProblem } from './messages.js';
import type { Download, Upload } from './plan.js';

export async function upload(store: ObjectStore, t: Upload): Promise<ObjectInfo> {
  // O_NOFOLLOW for walked files: a link put in place of a file since the walk is refused, not followed.
  // O_NONBLOCK: a FIFO put there instead does not hang the open; it changes nothing for a regular file.
  const flags = fsc.O_RDONLY | fsc.O_NONBLOCK | (t.walked ? fsc.O_NOFOLLOW : 0);
  const fh = await open(t.from, flags).catch((err: unknown) => {
    throw new Error(localProblem(err));
  });
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new Error('is a folder (add --recursive to copy what is in it)');
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size === 0) return await store.write(t.to, Buffer.alloc(0), { contentLength: 0 });
    // Bounded to the size announced, so a file still growing cannot overrun contentLength.
    const body = fh.createReadStream({ start: 0, end: st.size - 1, autoClose: false });
    try {
      return await store.write(t.to, body, { contentLength: st.size });
    } finally {
      body.destroy();
    }
  } finally {
    await fh.close().catch(() => {});
  }
}

export async function download(store: ObjectStore, t: Download): Promise<ObjectInfo> {
  if (t.below) await makeFolders(t.below.dir, t.below.segments.slice(0, -1));
  else await mkdir(path.dirname(t.to), { recursive: true }).catch((err: unknown) => {
    throw new Error(localProblem(err, path.dirname(t.to)));
  });
  try {
    return await copyObjectToFile(store, t.from, t.to);
  } catch (err) {
    if (t.named && err instanceof ObjectNotFoundError && (await hasObjectsUnder(store, t.from.bucket, `${t.from.key}/`))) {
      throw new ObjectNotFoundError(`${err.message} (objects exist under ${shown(uri(t.from))}/: add --recursive to copy them)`);
    }
    throw err;
  }
}

/**
 * Creates `dir` (with its parents: the user named it) and then each of `segments` below it, one at a
 * time, refusing to go through anything but a real folder: a symbolic link in the destination tree
 * would otherwise let an object key write outside it.
 */
async function makeFolders(dir: string, segments: string[]): Promise<void> {
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw new Error(localProblem(err, dir));
  });
  let current = dir;
  for (const segment of segments) {
    current = path.join(current, segment);
    try {
      await mkdir(current);
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw new Error(localProblem(err, current));
    }
    const st = await lstat(current).catch((err: unknown) => {
      throw new Error(localProblem(err, current));
    });
    if (st.isSymbolicLink()) throw new Error(`${shown(current)}: is a symbolic link; refusing to write through it`);
    if (!st.isDirectory()) throw new Error(`${shown(current)}: exists and is not a folder`);
  }
}

async function hasObjectsUnder(store: ObjectStore, bucket: string, prefix: string): Promise<boolean> {
  try {
    for await (const item of store.list(bucket, prefix)) return item !== undefined;
  } catch {
    /* only a hint */
  }
  return false;
}
