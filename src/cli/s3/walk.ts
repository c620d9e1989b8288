/*
 * The regular files under a local folder, for `omicsd s3 cp --recursive`. Names come from readdir, so a
 * relative path can never hold ".." or an absolute part. Symbolic links are not followed (neither to files
 * nor to folders) and other non-regular files (FIFOs, sockets, devices) are skipped; both are reported.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

export type WalkEntry =
  | { segments: string[]; kind: 'file' }
  | { segments: string[]; kind: 'skipped'; why: string }
  | { segments: string[]; kind: 'error'; error: unknown };

/** A folder's files (in byte order of their names) before its subfolders, depth first; folders are not yielded. */
export async function* walkFolder(root: string): AsyncGenerator<WalkEntry> {
  const stack: string[][] = [[]];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(root, ...rel), { withFileTypes: true });
    } catch (error) {
      yield { segments: rel, kind: 'error', error };
      continue;
    }
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    const folders: string[][] = [];
    for (const e of entries) {
      const segments = [...rel, e.name];
      if (e.isDirectory()) folders.push(segments);
      else if (e.isFile()) yield { segments, kind: 'file' };
      else if (e.isSymbolicLink()) yield { segments, kind: 'skipped', why: 'a symbolic link (links are not followed)' };
      else yield { segments, kind: 'skipped', why: 'not a regular file' };
    }
    for (let i = folders.length - 1; i >= 0; i--) stack.push(folders[i]);
  }
}
