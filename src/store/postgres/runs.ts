import {
  CANCELLABLE_RUN_STATUSES, DELETABLE_RUN_STATUSES, isTerminalRunStatus, type RunRecord, type RunStatus, type RunTransition, type TaskUpdate,
} from '../../domain/model.js';
import { advances, coalesceRunTransitions, runTimes } from '../../domain/runs/run-transitions.js';
import type { AccountScope, AppliedTransition, IdempotentResult, NewRun, PageRequest, RunFilter, RunTable } from '../store.js';
import { CounterDeltas, type PgBatchState } from './batch-state.js';
import { inList, isCanonicalId, type Row } from '../sql-common.js';
import { runFromRow as fromRow } from '../rows.js';
import type { PgDatabase } from './database.js';
import { replay } from './idempotency.js';
import type { PgTasks } from './tasks.js';

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
export class PgRuns implements RunTable {
  private deletedListeners: ((runId: string) => void)[] = [];

  constructor(private db: PgDatabase, private tasks: PgTasks, private batchState: PgBatchState) {}

  onDeleted(listener: (runId: string) => void) {
    this.deletedListeners.push(listener);
  }

  /** Inserts one PENDING run with id `id`; caller holds the transaction and counts it (live runs, batch). */
  async insertRow(run: NewRun, id: number): Promise<RunRecord> {
    return (await this.insertRows([{ run, id }]))[0];
  }

  /** Inserts PENDING runs in one statement (a submission slice's); caller holds the transaction and counts them. */
  async insertRows(rows: { run: NewRun; id: number }[]): Promise<RunRecord[]> {
    if (!rows.length) return [];
    const out = rows.map(({ run, id }) => ({ ...run, id: String(id), status: 'PENDING' as const, runOutputUri: run.runOutputUriPrefix + id }));
    const col = <T>(f: (run: NewRun, i: number) => T) => rows.map(({ run }, i) => f(run, i));
    await this.db.prepared(`INSERT INTO runs (id, account_id, uuid, status, name, workflow_id, run_group_id, batch_id, priority, creation_time, request_id, request_hash, retention_mode, tags, doc)
        SELECT u.id, u.account_id, u.uuid, 'PENDING', u.name, u.workflow_id, u.run_group_id, u.batch_id, u.priority, u.creation_time, u.request_id, u.request_hash,
          u.retention_mode, u.tags, u.doc
        FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
          AS u(id, account_id, uuid, name, workflow_id, run_group_id, batch_id, priority, creation_time, request_id, request_hash, retention_mode, tags, doc)`).run(
      rows.map((x) => x.id), col((run) => run.accountId), col((run) => run.uuid), col((run) => run.name ?? null), col((run) => run.workflowId),
      col((run) => run.runGroupId ?? null), col((run) => run.batchId ?? null), col((run) => run.priority), col((run) => run.creationTime),
      col((run) => run.requestId ?? null), col((run) => run.requestHash ?? null), col((run) => run.extra.retentionMode ?? 'RETAIN'),
      col((run) => JSON.stringify(run.tags)),
      col((run, i) => JSON.stringify({
        workflowType: run.workflowType, roleArn: run.roleArn, parameters: run.parameters, outputUri: run.outputUri,
        runOutputUri: out[i].runOutputUri, workflowUuid: run.workflowUuid, digest: run.digest, extra: run.extra,
      })));
    return out;
  }

  /** Runs the account keeps (every status but DELETED), for its "maximum runs" quota. */
  private async liveRunCount(account: string): Promise<number> {
    return (await this.db.prepared(`SELECT value FROM counters WHERE name = ?`).get(`live_runs:${account}`) as Row | undefined)?.value ?? 0;
  }

  async addLiveRuns(account: string, n: number) {
    await this.db.prepared(`INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value`).run(`live_runs:${account}`, n);
  }

