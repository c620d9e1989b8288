import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CacheBehavior } from '../../domain/model.js';
import { ObjectNotFoundError } from '../../objectstore/errors.js';
import { parseS3Uri, type ObjectStore } from '../../objectstore/object-store.js';
import { listFiles, upload } from './export.js';

/**
 * A run's use of its run cache (docs/run-caches.md), written to `<runDir>/call-cache.json` before
 * the engine starts so that a restart finishes it the same way.
 */
export interface CallCacheSession {
  cacheId: string;
  behavior: CacheBehavior;
  /** `<dataDir>/run-caches/<cacheId>`: the cache's working copy on this machine. */
  root: string;
  /** The engine's own cache folder inside root (cwltool's --cachedir), the one part writable to the run's sandbox. */
  engineDir: string;
  /** Where staged inputs go, at the same paths for every run of the cache (the engine's cache keys hold input paths). */
  inputsDir: string;
  /** `<cacheS3Uri><engine>/`: where the engine's cache entries are kept in the object store. */
  s3Prefix: string;
  /** Entries of engineDir before the run: what the run added is the rest. */
  before: string[];
}

const ENTRY = /^[0-9a-f]{32}(\.status)?$/;

const sessionFile = (runDir: string) => path.join(runDir, 'call-cache.json');

/**
 * Opens the cache for one run: entries kept in the object store but missing here are fetched, so
 * a new data dir (or another machine with the same store) starts warm. Entries are written only
 * by the engine and published whole, so one present here is complete.
 */
export async function openCallCache(
  objects: ObjectStore, dataDir: string, runDir: string, cache: { id: string; behavior: CacheBehavior; cacheS3Uri: string }, engine: string,
): Promise<CallCacheSession> {
  const root = path.resolve(dataDir, 'run-caches', cache.id);
  const engineDir = path.join(root, engine);
  const inputsDir = path.join(root, 'inputs');
  await fs.mkdir(engineDir, { recursive: true });
  await fs.mkdir(inputsDir, { recursive: true });
  const s3Prefix = `${cache.cacheS3Uri}${engine}/`;
  const loc = parseS3Uri(s3Prefix, 'cacheS3Uri', { allowEmptyKey: true });
  const present = new Set(await fs.readdir(engineDir));
  try {
    for await (const obj of objects.list(loc.bucket, loc.key)) {
      const rel = obj.key.slice(loc.key.length);
      const entry = rel.split('/')[0];
      if (!entry || present.has(entry) || rel.split('/').includes('..')) continue;
      const target = path.join(engineDir, rel);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const { body } = await objects.read({ bucket: loc.bucket, key: obj.key });
      await pipeline(body, createWriteStream(target));
    }
  } catch (err) {
    // A cache nothing was kept in yet may have no bucket yet: the first upload makes it.
    if (!(err instanceof ObjectNotFoundError)) throw err;
  }
  const session: CallCacheSession = {
    cacheId: cache.id, behavior: cache.behavior, root, engineDir, inputsDir, s3Prefix, before: (await fs.readdir(engineDir)).sort(),
  };
  await fs.writeFile(sessionFile(runDir), JSON.stringify(session));
  return session;
}

export async function readCallCache(runDir: string): Promise<CallCacheSession | undefined> {
  try {
    return JSON.parse(await fs.readFile(sessionFile(runDir), 'utf8')) as CallCacheSession;
  } catch {
    return undefined;
  }
}

/**
 * After the engine ended: CACHE_ALWAYS keeps what the run added, CACHE_ON_FAILURE keeps it only when
 * the run failed (HealthOmics' behaviours). Kept entries are uploaded under the cache's location;
 * the others are removed here, so no later run reuses them. Returns how many entries were kept.
 */
export async function closeCallCache(objects: ObjectStore, session: CallCacheSession, succeeded: boolean): Promise<number> {
  const keep = session.behavior === 'CACHE_ALWAYS' || !succeeded;
  const before = new Set(session.before);
  // Cache entries are named by their key (cwltool: 32 hex digits, and `<key>.status`); anything else is
  // an engine's scratch, which may belong to another run of the cache that is still going.
  const added = (await fs.readdir(session.engineDir)).filter((e) => ENTRY.test(e) && !before.has(e));
  const base = parseS3Uri(session.s3Prefix, 'cacheS3Uri', { allowEmptyKey: true });
  for (const entry of added) {
    const abs = path.join(session.engineDir, entry);
    if (!keep) {
      await fs.rm(abs, { recursive: true, force: true });
      continue;
    }
    const st = await fs.stat(abs);
    const files = st.isDirectory() ? (await listFiles(abs, session.engineDir)).map((f) => `${entry}/${f}`) : [entry];
    for (const rel of files) await upload(objects, path.join(session.engineDir, rel), { bucket: base.bucket, key: `${base.key}${rel}` });
  }
  return keep ? added.filter((e) => !e.endsWith('.status')).length : 0;
}
