import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FILE = 'instance-id';

/**
 * This instance's id, kept in its data dir: a restart is the same instance, so it recovers the runs
 * its executor was running (docs/scale-out.md). Made once as `<host>-<random>`.
 */
export function instanceIdOf(dataDir: string): string {
  const found = instanceIdIn(dataDir);
  if (found) return found;
  const file = path.join(dataDir, FILE);
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 60) || 'omicsd';
  const id = `${host}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(file, `${id}\n`);
  return id;
}

/** The id kept in a data dir, if it holds one (read only: another instance's data dir is never written). */
export function instanceIdIn(dataDir: string): string | undefined {
  try {
    const id = fs.readFileSync(path.join(dataDir, FILE), 'utf8').trim();
    return /^[A-Za-z0-9._-]{1,100}$/.test(id) ? id : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}