  /**
   * How many of `wanted` new runs fit under the account's run quota; when full, the oldest finished
   * runs with retentionMode REMOVE are deleted to make room, as HealthOmics does (docs/quotas.md).
   * Caller holds the transaction that also inserts the runs, so the answer cannot go stale.
   */
  async makeRoom(account: string, wanted: number, maxRuns: number): Promise<number> {
    if (maxRuns <= 0) return wanted;
    let free = maxRuns - await this.liveRunCount(account);
    if (free < wanted) {
      const evict = await this.db.prepared(`SELECT id FROM runs WHERE account_id = ? AND retention_mode = 'REMOVE' AND status IN ('COMPLETED','FAILED','CANCELLED') ORDER BY id LIMIT ?`)
        .pluck().all(account, wanted - Math.max(free, 0)) as number[];
      for (const id of evict) if (await this.deleteRow(id) === 'deleted') free++;
    }
    return Math.max(0, Math.min(wanted, free));
  }

  /**
   * Moves a run from `from` to `to`; its batch's run counters move by the same step, either at once
   * or, when `deltas` is given, summed for one write at the end of the caller's transaction.
   */
  private async move(id: number | string, batchId: number | null, from: RunStatus, to: RunStatus, set: RunMove, deltas?: CounterDeltas) {
    const { startTime, stopTime } = runTimes(to, set.at, set.startTime);
    await this.db.prepared(`UPDATE runs SET status = @to, start_time = coalesce(start_time, @startTime), stop_time = coalesce(stop_time, @stopTime),
            status_message = coalesce(@statusMessage, status_message), failure_reason = coalesce(@failureReason, failure_reason)
            WHERE id = @id`).run({
      id, to, startTime: startTime ?? null, stopTime: stopTime ?? null, statusMessage: set.statusMessage ?? null, failureReason: set.failureReason ?? null,
    });
    if (batchId == null) return;
    const d = deltas ?? new CounterDeltas(this.db);
    d.move(batchId, from, to);
    if (!deltas) await d.write();
  }

  /**
   * `move` for many runs in one statement: each run's row, and its batch's counters summed into
   * `deltas` (written by the caller at the end of its transaction).
   */
  private async moveMany(moves: { id: number | string; batchId: number | null; from: RunStatus; to: RunStatus; set: RunMove }[], deltas: CounterDeltas) {
    if (!moves.length) return;
    const times = moves.map((m) => runTimes(m.to, m.set.at, m.set.startTime));
    await this.db.prepared(`UPDATE runs r SET status = u.to_status, start_time = coalesce(r.start_time, u.start_time), stop_time = coalesce(r.stop_time, u.stop_time),
        status_message = coalesce(u.message, r.status_message), failure_reason = coalesce(u.reason, r.failure_reason)
      FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS u(id, to_status, start_time, stop_time, message, reason)
      WHERE r.id = u.id`).run(moves.map((m) => m.id), moves.map((m) => m.to), times.map((t) => t.startTime ?? null), times.map((t) => t.stopTime ?? null),
      moves.map((m) => m.set.statusMessage ?? null), moves.map((m) => m.set.failureReason ?? null));
    for (const m of moves) if (m.batchId != null) deltas.move(m.batchId, m.from, m.to);
  }

  async insert(run: NewRun, maxRuns: number) {
    return this.db.transaction(async (): Promise<IdempotentResult<RunRecord> | 'quota'> => {
      const prior = await replay(this.db, 'run', run.accountId, run.requestId, run.requestHash, fromRow);
      if (prior) return prior;
      if (await this.makeRoom(run.accountId, 1, maxRuns) < 1) return 'quota';
      const record = await this.insertRow(run, await this.db.nextIds('run', 1));
      await this.addLiveRuns(run.accountId, 1);
      return { kind: 'created', record };
    });
  }

  async get(id: string, account: AccountScope) {
    if (!isCanonicalId(id)) return undefined;
    const r = await this.db.prepared(`SELECT * FROM runs WHERE id = @id AND status != 'DELETED' AND (@account::text IS NULL OR account_id = @account)`).get({ id, account }) as Row | undefined;
    return r && fromRow(r);
  }

