import { coalesceTaskUpdates, isTerminalTaskStatus } from '../../domain/runs/run-transitions.js';
import type { TaskUpdate } from '../../domain/model.js';
import type { PageRequest, TaskTable } from '../store.js';
import { isCanonicalId, type Row } from '../sql-common.js';
import { taskFromRow as fromRow } from '../rows.js';
import type { PgDatabase } from './database.js';

export class PgTasks implements TaskTable {
  constructor(private db: PgDatabase) {}

  async list(runId: string, filter: { status?: string }, page: PageRequest) {
    if (!isCanonicalId(runId)) return [];
    const rows = await this.db.prepared(`SELECT * FROM tasks WHERE run_id = @runId AND id > @after AND (@status::text IS NULL OR status = @status) ORDER BY id LIMIT @limit`)
      .all({ runId, after: page.after ?? 0, status: filter.status ?? null, limit: page.limit }) as Row[];
    return rows.map(fromRow);
  }

  async get(runId: string, taskId: string) {
    if (!isCanonicalId(taskId) || !isCanonicalId(runId)) return undefined;
    const r = await this.db.prepared('SELECT * FROM tasks WHERE run_id = ? AND id = ?').get(runId, taskId) as Row | undefined;
    return r && fromRow(r);
  }

  /**
   * Applies task updates; caller holds the transaction. One read finds the tasks that exist (the
   * newest of each run and name), then one insert makes the new ones and one update moves the rest.
   */
  async applyUpdates(updates: TaskUpdate[]) {
    const list = coalesceTaskUpdates(updates).filter((t) => isCanonicalId(t.runId));
    if (!list.length) return;
    const found = await this.db.prepared(`SELECT DISTINCT ON (t.run_id, t.name) t.id, t.run_id, t.name FROM tasks t
        JOIN unnest(?::bigint[], ?::text[]) AS u(run_id, name) ON t.run_id = u.run_id AND t.name = u.name
        ORDER BY t.run_id, t.name, t.id DESC`).all(list.map((t) => t.runId), list.map((t) => t.name)) as Row[];
    const idOf = new Map(found.map((r) => [`${r.run_id}\u0000${r.name}`, r.id as number]));
    const fresh = list.filter((t) => !idOf.has(`${t.runId}\u0000${t.name}`));
    const old = list.filter((t) => idOf.has(`${t.runId}\u0000${t.name}`));
    const startOf = (t: (typeof list)[number]) => t.startTime ?? (t.status === 'RUNNING' ? t.at : null);
    const stopOf = (t: (typeof list)[number]) => (isTerminalTaskStatus(t.status) ? t.at : null);
    const hit = (t: (typeof list)[number]) => (t.cacheHit === undefined ? null : t.cacheHit ? 1 : 0);
    if (fresh.length) {
      let id = await this.db.nextIds('task', fresh.length);
      await this.db.prepared(`INSERT INTO tasks (id, run_id, name, status, cpus, memory, gpus, creation_time, start_time, stop_time, status_message,
          failure_reason, log_stream, cache_hit, cache_s3_uri)
        SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[],
          ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[])`).run(
        fresh.map(() => id++), fresh.map((t) => t.runId), fresh.map((t) => t.name), fresh.map((t) => t.status), fresh.map((t) => t.cpus ?? null),
        fresh.map((t) => t.memory ?? null), fresh.map((t) => t.gpus ?? null), fresh.map((t) => t.at), fresh.map(startOf), fresh.map(stopOf),
        fresh.map((t) => t.statusMessage ?? null), fresh.map((t) => t.failureReason ?? null), fresh.map((t) => t.logStream ?? null),
        fresh.map(hit), fresh.map((t) => t.cacheS3Uri ?? null));
    }
    if (old.length) {
      await this.db.prepared(`UPDATE tasks t SET status = u.status, cpus = coalesce(u.cpus, t.cpus), memory = coalesce(u.memory, t.memory),
          gpus = coalesce(u.gpus, t.gpus), start_time = coalesce(t.start_time, u.start_time), stop_time = coalesce(t.stop_time, u.stop_time),
          status_message = coalesce(u.status_message, t.status_message), failure_reason = coalesce(u.failure_reason, t.failure_reason),
          log_stream = coalesce(u.log_stream, t.log_stream), cache_hit = coalesce(u.cache_hit, t.cache_hit), cache_s3_uri = coalesce(u.cache_s3_uri, t.cache_s3_uri)
        FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[])
          AS u(id, status, cpus, memory, gpus, start_time, stop_time, status_message, failure_reason, log_stream, cache_hit, cache_s3_uri)
        WHERE t.id = u.id`).run(
        old.map((t) => idOf.get(`${t.runId}\u0000${t.name}`)), old.map((t) => t.status), old.map((t) => t.cpus ?? null), old.map((t) => t.memory ?? null),
        old.map((t) => t.gpus ?? null), old.map(startOf), old.map(stopOf), old.map((t) => t.statusMessage ?? null), old.map((t) => t.failureReason ?? null),
        old.map((t) => t.logStream ?? null), old.map(hit), old.map((t) => t.cacheS3Uri ?? null));
    }
  }

  /** Ends the tasks of a cancelled run; caller holds the transaction. */
  async cancelOpen(runId: string | number, at: number) {
    await this.db.prepared(`UPDATE tasks SET status = 'CANCELLED', stop_time = coalesce(stop_time, ?) WHERE run_id = ? AND status NOT IN ('COMPLETED','FAILED','CANCELLED')`).run(at, runId);
  }
}
