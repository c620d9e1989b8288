import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT } from '../../test/support/paths.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, fs.statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/ is missing or older than src/, so figures describe the current source. */
export function ensureBuilt(force: boolean): boolean {
  const stale = force || !fs.existsSync(BIN) || newestMtime(path.join(ROOT, 'src')) > fs.statSync(BIN).mtimeMs;
  if (!stale) return false;
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return true;
}
