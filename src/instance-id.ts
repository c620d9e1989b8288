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
  const file = path.join(dataDir, FILE);
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9._-]{1,100}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 60) || 'omicsd';
  const id = `${host}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(file, `${id}\n`);
  return id;
}