  async list(filter: RunFilter, page: PageRequest) {
    if ((filter.runGroupId !== undefined && !isCanonicalId(filter.runGroupId)) || (filter.batchId !== undefined && !isCanonicalId(filter.batchId))) return [];
    const rows = await this.db.prepared(`SELECT * FROM runs WHERE account_id = @account AND status != 'DELETED' AND id < @after
        AND (@name::text IS NULL OR name = @name) AND (@runGroupId::bigint IS NULL OR run_group_id = @runGroupId)
        AND (@batchId::bigint IS NULL OR batch_id = @batchId) AND (@status::text IS NULL OR status = @status)
        ORDER BY id DESC LIMIT @limit`).all({
      account: filter.account, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit, name: filter.name ?? null,
      runGroupId: filter.runGroupId ?? null, batchId: filter.batchId ?? null, status: filter.status ?? null,
    }) as Row[];
    return rows.map(fromRow);
  }

  async listInStatus(statuses: readonly RunStatus[], owner?: string) {
    return (await this.db.prepared(`SELECT * FROM runs WHERE status IN (${inList(statuses)}) AND (?::text IS NULL OR instance_id = ?) ORDER BY id`)
      .all(owner ?? null, owner ?? null) as Row[]).map(fromRow);
  }

  async applyTransitions(changes: RunTransition[], tasks: TaskUpdate[]) {
    return this.db.transaction(async () => {
      const applied: AppliedTransition[] = [];
      const deltas = new CounterDeltas(this.db);
      const finishedIn = new Map<number, number>();
      const wanted = coalesceRunTransitions(changes).filter((c) => isCanonicalId(c.runId));
      // One read and one write for the whole flush, the rows locked until it commits.
      const current = new Map((await this.db.prepared('SELECT id, status, batch_id FROM runs WHERE id = ANY(?::bigint[]) FOR UPDATE')
        .all(wanted.map((c) => c.runId)) as Row[]).map((r) => [String(r.id), r]));
      const moves: Parameters<PgRuns['moveMany']>[0] = [];
      for (const c of wanted) {
        const r = current.get(c.runId);
        if (!r || !advances(r.status, c.status)) continue;
        moves.push({ id: c.runId, batchId: r.batch_id, from: r.status, to: c.status, set: c });
        if (r.batch_id != null && isTerminalRunStatus(c.status)) finishedIn.set(r.batch_id, c.at);
        applied.push({ runId: c.runId, status: c.status, previous: r.status });
      }
      await this.moveMany(moves, deltas);
      await deltas.write();
      await this.tasks.applyUpdates(tasks);
      for (const [batchId, at] of finishedIn) await this.batchState.apply(batchId, 'allRunsFinished', { at });
      return applied;
    });
  }

  /** Cancels one run if it is still cancellable; caller holds the transaction. */
  async cancelRow(runId: string | number, at: number): Promise<{ previous?: RunStatus; cancelled: boolean; batchId?: number }> {
    if (!isCanonicalId(String(runId))) return { cancelled: false };
    const r = await this.db.prepared('SELECT id, status, batch_id FROM runs WHERE id = ?').get(runId) as Row | undefined;
    if (!r) return { cancelled: false };
    const from = r.status as RunStatus;
    if (!CANCELLABLE_RUN_STATUSES.includes(from)) return { previous: from, cancelled: false };
    await this.move(r.id, r.batch_id, from, 'CANCELLED', { at, statusMessage: 'Run cancelled by request' });
    await this.tasks.cancelOpen(r.id, at);
    return { previous: from, cancelled: true, batchId: r.batch_id ?? undefined };
  }

  async cancelledAmong(runIds: string[]) {
    return (await this.db.prepared(`SELECT id FROM runs WHERE id = ANY(?::bigint[]) AND status = 'CANCELLED'`).pluck()
      .all(runIds.filter(isCanonicalId)) as number[]).map(String);
  }

  async activeAmong(runIds: string[]) {
    return (await this.db.prepared(`SELECT id FROM runs WHERE id = ANY(?::bigint[]) AND status IN ('STARTING','RUNNING','STOPPING')`).pluck()
      .all(runIds.filter(isCanonicalId)) as number[]).map(String);
  }

