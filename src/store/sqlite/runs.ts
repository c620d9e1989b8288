import {
  CANCELLABLE_RUN_STATUSES, DELETABLE_RUN_STATUSES, isTerminalRunStatus, type RunRecord, type RunStatus, type RunTransition, type TaskUpdate,
} from '../../domain/model.js';
import { advances, coalesceRunTransitions, runTimes } from '../../domain/runs/run-transitions.js';
import type { AccountScope, AppliedTransition, IdempotentResult, NewRun, PageRequest, RunFilter, RunTable } from '../store.js';
import { CounterDeltas, type SqliteBatchState } from './batch-state.js';
import { inList, isCanonicalId, type Row } from '../sql-common.js';
import { runFromRow as fromRow } from '../rows.js';
import type { SqliteDatabase } from './database.js';
import { replay } from './idempotency.js';
import type { SqliteTasks } from './tasks.js';

interface RunMove {
  at: number;
  startTime?: number;
  statusMessage?: string;
  failureReason?: string;
}

/**
 * Runs, and the one path by which a run's status changes (`move`): the run row, the live-run count
 * and its batch's run counters change together, in the caller's transaction.
 */
export class SqliteRuns implements RunTable {
  private deletedListeners: ((runId: string) => void)[] = [];

  constructor(private db: SqliteDatabase, private tasks: SqliteTasks, private batchState: SqliteBatchState) {}

  onDeleted(listener: (runId: string) => void) {
    this.deletedListeners.push(listener);
  }

