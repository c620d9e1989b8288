import fs from 'node:fs';
import { tempDir as freshDir } from '../../test/support/paths.js';

const made = new Set<string>();

/** A fresh folder under the OS temp dir; removeDir() or removeTempDirs() deletes it. */
export function tempDir(prefix: string): string {
  const dir = freshDir(`omicsd-bench-${prefix}-`);
  made.add(dir);
  return dir;
}

export function removeDir(dir: string) {
  fs.rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

export function removeTempDirs() {
  for (const dir of [...made]) removeDir(dir);
}
