import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseS3Uri, type ObjectStore, type S3Location } from '../../objectstore/object-store.js';

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * Every regular file under `dir` (symbolic links followed, each real folder walked once), as paths
 * relative to it. With `root`, a link whose target is not inside `root` is skipped: omicsd reads
 * these files with its own rights, and a workflow could otherwise point out/ at /etc/shadow.
 */
export async function listFiles(dir: string, root?: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const realRoot = root === undefined ? undefined : await fs.realpath(root);
  const walk = async (abs: string, rel: string) => {
    const real = await fs.realpath(abs);
    if (realRoot !== undefined && !inside(realRoot, real)) return;
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await fs.readdir(abs, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childAbs = path.join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      let st;
      try {
        st = await fs.stat(childAbs);
      } catch {
        continue; // a dangling link
      }
      if (st.isDirectory()) await walk(childAbs, childRel);
      else if (st.isFile() && (realRoot === undefined || inside(realRoot, await fs.realpath(childAbs)))) out.push(childRel);
    }
  };
  try {
    await walk(dir, '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return out;
}

/** `<runOutputUri>/<sub>/<rel>` as an object location. */
export function outputLocation(runOutputUri: string, sub: string, rel: string): S3Location {
  const base = parseS3Uri(runOutputUri, 'runOutputUri', { allowEmptyKey: true });
  const prefix = base.key.replace(/\/+$/, '');
  return { bucket: base.bucket, key: [prefix, sub, rel].filter(Boolean).join('/') };
}

export async function upload(objects: ObjectStore, file: string, loc: S3Location) {
  const st = await fs.stat(file);
  await objects.write(loc, createReadStream(file), { contentLength: st.size });
}

/**
 * Exports what the engine produced, laid out as HealthOmics does under the run's output URI:
 * `<runOutputUri>/out/<path relative to the engine's output folder>`. Returns the keys written;
 * stops between files once `stop()` says so. Links leading out of `root` (the run folder) are not
 * followed (listFiles).
 */
export async function exportOutputs(objects: ObjectStore, outDir: string, runOutputUri: string, stop = () => false, root?: string): Promise<string[]> {
  const written: string[] = [];
  for (const rel of await listFiles(outDir, root)) {
    if (stop()) break; // cancelled meanwhile: HealthOmics saves no outputs of a cancelled run
    const loc = outputLocation(runOutputUri, 'out', rel);
    await upload(objects, path.join(outDir, rel), loc);
    written.push(loc.key);
  }
  return written;
}

/** Copies the engine log to `<runOutputUri>/logs/engine.log`. */
export async function exportLog(objects: ObjectStore, logFile: string, runOutputUri: string): Promise<void> {
  await upload(objects, logFile, outputLocation(runOutputUri, 'logs', 'engine.log'));
}
