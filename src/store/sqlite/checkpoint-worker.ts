/**
 * Runs in a worker thread with its own connection: copies the WAL back into the database file, so
 * that this I/O (and its fsync) never stalls the thread that serves requests.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const db = new Database(workerData.file as string);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again.
  }
}, workerData.intervalMs as number);

parentPort!.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.postMessage('closed');
});
