import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Row } from '../sql-common.js';

/**
 * One SQLite connection: WAL, prepared statements cached by their text, and id sequences. Every
 * table family of the store writes through it; `transaction` makes one atomic step of several.
 */
export class SqliteDatabase {
  readonly db: Database.Database;
  private statements = new Map<string, Statement>();
  private afterCommit: (() => void)[] = [];
  private checkpointer: Worker | undefined;

  constructor(private file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // WAL + NORMAL survives a process crash (kill -9) without losing a commit; only power loss can drop the last ones.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // A 100,000-run batch touches several indexes per run: a 64 MiB page cache keeps them in memory.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('temp_store = MEMORY');
  }

  /** From now on WAL checkpoints run in a worker thread with its own connection, instead of inside commits. */
  startBackgroundCheckpoints() {
    if (this.file === ':memory:' || this.checkpointer) return;
    this.db.pragma('wal_autocheckpoint = 0');
    this.checkpointer = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file: this.file, intervalMs: 250 } });
    this.checkpointer.unref();
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  prepared(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` as one write transaction (BEGIN IMMEDIATE: it never has to upgrade a read lock); nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    const outermost = !this.db.inTransaction;
    let result: T;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (err) {
      if (outermost) this.afterCommit = [];
      throw err;
    }
    if (outermost) {
      const hooks = this.afterCommit;
      this.afterCommit = [];
      for (const hook of hooks) hook();
    }
    return result;
  }

  /** Runs `hook` once the current transaction has committed (at once outside one); dropped if it rolls back. */
  onCommit(hook: () => void) {
    if (this.db.inTransaction) this.afterCommit.push(hook);
    else hook();
  }

  /** Reserves `count` consecutive ids of a sequence and returns the first. */
  nextIds(name: string, count: number): number {
    const row = this.prepared('UPDATE sequences SET next_value = next_value + ? WHERE name = ? RETURNING next_value').get(count, name) as Row;
    return row.next_value - count;
  }

  async close() {
    if (this.checkpointer) {
      const worker = this.checkpointer;
      await new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      });
      await worker.terminate();
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