  async cancel(runIds: string[], at: number) {
    return this.db.transaction(async () => {
      const out: { runId: string; previous?: RunStatus; cancelled: boolean }[] = [];
      for (const runId of runIds) {
        const res = await this.cancelRow(runId, at);
        if (res.batchId != null) await this.batchState.apply(res.batchId, 'allRunsFinished', { at });
        out.push({ runId, previous: res.previous, cancelled: res.cancelled });
      }
      return out;
    });
  }

  /** DeleteRun on one run; caller holds the transaction. */
  async deleteRow(id: string | number): Promise<'deleted' | 'missing' | RunStatus> {
    if (!isCanonicalId(String(id))) return 'missing';
    const r = await this.db.prepared('SELECT id, status, batch_id, account_id FROM runs WHERE id = ?').get(id) as Row | undefined;
    if (!r || r.status === 'DELETED') return 'missing';
    if (!DELETABLE_RUN_STATUSES.includes(r.status)) return r.status;
    await this.move(r.id, r.batch_id, r.status, 'DELETED', { at: Date.now() });
    // A deleted run no longer counts against its account's quota, and what omicsd keeps of it goes.
    await this.addLiveRuns(r.account_id, -1);
    this.db.onCommit(() => {
      for (const listener of this.deletedListeners) listener(String(r.id));
    });
    return 'deleted';
  }

  async delete(id: string) {
    return this.db.transaction(async () => this.deleteRow(id));
  }

  async queued(limit: number, excludeGroups: string[]) {
    // The groups are bound as one array, so this is one statement whatever they are.
    const rows = await this.db.prepared(`SELECT * FROM runs WHERE status = 'PENDING'
        AND (run_group_id IS NULL OR NOT (run_group_id = ANY(?::bigint[]))) ORDER BY priority DESC, id LIMIT ?`)
      .all(excludeGroups.filter(isCanonicalId), limit) as Row[];
    return rows.map(fromRow);
  }

  async markStarting(runIds: string[], owner?: string) {
    return this.db.transaction(async () => {
      const deltas = new CounterDeltas(this.db);
      const at = Date.now();
      const rows = await this.db.prepared(`SELECT id, batch_id FROM runs WHERE id = ANY(?::bigint[]) AND status = 'PENDING' ORDER BY id FOR UPDATE`)
        .all(runIds.filter(isCanonicalId)) as Row[];
      await this.moveMany(rows.map((r) => ({ id: r.id, batchId: r.batch_id, from: 'PENDING' as const, to: 'STARTING' as const, set: { at } })), deltas);
      const moved = rows.map((r) => String(r.id));
      await deltas.write();
      // The instance that starts them runs them: its restart recovers them, other instances leave them be.
      if (owner && moved.length) await this.db.prepared('UPDATE runs SET instance_id = ? WHERE id = ANY(?::bigint[])').run(owner, moved);
      return moved;
    });
  }

  async countActive(owner?: string) {
    const rows = await this.db.prepared(`SELECT run_group_id AS g, count(*) AS n, count(*) FILTER (WHERE ?::text IS NULL OR instance_id = ?) AS mine
        FROM runs WHERE status IN ('STARTING','RUNNING','STOPPING') GROUP BY run_group_id`).all(owner ?? null, owner ?? null) as Row[];
    const byGroup = new Map<string, number>();
    let total = 0;
    for (const r of rows) {
      total += r.mine;
      if (r.g != null) byGroup.set(String(r.g), r.n);
    }
    return { total, byGroup };
  }

  async activeCpusByGroup() {
    const rows = await this.db.prepared(`SELECT r.run_group_id AS g, sum(GREATEST(1, coalesce((SELECT sum(t.cpus) FROM tasks t
        WHERE t.run_id = r.id AND t.status NOT IN ('COMPLETED','FAILED','CANCELLED')), 0))) AS cpus
      FROM runs r WHERE r.status IN ('STARTING','RUNNING','STOPPING') AND r.run_group_id IS NOT NULL
      GROUP BY r.run_group_id`).all() as Row[];
    return new Map(rows.map((r) => [String(r.g), Number(r.cpus)]));
  }
}
