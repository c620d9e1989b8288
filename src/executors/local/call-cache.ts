import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { CacheBehavior } from '../../domain/model.js';
import { ObjectNotFoundError } from '../../objectstore/errors.js';
import { parseS3Uri, type ObjectStore } from '../../objectstore/object-store.js';
import { listFiles } from './export.js';

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

/** Whether `p` is `dir` or inside it. */
const within = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);

/**
 * Opens the cache for one run: entries kept in the object store but missing here are fetched, so
 * a new data dir (or another machine with the same store) starts warm. Entries are written only
 * by the engine and published whole, so one present here is complete. Fetched entries are written
 * in a folder no sandbox sees and renamed into place: a tool of another run of the cache (which
 * may write to the engine folder) cannot plant a link that a download would write through.
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
  const incoming = path.join(root, `.incoming-${randomBytes(6).toString('hex')}`);
  const fetched = new Set<string>();
  try {
    for await (const obj of objects.list(loc.bucket, loc.key)) {
      const rel = obj.key.slice(loc.key.length);
      const parts = rel.split('/');
      const entry = parts[0];
      if (!ENTRY.test(entry) || present.has(entry) || parts.some((x) => x === '' || x === '.' || x === '..')) continue;
      const target = path.join(incoming, rel);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const { body } = await objects.read({ bucket: loc.bucket, key: obj.key });
      await pipeline(body, createWriteStream(target, { flags: 'wx' }));
      fetched.add(entry);
    }
    // An entry that appeared meanwhile (another run made it) stays as it is.
    for (const entry of fetched) await fs.rename(path.join(incoming, entry), path.join(engineDir, entry)).catch(() => undefined);
  } catch (err) {
    // A cache nothing was kept in yet may have no bucket yet: the first upload makes it.
    if (!(err instanceof ObjectNotFoundError)) throw err;
  } finally {
    await fs.rm(incoming, { recursive: true, force: true });
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
 * The cache entries this run's engine made: cwltool names each in its log ("Output of job will be
 * cached in DIR"). Other runs of the same cache may be adding entries to the same folder meanwhile,
 * and those are theirs to keep or drop.
 */
async function entriesMadeBy(engineLog: string, engineDir: string): Promise<Set<string>> {
  const made = new Set<string>();
  let lines;
  try {
    lines = createInterface({ input: createReadStream(engineLog), crlfDelay: Infinity });
    for await (const line of lines) {
      const m = /Output of job will be cached in (\S+?)\/?$/.exec(line);
      if (!m || path.dirname(path.resolve(m[1])) !== engineDir) continue;
      const key = path.basename(m[1]);
      if (/^[0-9a-f]{32}$/.test(key)) made.add(key).add(`${key}.status`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return made;
}

/**
 * Uploads one file of the engine folder as it is when opened: the path is opened without following
 * a final link, and what was opened must still be inside the folder (a tool may swap parts of it
 * for links meanwhile), so nothing outside the cache is ever read.
 */
async function uploadInside(objects: ObjectStore, realRoot: string, file: string, loc: { bucket: string; key: string }) {
  const fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile() || !within(realRoot, await fs.readlink(`/proc/self/fd/${fh.fd}`))) return;
    await objects.write(loc, fh.createReadStream({ autoClose: false }), { contentLength: st.size });
  } finally {
    await fh.close();
  }
}

/**
 * After the engine ended: CACHE_ALWAYS keeps what the run added, CACHE_ON_FAILURE keeps it only when
 * the run failed (HealthOmics' behaviours). Kept entries are uploaded under the cache's location;
 * the others are removed here, so no later run reuses them. Only entries this run's engine made
 * are touched, and only real files and folders (never links) are read. Returns how many entries were kept.
 */
export async function closeCallCache(objects: ObjectStore, session: CallCacheSession, succeeded: boolean, engineLog: string): Promise<number> {
  const keep = session.behavior === 'CACHE_ALWAYS' || !succeeded;
  const before = new Set(session.before);
  const made = await entriesMadeBy(engineLog, session.engineDir);
  // Cache entries are named by their key (cwltool: 32 hex digits, and `<key>.status`); anything else is
  // an engine's scratch, which may belong to another run of the cache that is still going.
  const added = (await fs.readdir(session.engineDir)).filter((e) => ENTRY.test(e) && !before.has(e) && made.has(e));
  const base = parseS3Uri(session.s3Prefix, 'cacheS3Uri', { allowEmptyKey: true });
  const realRoot = await fs.realpath(session.engineDir);
  let kept = 0;
  for (const entry of added) {
    const abs = path.join(session.engineDir, entry);
    if (!keep) {
      await fs.rm(abs, { recursive: true, force: true });
      continue;
    }
    const st = await fs.lstat(abs);
    if (!st.isDirectory() && !st.isFile()) continue;
    const files = st.isDirectory() ? (await listFiles(abs, session.engineDir)).map((f) => `${entry}/${f}`) : [entry];
    for (const rel of files) await uploadInside(objects, realRoot, path.join(session.engineDir, rel), { bucket: base.bucket, key: `${base.key}${rel}` });
    if (st.isDirectory()) kept++;
  }
  return kept;
}
