import type { StatsTable } from '../store.js';
import type { Row } from '../sql-common.js';
import type { SqliteDatabase } from './database.js';

/** Metrics reads: the status counts the triggers of migration 5 keep, and the submitting batches' pending entries. */
export class SqliteStats implements StatsTable {
  constructor(private db: SqliteDatabase) {}

  async statusCounts(kind: 'run' | 'batch') {
    const rows = this.db.prepared('SELECT status, n FROM status_counts WHERE kind = ?').all(kind) as Row[];
    return new Map(rows.map((r) => [r.status as string, r.n as number]));
  }

  async submissionBacklog() {
    // Only a SUBMITTING batch has entries waiting (a batch still reading its run list has no count yet).
    return (this.db.prepared(`SELECT coalesce(sum(start_pending), 0) AS n FROM batches WHERE status = 'SUBMITTING'`).get() as Row).n as number;
  }

  async ping() {
    // A read of a table: it needs the database file, which SELECT 1 does not.
    this.db.prepared('SELECT n FROM status_counts LIMIT 1').get();
  }
}