  /** Inserts one PENDING run with id `id`; caller holds the transaction and counts it (live runs, batch). */
  insertRow(run: NewRun, id: number): RunRecord {
    const runOutputUri = run.runOutputUriPrefix + id;
    const doc = {
      workflowType: run.workflowType, roleArn: run.roleArn, parameters: run.parameters, outputUri: run.outputUri,
      runOutputUri, workflowUuid: run.workflowUuid, digest: run.digest, extra: run.extra,
    };
    this.db.prepared(`INSERT INTO runs (id, account_id, uuid, status, name, workflow_id, run_group_id, batch_id, priority, creation_time, request_id, request_hash, retention_mode, tags, doc)
            VALUES (?, ?, ?, 'PENDING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      id, run.accountId, run.uuid, run.name ?? null, run.workflowId, run.runGroupId ?? null, run.batchId ?? null, run.priority, run.creationTime,
      run.requestId ?? null, run.requestHash ?? null, run.extra.retentionMode ?? 'RETAIN', JSON.stringify(run.tags), JSON.stringify(doc));
    return { ...run, id: String(id), status: 'PENDING', runOutputUri };
  }

  /** Runs the account keeps (every status but DELETED), for its "maximum runs" quota. */
  private liveRunCount(account: string): number {
    return (this.db.prepared(`SELECT value FROM counters WHERE name = ?`).get(`live_runs:${account}`) as Row | undefined)?.value ?? 0;
  }

  addLiveRuns(account: string, n: number) {
    this.db.prepared(`INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`).run(`live_runs:${account}`, n);
  }

  /**
   * How many of `wanted` new runs fit under the account's run quota; when full, the oldest finished
   * runs with retentionMode REMOVE are deleted to make room, as HealthOmics does (docs/quotas.md).
   * Caller holds the transaction that also inserts the runs, so the answer cannot go stale.
   */
  makeRoom(account: string, wanted: number, maxRuns: number): number {
    if (maxRuns <= 0) return wanted;
    let free = maxRuns - this.liveRunCount(account);
    if (free < wanted) {
      const evict = this.db.prepared(`SELECT id FROM runs WHERE account_id = ? AND retention_mode = 'REMOVE' AND status IN ('COMPLETED','FAILED','CANCELLED') ORDER BY id LIMIT ?`)
        .pluck().all(account, wanted - Math.max(free, 0)) as number[];
      for (const id of evict) if (this.deleteRow(id) === 'deleted') free++;
    }
    return Math.max(0, Math.min(wanted, free));
  }

  /**
   * Moves a run from `from` to `to`; its batch's run counters move by the same step, either at once
   * or, when `deltas` is given, summed for one write at the end of the caller's transaction.
   */
  private move(id: number | string, batchId: number | null, from: RunStatus, to: RunStatus, set: RunMove, deltas?: CounterDeltas) {
    const { startTime, stopTime } = runTimes(to, set.at, set.startTime);
    this.db.prepared(`UPDATE runs SET status = @to, start_time = coalesce(start_time, @startTime), stop_time = coalesce(stop_time, @stopTime),
            status_message = coalesce(@statusMessage, status_message), failure_reason = coalesce(@failureReason, failure_reason)
            WHERE id = @id`).run({
      id, to, startTime: startTime ?? null, stopTime: stopTime ?? null, statusMessage: set.statusMessage ?? null, failureReason: set.failureReason ?? null,
    });
    if (batchId == null) return;
    const d = deltas ?? new CounterDeltas(this.db);
    d.move(batchId, from, to);
    if (!deltas) d.write();
  }

  async insert(run: NewRun, maxRuns: number) {
    return this.db.transaction((): IdempotentResult<RunRecord> | 'quota' => {
      const prior = replay(this.db, 'run', run.accountId, run.requestId, run.requestHash, fromRow);
      if (prior) return prior;
      if (this.makeRoom(run.accountId, 1, maxRuns) < 1) return 'quota';
      const record = this.insertRow(run, this.db.nextIds('run', 1));
      this.addLiveRuns(run.accountId, 1);
      return { kind: 'created', record };
    });
  }

  async get(id: string, account: AccountScope) {
    if (!isCanonicalId(id)) return undefined;
    const r = this.db.prepared(`SELECT * FROM runs WHERE id = @id AND status != 'DELETED' AND (@account IS NULL OR account_id = @account)`).get({ id, account }) as Row | undefined;
    return r && fromRow(r);
  }

  async list(filter: RunFilter, page: PageRequest) {
    const rows = this.db.prepared(`SELECT * FROM runs WHERE account_id = @account AND status != 'DELETED' AND id < @after
        AND (@name IS NULL OR name = @name) AND (@runGroupId IS NULL OR run_group_id = @runGroupId)
        AND (@batchId IS NULL OR batch_id = @batchId) AND (@status IS NULL OR status = @status)
        ORDER BY id DESC LIMIT @limit`).all({
      account: filter.account, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit, name: filter.name ?? null,
      runGroupId: filter.runGroupId ?? null, batchId: filter.batchId ?? null, status: filter.status ?? null,
    }) as Row[];
    return rows.map(fromRow);
  }

  async listInStatus(statuses: readonly RunStatus[]) {
    return (this.db.prepared(`SELECT * FROM runs WHERE status IN (${inList(statuses)}) ORDER BY id`).all() as Row[]).map(fromRow);
  }

  async applyTransitions(changes: RunTransition[], tasks: TaskUpdate[]) {
    return this.db.transaction(() => {
      const applied: AppliedTransition[] = [];
      const deltas = new CounterDeltas(this.db);
      const finishedIn = new Map<number, number>();
      for (const c of coalesceRunTransitions(changes)) {
        const r = this.db.prepared('SELECT status, batch_id FROM runs WHERE id = ?').get(c.runId) as Row | undefined;
        if (!r || !advances(r.status, c.status)) continue;
        this.move(c.runId, r.batch_id, r.status, c.status, c, deltas);
        if (r.batch_id != null && isTerminalRunStatus(c.status)) finishedIn.set(r.batch_id, c.at);
        applied.push({ runId: c.runId, status: c.status, previous: r.status });
      }
      deltas.write();
      this.tasks.applyUpdates(tasks);
      for (const [batchId, at] of finishedIn) this.batchState.apply(batchId, 'allRunsFinished', { at });
      return applied;
    });
  }

  /** Cancels one run if it is still cancellable; caller holds the transaction. */
  cancelRow(runId: string | number, at: number): { previous?: RunStatus; cancelled: boolean; batchId?: number } {
    const r = this.db.prepared('SELECT id, status, batch_id FROM runs WHERE id = ?').get(runId) as Row | undefined;
    if (!r) return { cancelled: false };
    const from = r.status as RunStatus;
    if (!CANCELLABLE_RUN_STATUSES.includes(from)) return { previous: from, cancelled: false };
    this.move(r.id, r.batch_id, from, 'CANCELLED', { at, statusMessage: 'Run cancelled by request' });
    this.tasks.cancelOpen(r.id, at);
    return { previous: from, cancelled: true, batchId: r.batch_id ?? undefined };
  }

  async cancelledAmong(runIds: string[]) {
    return (this.db.prepared(`SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?)) AND status = 'CANCELLED'`).pluck()
      .all(JSON.stringify(runIds.filter(isCanonicalId).map(Number))) as number[]).map(String);
  }

  async activeAmong(runIds: string[]) {
    return (this.db.prepared(`SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?)) AND status IN ('STARTING','RUNNING','STOPPING')`).pluck()
      .all(JSON.stringify(runIds.filter(isCanonicalId).map(Number))) as number[]).map(String);
  }

  async cancel(runIds: string[], at: number) {
    return this.db.transaction(() => runIds.map((runId) => {
      const res = this.cancelRow(runId, at);
      if (res.batchId != null) this.batchState.apply(res.batchId, 'allRunsFinished', { at });
      return { runId, previous: res.previous, cancelled: res.cancelled };
    }));
  }

  /** DeleteRun on one run; caller holds the transaction. */
  deleteRow(id: string | number): 'deleted' | 'missing' | RunStatus {
    const r = this.db.prepared('SELECT id, status, batch_id, account_id FROM runs WHERE id = ?').get(id) as Row | undefined;
    if (!r || r.status === 'DELETED') return 'missing';
    if (!DELETABLE_RUN_STATUSES.includes(r.status)) return r.status;
    this.move(r.id, r.batch_id, r.status, 'DELETED', { at: Date.now() });
    // A deleted run no longer counts against its account's quota, and what omicsd keeps of it goes.
    this.addLiveRuns(r.account_id, -1);
    this.db.onCommit(() => {
      for (const listener of this.deletedListeners) listener(String(r.id));
    });
    return 'deleted';
  }

  async delete(id: string) {
    return this.db.transaction(() => this.deleteRow(id));
  }

  async queued(limit: number, excludeGroups: string[]) {
    // The groups are bound as one JSON array, so this is one cached statement whatever they are.
    const rows = this.db.prepared(`SELECT * FROM runs INDEXED BY runs_queue WHERE status = 'PENDING'
        AND (run_group_id IS NULL OR run_group_id NOT IN (SELECT value FROM json_each(?))) ORDER BY priority DESC, id LIMIT ?`)
      .all(JSON.stringify(excludeGroups.map(Number)), limit) as Row[];
    return rows.map(fromRow);
  }

  async markStarting(runIds: string[]) {
    return this.db.transaction(() => {
      const moved: string[] = [];
      const deltas = new CounterDeltas(this.db);
      const at = Date.now();
      for (const id of runIds) {
        const r = this.db.prepared(`SELECT batch_id FROM runs WHERE id = ? AND status = 'PENDING'`).get(id) as Row | undefined;
        if (!r) continue;
        this.move(id, r.batch_id, 'PENDING', 'STARTING', { at }, deltas);
        moved.push(id);
      }
      deltas.write();
      return moved;
    });
  }

  async countActive() {
    const rows = this.db.prepared(`SELECT run_group_id AS g, count(*) AS n FROM runs INDEXED BY runs_active WHERE status IN ('STARTING','RUNNING','STOPPING') GROUP BY run_group_id`).all() as Row[];
    const byGroup = new Map<string, number>();
    let total = 0;
    for (const r of rows) {
      total += r.n;
      if (r.g != null) byGroup.set(String(r.g), r.n);
    }
    return { total, byGroup };
  }

  async activeCpusByGroup() {
    const rows = this.db.prepared(`SELECT r.run_group_id AS g, sum(max(1, coalesce((SELECT sum(t.cpus) FROM tasks t
        WHERE t.run_id = r.id AND t.status NOT IN ('COMPLETED','FAILED','CANCELLED')), 0))) AS cpus
      FROM runs r INDEXED BY runs_active WHERE r.status IN ('STARTING','RUNNING','STOPPING') AND r.run_group_id IS NOT NULL
      GROUP BY r.run_group_id`).all() as Row[];
    return new Map(rows.map((r) => [String(r.g), Number(r.cpus)]));
  }
}
