import { coalesceTaskUpdates, isTerminalTaskStatus } from '../../domain/runs/run-transitions.js';
import type { TaskUpdate } from '../../domain/model.js';
import type { PageRequest, TaskTable } from '../store.js';
import { isCanonicalId, type Row } from '../sql-common.js';
import { taskFromRow as fromRow } from '../rows.js';
import type { SqliteDatabase } from './database.js';

export class SqliteTasks implements TaskTable {
  constructor(private db: SqliteDatabase) {}

  async list(runId: string, filter: { status?: string }, page: PageRequest) {
    const rows = this.db.prepared(`SELECT * FROM tasks WHERE run_id = @runId AND id > @after AND (@status IS NULL OR status = @status) ORDER BY id LIMIT @limit`)
      .all({ runId, after: page.after ?? 0, status: filter.status ?? null, limit: page.limit }) as Row[];
    return rows.map(fromRow);
  }

  async get(runId: string, taskId: string) {
    if (!isCanonicalId(taskId)) return undefined;
    const r = this.db.prepared('SELECT * FROM tasks WHERE run_id = ? AND id = ?').get(runId, taskId) as Row | undefined;
    return r && fromRow(r);
  }

  /** Applies task updates, one write per task; caller holds the transaction. */
  applyUpdates(updates: TaskUpdate[]) {
    for (const t of coalesceTaskUpdates(updates)) this.upsert(t);
  }

  /** Ends the tasks of a cancelled run; caller holds the transaction. */
  cancelOpen(runId: string | number, at: number) {
    this.db.prepared(`UPDATE tasks SET status = 'CANCELLED', stop_time = coalesce(stop_time, ?) WHERE run_id = ? AND status NOT IN ('COMPLETED','FAILED','CANCELLED')`).run(at, runId);
  }

  private upsert(t: TaskUpdate & { startTime?: number }) {
    const cur = this.db.prepared('SELECT id, status FROM tasks WHERE run_id = ? AND name = ? ORDER BY id DESC LIMIT 1').get(t.runId, t.name) as Row | undefined;
    const startTime = t.startTime ?? (t.status === 'RUNNING' ? t.at : null);
    const stopTime = isTerminalTaskStatus(t.status) ? t.at : null;
    if (!cur) {
      const id = this.db.nextIds('task', 1);
      this.db.prepared(`INSERT INTO tasks (id, run_id, name, status, cpus, memory, gpus, creation_time, start_time, stop_time, status_message, failure_reason, log_stream,
                cache_hit, cache_s3_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, t.runId, t.name, t.status, t.cpus ?? null, t.memory ?? null,
        t.gpus ?? null, t.at, startTime, stopTime, t.statusMessage ?? null, t.failureReason ?? null, t.logStream ?? null,
        t.cacheHit === undefined ? null : t.cacheHit ? 1 : 0, t.cacheS3Uri ?? null);
      return;
    }
    this.db.prepared(`UPDATE tasks SET status = @status, cpus = coalesce(@cpus, cpus), memory = coalesce(@memory, memory), gpus = coalesce(@gpus, gpus),
            start_time = coalesce(start_time, @startTime), stop_time = coalesce(stop_time, @stopTime),
            status_message = coalesce(@statusMessage, status_message), failure_reason = coalesce(@failureReason, failure_reason),
            log_stream = coalesce(@logStream, log_stream), cache_hit = coalesce(@cacheHit, cache_hit), cache_s3_uri = coalesce(@cacheS3Uri, cache_s3_uri)
            WHERE id = @id`).run({
      id: cur.id, status: t.status, cpus: t.cpus ?? null, memory: t.memory ?? null, gpus: t.gpus ?? null, startTime, stopTime,
      statusMessage: t.statusMessage ?? null, failureReason: t.failureReason ?? null, logStream: t.logStream ?? null,
      cacheHit: t.cacheHit === undefined ? null : t.cacheHit ? 1 : 0, cacheS3Uri: t.cacheS3Uri ?? null,
    });
  }
}
