import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processInfo } from './executors/local/process-tree.js';

/** What the lock file records about the server holding the data dir. */
interface LockOwner {
  pid: number;
  /** Start time of the process in clock ticks, so a reused pid is not mistaken for the owner. */
  startTicks?: number;
  host: string;
  startedAt: string;
}

/** Another live server holds the data dir. */
export class DataDirInUseError extends Error {}

const LOCK_FILE = 'omicsd.lock';

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the recorded owner is still running on this machine. */
function alive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true; // another machine's process cannot be checked: assume it runs
  const now = processInfo(owner.pid);
  if (now) return owner.startTicks === undefined || now.startTicks === owner.startTicks;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock. Two servers may find the same stale lock: the removal happens under a
 * short-lived mutex (an atomic mkdir), and only while the file still names the dead owner, so neither
 * removes the lock the other has just taken.
 */
function takeOver(file: string, stale: LockOwner | undefined) {
  const mutex = `${file}.takeover`;
  try {
    fs.mkdirSync(mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A takeover left behind by a crash is old; a live one takes milliseconds: wait for it.
    if (Date.now() - (fs.statSync(mutex, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 10_000) fs.rmSync(mutex, { recursive: true, force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    return;
  }
  try {
    const now = readOwner(file);
    if (now?.pid === stale?.pid && now?.startedAt === stale?.startedAt) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(mutex, { recursive: true, force: true });
  }
}

/**
 * One server per data dir (docs/operations.md): `<dataDir>/omicsd.lock` names the process that holds
 * it. The file is created atomically (written aside, then hard-linked into place, which fails if it
 * exists); a lock whose process is gone is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, startTicks: processInfo(process.pid)?.startTicks, host: os.hostname(), startedAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        fs.linkSync(tmp, file);
        return () => {
          if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readOwner(file);
      if (owner && alive(owner)) {
        const elsewhere = owner.host === os.hostname() ? '' : ` If that server is gone, delete ${file}.`;
        throw new DataDirInUseError(`The data dir ${path.resolve(dataDir)} is in use by omicsd pid ${owner.pid} on ${owner.host} `
          + `(started ${owner.startedAt}). Stop that server first, or give this one another --data-dir.${elsewhere}`);
      }
      takeOver(file, owner);
    }
    throw new DataDirInUseError(`Could not take the lock ${file}: other servers keep starting on this data dir`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
