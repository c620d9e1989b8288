import type { EventTable, OutboxEvent } from '../store.js';
import type { Row } from '../sql-common.js';
import type { SqliteDatabase } from './database.js';

/**
 * The event outbox. Its rows are written by the triggers of migration 5, never here; a run event's
 * members are read from the run as it is delivered.
 */
export class SqliteEvents implements EventTable {
  constructor(private db: SqliteDatabase) {}

  async after(seq: number, limit: number): Promise<OutboxEvent[]> {
    const rows = this.db.prepared(`SELECT e.*, r.name, r.workflow_id, r.run_group_id, r.batch_id, json_extract(r.doc, '$.extra.runSettingId') AS run_setting_id,
        r.failure_reason, r.status_message, r.start_time, r.stop_time
      FROM events e LEFT JOIN runs r ON e.kind = 'run' AND r.id = e.resource_id
      WHERE e.seq > ? ORDER BY e.seq LIMIT ?`).all(seq, limit) as Row[];
    return rows.map((r) => ({
      seq: r.seq, kind: r.kind, resourceId: String(r.resource_id), accountId: r.account_id, status: r.status, at: r.at,
      facts: r.kind === 'batch' ? JSON.parse(r.facts) : {
        name: r.name, workflowId: r.workflow_id, runGroupId: r.run_group_id, batchId: r.batch_id, runSettingId: r.run_setting_id,
        failureReason: r.failure_reason, statusMessage: r.status_message, startTime: r.start_time, stopTime: r.stop_time,
      },
    }));
  }

  /** The newest event's seq; it is never pruned, so this never goes back. */
  private newestSeq(): number {
    return (this.db.prepared('SELECT coalesce(max(seq), 0) AS seq FROM events').get() as Row).seq as number;
  }

  async newest() {
    return this.newestSeq();
  }

  async cursors(sinks: readonly string[]): Promise<Map<string, number>> {
    return this.db.transaction(() => {
      const newest = this.newestSeq();
      const out = new Map<string, number>();
      for (const sink of sinks) {
        this.db.prepared('INSERT INTO event_cursors (sink, seq) VALUES (?, ?) ON CONFLICT (sink) DO NOTHING').run(sink, newest);
        out.set(sink, (this.db.prepared('SELECT seq FROM event_cursors WHERE sink = ?').get(sink) as Row).seq);
      }
      return out;
    });
  }

  async advance(sink: string, seq: number) {
    this.db.prepared('UPDATE event_cursors SET seq = max(seq, ?) WHERE sink = ?').run(seq, sink);
  }

  async dropCursorsExcept(sinks: readonly string[]): Promise<string[]> {
    return this.db.transaction(() => {
      const keep = new Set(sinks);
      const gone = (this.db.prepared('SELECT sink FROM event_cursors').pluck().all() as string[]).filter((s) => !keep.has(s));
      for (const sink of gone) this.db.prepared('DELETE FROM event_cursors WHERE sink = ?').run(sink);
      return gone;
    });
  }

  async prune(upTo: number, limit: number): Promise<number> {
    // The newest row stays: seq is a rowid, and SQLite would hand out a pruned one again.
    return this.db.prepared(`DELETE FROM events WHERE seq IN (
      SELECT seq FROM events WHERE seq <= min(?, (SELECT max(seq) FROM events) - 1) ORDER BY seq LIMIT ?)`).run(upTo, limit).changes;
  }
}
