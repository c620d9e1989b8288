import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'dist/cli/main.js');

const made = new Set<string>();

/** A fresh folder under the OS temp dir; removeDir() or removeTempDirs() deletes it. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `omicsd-bench-${prefix}-`));
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
