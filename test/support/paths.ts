// Where the repository and the built server are, and fresh temp folders.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The built CLI (`npm run build`): tests and benchmarks drive it as a user would. */
export const BIN = path.join(ROOT, 'dist/cli/main.js');

/** A fresh, empty folder under the OS temp dir. */
export const tempDir = (prefix = 'omicsd-test-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
