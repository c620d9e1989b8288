import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CANCELLABLE_RUN_STATUSES, DELETABLE_BATCH_STATUSES, DELETABLE_RUN_STATUSES, isTerminalRunStatus,
  type BatchEntryRecord, type BatchRecord, type BatchStatus, type RunGroupRecord, type RunRecord, type RunStatus,
  type RunTransition, type Tags, type TaskRecord, type WorkflowRecord,
} from '../../domain/model.js';
import type {
  AppliedTransition, BatchFilter, EntryFilter, IdempotentKind, IdempotentResult, NewBatch, NewEntry, NewRun, PageRequest,
  RunFilter, Store, SubmissionOutcome, TaggableType, TaskUpdate,
} from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

type Row = Record<string, any>;

const RUN_COUNTER: Record<RunStatus, string> = {
  PENDING: 'runs_pending', STARTING: 'runs_starting', RUNNING: 'runs_running', STOPPING: 'runs_stopping',
  COMPLETED: 'runs_completed', FAILED: 'runs_failed', CANCELLED: 'runs_cancelled', DELETED: 'runs_deleted',
};
/** Run statuses only move forward; terminal ones never change except to DELETED by DeleteRun. */
const RUN_RANK: Record<RunStatus, number> = { PENDING: 0, STARTING: 1, RUNNING: 2, STOPPING: 3, COMPLETED: 4, FAILED: 4, CANCELLED: 4, DELETED: 5 };
const ACTIVE_SUM = 'runs_pending + runs_starting + runs_running + runs_stopping';
const TAG_TABLES: Record<TaggableType, string> = { workflow: 'workflows', run: 'runs', runGroup: 'run_groups', runBatch: 'batches' };
const IDEMPOTENT_TABLES: Record<IdempotentKind, string> = TAG_TABLES;

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const idStr = (v: number | null | undefined) => (v == null ? undefined : String(v));
const inList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(',');

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private stmts = new Map<string, Statement>();

  private checkpointer: Worker | undefined;

  /** With `backgroundCheckpoints`, WAL checkpoints run in a worker thread instead of inside commits. */
  constructor(file: string, options: { backgroundCheckpoints?: boolean } = {}) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    if (options.backgroundCheckpoints && file !== ':memory:') {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file, intervalMs: 250 } });
      this.checkpointer.unref();
    }
    // WAL + NORMAL survives a process crash (kill -9) without losing a commit; only power loss can drop the last ones.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // A 100,000-run batch touches several indexes per run: a 64 MiB page cache keeps them in memory.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('temp_store = MEMORY');
    this.migrate();
  }

  private migrate() {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const done = new Set(this.db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
    for (const m of SQLITE_MIGRATIONS) {
      if (done.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
      })();
    }
  }

  private q(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private nextIds(name: string, count: number): number {
    const row = this.q('UPDATE sequences SET next_value = next_value + ? WHERE name = ? RETURNING next_value').get(count, name) as Row;
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

  async getSecret(name: string, create: () => string): Promise<string> {
    return this.db.transaction(() => {
      const row = this.q('SELECT value FROM meta WHERE key = ?').get(`secret:${name}`) as Row | undefined;
      if (row) return row.value as string;
      const value = create();
      this.q('INSERT INTO meta (key, value) VALUES (?, ?)').run(`secret:${name}`, value);
      return value;
    })();
  }

  /** Looks up a previous create with the same client token, inside the caller's transaction. */
  private replay<T>(table: string, requestId: string | undefined, requestHash: string | undefined, load: (row: Row) => T): IdempotentResult<T> | undefined {
    if (!requestId) return undefined;
    const row = this.q(`SELECT * FROM ${table} WHERE request_id = ?`).get(requestId) as Row | undefined;
    if (!row) return undefined;
    return { kind: row.request_hash === requestHash ? 'replayed' : 'mismatch', record: load(row) };
  }

  // ---------------------------------------------------------------- workflows

  private workflowFromRow = (r: Row): WorkflowRecord => ({
    id: String(r.id), uuid: r.uuid, status: r.status, type: r.type, name: opt(r.name), creationTime: r.creation_time,
    requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags), doc: JSON.parse(r.doc),
  });

  async createWorkflow(rec: Omit<WorkflowRecord, 'id'>, definition: Buffer | null): Promise<IdempotentResult<WorkflowRecord>> {
    return this.db.transaction(() => {
      const prior = this.replay('workflows', rec.requestId, rec.requestHash, this.workflowFromRow);
      if (prior) return prior;
      const id = this.nextIds('workflow', 1);
      this.q(`INSERT INTO workflows (id, uuid, status, type, name, creation_time, request_id, request_hash, tags, doc, definition)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        id, rec.uuid, rec.status, rec.type, rec.name ?? null, rec.creationTime, rec.requestId ?? null, rec.requestHash ?? null,
        JSON.stringify(rec.tags), JSON.stringify(rec.doc), definition);
      return { kind: 'created' as const, record: { ...rec, id: String(id) } };
    })();
  }

  async getWorkflow(id: string) {
    const r = this.q(`SELECT * FROM workflows WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
    return r && this.workflowFromRow(r);
  }

  async getWorkflowDefinition(id: string) {
    const r = this.q('SELECT definition FROM workflows WHERE id = ?').get(id) as Row | undefined;
    return r?.definition ?? undefined;
  }

  async setWorkflowDefinition(id: string, zip: Buffer) {
    this.q('UPDATE workflows SET definition = ? WHERE id = ?').run(zip, id);
  }

  async listWorkflowsInStatus(status: WorkflowRecord['status']) {
    return (this.q('SELECT * FROM workflows WHERE status = ? ORDER BY id').all(status) as Row[]).map(this.workflowFromRow);
  }

  async listWorkflows(filter: { name?: string }, page: PageRequest) {
    const rows = this.q(`SELECT * FROM workflows WHERE status != 'DELETED' AND (@name IS NULL OR name = @name) AND id < @after
                         ORDER BY id DESC LIMIT @limit`).all({ name: filter.name ?? null, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit }) as Row[];
    return rows.map(this.workflowFromRow);
  }

  async updateWorkflow(id: string, patch: { name?: string; status?: WorkflowRecord['status']; doc?: Partial<WorkflowRecord['doc']> }) {
    return this.db.transaction(() => {
      const r = this.q(`SELECT * FROM workflows WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
      if (!r) return undefined;
      const cur = this.workflowFromRow(r);
      const next: WorkflowRecord = { ...cur, name: patch.name ?? cur.name, status: patch.status ?? cur.status, doc: { ...cur.doc, ...patch.doc } };
      this.q('UPDATE workflows SET name = ?, status = ?, doc = ? WHERE id = ?').run(next.name ?? null, next.status, JSON.stringify(next.doc), id);
      return next;
    })();
  }

  // ---------------------------------------------------------------- run groups

  private runGroupFromRow = (r: Row): RunGroupRecord => ({
    id: String(r.id), name: opt(r.name), maxCpus: opt(r.max_cpus), maxRuns: opt(r.max_runs), maxDuration: opt(r.max_duration),
    maxGpus: opt(r.max_gpus), creationTime: r.creation_time, requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags),
  });

  async createRunGroup(rec: Omit<RunGroupRecord, 'id'>) {
    return this.db.transaction((): IdempotentResult<RunGroupRecord> => {
      const prior = this.replay('run_groups', rec.requestId, rec.requestHash, this.runGroupFromRow);
      if (prior) return prior;
      const id = this.nextIds('runGroup', 1);
      this.q(`INSERT INTO run_groups (id, name, max_cpus, max_runs, max_duration, max_gpus, creation_time, request_id, request_hash, tags)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, rec.name ?? null, rec.maxCpus ?? null, rec.maxRuns ?? null, rec.maxDuration ?? null,
        rec.maxGpus ?? null, rec.creationTime, rec.requestId ?? null, rec.requestHash ?? null, JSON.stringify(rec.tags));
      return { kind: 'created', record: { ...rec, id: String(id) } };
    })();
  }

  async getRunGroup(id: string) {
    const r = this.q('SELECT * FROM run_groups WHERE id = ?').get(id) as Row | undefined;
    return r && this.runGroupFromRow(r);
  }

  async listRunGroups(filter: { name?: string }, page: PageRequest) {
    const rows = this.q(`SELECT * FROM run_groups WHERE (@name IS NULL OR name = @name) AND id < @after ORDER BY id DESC LIMIT @limit`)
      .all({ name: filter.name ?? null, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit }) as Row[];
    return rows.map(this.runGroupFromRow);
  }

  async updateRunGroup(id: string, patch: Partial<Pick<RunGroupRecord, 'name' | 'maxCpus' | 'maxRuns' | 'maxDuration' | 'maxGpus'>>) {
    const res = this.q(`UPDATE run_groups SET name = coalesce(@name, name), max_cpus = coalesce(@maxCpus, max_cpus),
      max_runs = coalesce(@maxRuns, max_runs), max_duration = coalesce(@maxDuration, max_duration), max_gpus = coalesce(@maxGpus, max_gpus)
      WHERE id = @id`).run({ id, name: patch.name ?? null, maxCpus: patch.maxCpus ?? null, maxRuns: patch.maxRuns ?? null,
      maxDuration: patch.maxDuration ?? null, maxGpus: patch.maxGpus ?? null });
    return res.changes > 0;
  }

  async deleteRunGroup(id: string) {
    return this.db.transaction((): 'deleted' | 'missing' | 'active' => {
      if (!this.q('SELECT 1 FROM run_groups WHERE id = ?').get(id)) return 'missing';
      const busy = this.q(`SELECT 1 FROM runs WHERE run_group_id = ? AND status IN ('PENDING','STARTING','RUNNING','STOPPING') LIMIT 1`).get(id);
      if (busy) return 'active';
      this.q('DELETE FROM run_groups WHERE id = ?').run(id);
      return 'deleted';
    })();
  }

  // ---------------------------------------------------------------- runs

  private runFromRow = (r: Row): RunRecord => {
    const doc = JSON.parse(r.doc);
    return {
      id: String(r.id), uuid: r.uuid, status: r.status, name: opt(r.name), workflowId: String(r.workflow_id),
      runGroupId: idStr(r.run_group_id), batchId: idStr(r.batch_id), priority: r.priority, creationTime: r.creation_time,
      startTime: opt(r.start_time), stopTime: opt(r.stop_time), statusMessage: opt(r.status_message), failureReason: opt(r.failure_reason),
      requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags),
      workflowType: doc.workflowType, roleArn: doc.roleArn, parameters: doc.parameters, outputUri: doc.outputUri,
      runOutputUri: doc.runOutputUri, workflowUuid: doc.workflowUuid, digest: doc.digest, extra: doc.extra ?? {},
    };
  };

  /** Inserts one run with a fresh id, inside the caller's transaction; the caller counts it (live runs, batch). */
  private insertRunRow(run: NewRun, id: number): RunRecord {
    const runOutputUri = run.runOutputUriPrefix + id;
    const doc = {
      workflowType: run.workflowType, roleArn: run.roleArn, parameters: run.parameters, outputUri: run.outputUri,
      runOutputUri, workflowUuid: run.workflowUuid, digest: run.digest, extra: run.extra,
    };
    this.q(`INSERT INTO runs (id, uuid, status, name, workflow_id, run_group_id, batch_id, priority, creation_time, request_id, request_hash, retention_mode, tags, doc)
            VALUES (?, ?, 'PENDING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      id, run.uuid, run.name ?? null, run.workflowId, run.runGroupId ?? null, run.batchId ?? null, run.priority, run.creationTime,
      run.requestId ?? null, run.requestHash ?? null, run.extra.retentionMode ?? 'RETAIN', JSON.stringify(run.tags), JSON.stringify(doc));
    return { ...run, id: String(id), status: 'PENDING', runOutputUri };
  }

  private liveRunCount(): number {
    return (this.q(`SELECT value FROM counters WHERE name = 'live_runs'`).get() as Row).value;
  }

  private addLiveRuns(n: number) {
    this.q(`UPDATE counters SET value = value + ? WHERE name = 'live_runs'`).run(n);
  }

  /**
   * Room for `wanted` more runs under the account's run quota: when full, the oldest finished runs
   * with retentionMode REMOVE are deleted to make room, as HealthOmics does. Caller holds the transaction.
   */
  private makeRoom(wanted: number, maxRuns: number): number {
    if (maxRuns <= 0) return wanted;
    let free = maxRuns - this.liveRunCount();
    if (free < wanted) {
      const evict = this.q(`SELECT id FROM runs WHERE retention_mode = 'REMOVE' AND status IN ('COMPLETED','FAILED','CANCELLED') ORDER BY id LIMIT ?`)
        .pluck().all(wanted - Math.max(free, 0)) as number[];
      for (const id of evict) if (this.deleteRunRow(id) === 'deleted') free++;
    }
    return Math.max(0, Math.min(wanted, free));
  }

  async reserveRunSlots(wanted: number, maxRuns: number) {
    return this.db.transaction(() => this.makeRoom(wanted, maxRuns))();
  }

  async insertRun(run: NewRun, maxRuns: number) {
    return this.db.transaction((): IdempotentResult<RunRecord> | 'quota' => {
      const prior = this.replay('runs', run.requestId, run.requestHash, this.runFromRow);
      if (prior) return prior;
      if (this.makeRoom(1, maxRuns) < 1) return 'quota';
      const record = this.insertRunRow(run, this.nextIds('run', 1));
      this.addLiveRuns(1);
      return { kind: 'created', record };
    })();
  }

  async getRun(id: string) {
    const r = this.q(`SELECT * FROM runs WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
    return r && this.runFromRow(r);
  }

  async listRuns(filter: RunFilter, page: PageRequest) {
    const rows = this.q(`SELECT * FROM runs WHERE status != 'DELETED' AND id < @after
        AND (@name IS NULL OR name = @name) AND (@runGroupId IS NULL OR run_group_id = @runGroupId)
        AND (@batchId IS NULL OR batch_id = @batchId) AND (@status IS NULL OR status = @status)
        ORDER BY id DESC LIMIT @limit`).all({
      after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit, name: filter.name ?? null,
      runGroupId: filter.runGroupId ?? null, batchId: filter.batchId ?? null, status: filter.status ?? null,
    }) as Row[];
    return rows.map(this.runFromRow);
  }

  /**
   * Moves a run's status; its batch's run counters move by the same step, either at once or, when
   * `deltas` is given, summed per batch for one update at the end of the caller's transaction.
   */
  private moveRun(id: number | string, batchId: number | null, from: RunStatus, to: RunStatus,
    set: { at: number; startTime?: number; statusMessage?: string; failureReason?: string }, deltas?: CounterDeltas) {
    const startTime = set.startTime ?? (to === 'RUNNING' ? set.at : null);
    const stopTime = isTerminalRunStatus(to) && to !== 'DELETED' ? set.at : null;
    this.q(`UPDATE runs SET status = @to, start_time = coalesce(start_time, @startTime), stop_time = coalesce(stop_time, @stopTime),
            status_message = coalesce(@statusMessage, status_message), failure_reason = coalesce(@failureReason, failure_reason)
            WHERE id = @id`).run({ id, to, startTime, stopTime, statusMessage: set.statusMessage ?? null, failureReason: set.failureReason ?? null });
    if (to === 'DELETED') this.addLiveRuns(-1);
    if (batchId == null) return;
    const d = deltas ?? new CounterDeltas();
    d.move(batchId, from, to);
    if (!deltas) this.applyDeltas(d);
  }

  private applyDeltas(d: CounterDeltas) {
    for (const [batchId, cols] of d.byBatch) {
      const sets = [...cols].filter(([, n]) => n !== 0).map(([col, n]) => `${col} = ${col} + ${n}`);
      if (sets.length) this.q(`UPDATE batches SET ${sets.join(', ')} WHERE id = ?`).run(batchId);
    }
  }

  /** INPROGRESS → PROCESSED once no run of the batch is active; caller holds the transaction. */
  private maybeProcessed(batchId: number, at: number): boolean {
    const r = this.q(`UPDATE batches SET status = 'PROCESSED', processed_time = ? WHERE id = ? AND status = 'INPROGRESS' AND ${ACTIVE_SUM} = 0`).run(at, batchId);
    return r.changes > 0;
  }

  async applyTransitions(changes: RunTransition[], tasks: TaskUpdate[]) {
    return this.db.transaction(() => {
      // Several reports for one run in one flush collapse into its furthest status (keeping when it started running).
      const latest = new Map<string, RunTransition & { startTime?: number }>();
      for (const c of changes) {
        const prev = latest.get(c.runId);
        const startTime = prev?.startTime ?? (c.status === 'RUNNING' ? c.at : undefined);
        if (!prev || RUN_RANK[c.status] > RUN_RANK[prev.status]) latest.set(c.runId, { ...c, startTime });
        else prev.startTime = startTime;
      }
      const applied: AppliedTransition[] = [];
      const deltas = new CounterDeltas();
      const finishedIn = new Map<number, number>();
      for (const c of latest.values()) {
        const r = this.q('SELECT status, batch_id FROM runs WHERE id = ?').get(c.runId) as Row | undefined;
        if (!r) continue;
        const from = r.status as RunStatus;
        if (RUN_RANK[c.status] <= RUN_RANK[from] || from === 'DELETED') continue;
        this.moveRun(c.runId, r.batch_id, from, c.status, c, deltas);
        if (r.batch_id != null && isTerminalRunStatus(c.status)) finishedIn.set(r.batch_id, c.at);
        applied.push({ runId: c.runId, status: c.status, previous: from });
      }
      this.applyDeltas(deltas);
      for (const t of coalesceTasks(tasks)) this.upsertTask(t);
      for (const [batchId, at] of finishedIn) this.maybeProcessed(batchId, at);
      return applied;
    })();
  }

  private upsertTask(t: TaskUpdate & { startTime?: number }) {
    const cur = this.q('SELECT id, status FROM tasks WHERE run_id = ? AND name = ? ORDER BY id DESC LIMIT 1').get(t.runId, t.name) as Row | undefined;
    const startTime = t.startTime ?? (t.status === 'RUNNING' ? t.at : null);
    const stopTime = ['COMPLETED', 'FAILED', 'CANCELLED'].includes(t.status) ? t.at : null;
    if (!cur) {
      const id = this.nextIds('task', 1);
      this.q(`INSERT INTO tasks (id, run_id, name, status, cpus, memory, gpus, creation_time, start_time, stop_time, status_message, failure_reason, log_stream)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, t.runId, t.name, t.status, t.cpus ?? null, t.memory ?? null, t.gpus ?? null,
        t.at, startTime, stopTime, t.statusMessage ?? null, t.failureReason ?? null, t.logStream ?? null);
      return;
    }
    this.q(`UPDATE tasks SET status = @status, cpus = coalesce(@cpus, cpus), memory = coalesce(@memory, memory), gpus = coalesce(@gpus, gpus),
            start_time = coalesce(start_time, @startTime), stop_time = coalesce(stop_time, @stopTime),
            status_message = coalesce(@statusMessage, status_message), failure_reason = coalesce(@failureReason, failure_reason),
            log_stream = coalesce(@logStream, log_stream) WHERE id = @id`).run({
      id: cur.id, status: t.status, cpus: t.cpus ?? null, memory: t.memory ?? null, gpus: t.gpus ?? null, startTime, stopTime,
      statusMessage: t.statusMessage ?? null, failureReason: t.failureReason ?? null, logStream: t.logStream ?? null,
    });
  }

  /** Cancels one run if it is still cancellable; caller holds the transaction. */
  private cancelRunRow(runId: string | number, at: number): { previous?: RunStatus; cancelled: boolean; batchId?: number } {
    const r = this.q('SELECT id, status, batch_id FROM runs WHERE id = ?').get(runId) as Row | undefined;
    if (!r) return { cancelled: false };
    const from = r.status as RunStatus;
    if (!CANCELLABLE_RUN_STATUSES.includes(from)) return { previous: from, cancelled: false };
    this.moveRun(r.id, r.batch_id, from, 'CANCELLED', { at, statusMessage: 'Run cancelled by request' });
    this.q(`UPDATE tasks SET status = 'CANCELLED', stop_time = coalesce(stop_time, ?) WHERE run_id = ? AND status NOT IN ('COMPLETED','FAILED','CANCELLED')`).run(at, r.id);
    return { previous: from, cancelled: true, batchId: r.batch_id ?? undefined };
  }

  async cancelRuns(runIds: string[], at: number) {
    return this.db.transaction(() => runIds.map((runId) => {
      const res = this.cancelRunRow(runId, at);
      if (res.batchId != null) this.maybeProcessed(res.batchId, at);
      return { runId, previous: res.previous, cancelled: res.cancelled };
    }))();
  }

  /** DeleteRun on one run; caller holds the transaction. */
  private deleteRunRow(id: string | number): 'deleted' | 'missing' | RunStatus {
    const r = this.q('SELECT id, status, batch_id FROM runs WHERE id = ?').get(id) as Row | undefined;
    if (!r || r.status === 'DELETED') return 'missing';
    if (!DELETABLE_RUN_STATUSES.includes(r.status)) return r.status;
    this.moveRun(r.id, r.batch_id, r.status, 'DELETED', { at: Date.now() });
    return 'deleted';
  }

  async deleteRun(id: string) {
    return this.db.transaction(() => this.deleteRunRow(id))();
  }

  async queuedRuns(limit: number, excludeGroups: string[]) {
    const exclude = excludeGroups.length ? `AND (run_group_id IS NULL OR run_group_id NOT IN (${excludeGroups.map(Number).join(',')}))` : '';
    const rows = this.q(`SELECT * FROM runs INDEXED BY runs_queue WHERE status = 'PENDING' ${exclude} ORDER BY priority DESC, id LIMIT ?`).all(limit) as Row[];
    return rows.map(this.runFromRow);
  }

  async markStarting(runIds: string[]) {
    return this.db.transaction(() => {
      const moved: string[] = [];
      const deltas = new CounterDeltas();
      for (const id of runIds) {
        const r = this.q(`UPDATE runs SET status = 'STARTING' WHERE id = ? AND status = 'PENDING' RETURNING batch_id`).get(id) as Row | undefined;
        if (!r) continue;
        if (r.batch_id != null) deltas.move(r.batch_id, 'PENDING', 'STARTING');
        moved.push(id);
      }
      this.applyDeltas(deltas);
      return moved;
    })();
  }

  async findByRequest(kind: IdempotentKind, requestId: string) {
    const r = this.q(`SELECT id, request_hash FROM ${IDEMPOTENT_TABLES[kind]} WHERE request_id = ?`).get(requestId) as Row | undefined;
    return r && { id: String(r.id), requestHash: r.request_hash as string };
  }

  async countActiveRuns() {
    const rows = this.q(`SELECT run_group_id AS g, count(*) AS n FROM runs INDEXED BY runs_active WHERE status IN ('STARTING','RUNNING','STOPPING') GROUP BY run_group_id`).all() as Row[];
    const byGroup = new Map<string, number>();
    let total = 0;
    for (const r of rows) {
      total += r.n;
      if (r.g != null) byGroup.set(String(r.g), r.n);
    }
    return { total, byGroup };
  }

  async activeCpusByGroup() {
    const rows = this.q(`SELECT r.run_group_id AS g, sum(max(1, coalesce((SELECT sum(t.cpus) FROM tasks t
        WHERE t.run_id = r.id AND t.status NOT IN ('COMPLETED','FAILED','CANCELLED')), 0))) AS cpus
      FROM runs r INDEXED BY runs_active WHERE r.status IN ('STARTING','RUNNING','STOPPING') AND r.run_group_id IS NOT NULL
      GROUP BY r.run_group_id`).all() as Row[];
    return new Map(rows.map((r) => [String(r.g), Number(r.cpus)]));
  }

  async listRunsInStatus(statuses: RunStatus[]) {
    return (this.q(`SELECT * FROM runs WHERE status IN (${inList(statuses)}) ORDER BY id`).all() as Row[]).map(this.runFromRow);
  }

  // ---------------------------------------------------------------- tasks

  private taskFromRow = (r: Row): TaskRecord => ({
    id: String(r.id), runId: String(r.run_id), name: r.name, status: r.status, cpus: opt(r.cpus), memory: opt(r.memory), gpus: opt(r.gpus),
    creationTime: r.creation_time, startTime: opt(r.start_time), stopTime: opt(r.stop_time), statusMessage: opt(r.status_message),
    failureReason: opt(r.failure_reason), logStream: opt(r.log_stream),
  });

  async listTasks(runId: string, filter: { status?: string }, page: PageRequest) {
    const rows = this.q(`SELECT * FROM tasks WHERE run_id = @runId AND id > @after AND (@status IS NULL OR status = @status) ORDER BY id LIMIT @limit`)
      .all({ runId, after: page.after ?? 0, status: filter.status ?? null, limit: page.limit }) as Row[];
    return rows.map(this.taskFromRow);
  }

  async getTask(runId: string, taskId: string) {
    const r = this.q('SELECT * FROM tasks WHERE run_id = ? AND id = ?').get(runId, taskId) as Row | undefined;
    return r && this.taskFromRow(r);
  }

  // ---------------------------------------------------------------- tags

  async getTags(type: TaggableType, id: string) {
    const hidden = type === 'run' ? ` AND status != 'DELETED'` : type === 'workflow' ? ` AND status != 'DELETED'` : '';
    const r = this.q(`SELECT tags FROM ${TAG_TABLES[type]} WHERE id = ?${hidden}`).get(id) as Row | undefined;
    return r ? (JSON.parse(r.tags) as Tags) : undefined;
  }

  async setTags(type: TaggableType, id: string, tags: Tags) {
    return this.q(`UPDATE ${TAG_TABLES[type]} SET tags = ? WHERE id = ?`).run(JSON.stringify(tags), id).changes > 0;
  }

  // ---------------------------------------------------------------- batches

  private batchFromRow = (r: Row): BatchRecord => ({
    id: String(r.id), uuid: r.uuid, name: opt(r.name), status: r.status, requestId: r.request_id, requestHash: r.request_hash,
    workflowId: String(r.workflow_id), runGroupId: idStr(r.run_group_id), creationTime: r.creation_time,
    submittedTime: opt(r.submitted_time), processedTime: opt(r.processed_time), failedTime: opt(r.failed_time), failureReason: opt(r.failure_reason),
    tags: JSON.parse(r.tags), defaultRunSetting: JSON.parse(r.default_run_setting),
    inlineSettings: r.inline_settings == null ? undefined : JSON.parse(r.inline_settings), s3Uri: opt(r.s3_uri), s3Etag: opt(r.s3_etag),
    totalRuns: opt(r.total_runs), cancelRequested: !!r.cancel_requested, deleteRequested: !!r.delete_requested,
    submission: {
      successfulStartSubmissionCount: r.start_ok, failedStartSubmissionCount: r.start_failed, pendingStartSubmissionCount: r.start_pending,
      successfulCancelSubmissionCount: r.cancel_ok, failedCancelSubmissionCount: r.cancel_failed,
      successfulDeleteSubmissionCount: r.delete_ok, failedDeleteSubmissionCount: r.delete_failed,
    },
    runs: {
      pendingRunCount: r.runs_pending, startingRunCount: r.runs_starting, runningRunCount: r.runs_running, stoppingRunCount: r.runs_stopping,
      completedRunCount: r.runs_completed, failedRunCount: r.runs_failed, cancelledRunCount: r.runs_cancelled, deletedRunCount: r.runs_deleted,
    },
  });

  async createBatch(rec: NewBatch) {
    return this.db.transaction((): IdempotentResult<BatchRecord> => {
      const prior = this.replay('batches', rec.requestId, rec.requestHash, this.batchFromRow);
      if (prior) return prior;
      const id = this.nextIds('runBatch', 1);
      this.q(`INSERT INTO batches (id, uuid, name, status, request_id, request_hash, workflow_id, run_group_id, creation_time, tags,
              default_run_setting, inline_settings, s3_uri, s3_etag) VALUES (?, ?, ?, 'CREATING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        id, rec.uuid, rec.name ?? null, rec.requestId, rec.requestHash, rec.workflowId, rec.runGroupId ?? null, rec.creationTime,
        JSON.stringify(rec.tags), JSON.stringify(rec.defaultRunSetting), rec.inlineSettings ? JSON.stringify(rec.inlineSettings) : null,
        rec.s3Uri ?? null, rec.s3Etag ?? null);
      return { kind: 'created', record: this.batchFromRow(this.q('SELECT * FROM batches WHERE id = ?').get(id) as Row) };
    })();
  }

  async getBatch(id: string) {
    const r = this.q('SELECT * FROM batches WHERE id = ?').get(id) as Row | undefined;
    return r && this.batchFromRow(r);
  }

  async listBatches(filter: BatchFilter, page: PageRequest) {
    const rows = this.q(`SELECT * FROM batches WHERE id < @after AND (@status IS NULL OR status = @status)
        AND (@name IS NULL OR name = @name) AND (@runGroupId IS NULL OR run_group_id = @runGroupId) ORDER BY id DESC LIMIT @limit`).all({
      after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit, status: filter.status ?? null, name: filter.name ?? null,
      runGroupId: filter.runGroupId ?? null,
    }) as Row[];
    return rows.map(this.batchFromRow);
  }

  async batchIdsInStatus(statuses: BatchStatus[]) {
    return (this.q(`SELECT id FROM batches WHERE status IN (${inList(statuses)}) ORDER BY id`).pluck().all() as number[]).map(String);
  }

  async transitionBatch(id: string, from: readonly BatchStatus[], to: BatchStatus) {
    return this.db.transaction(() => {
      const r = this.q('SELECT status FROM batches WHERE id = ?').get(id) as Row | undefined;
      if (!r) return { moved: false };
      if (!from.includes(r.status)) return { moved: false, status: r.status as BatchStatus };
      const extra = to === 'STOPPING' ? ', cancel_requested = 1, start_pending = 0, op_cursor = 0'
        : to === 'RUNS_DELETING' ? ', delete_requested = 1, op_cursor = 0' : '';
      this.q(`UPDATE batches SET status = ?${extra} WHERE id = ?`).run(to, id);
      return { moved: true, status: to };
    })();
  }

  async failBatch(id: string, from: readonly BatchStatus[], reason: string, at: number) {
    return this.db.transaction(() => {
      const r = this.q(`UPDATE batches SET status = 'FAILED', failure_reason = ?, failed_time = ? WHERE id = ? AND status IN (${inList(from)})`).run(reason, at, id);
      return r.changes > 0;
    })();
  }

  async clearEntries(batchId: string) {
    this.q('DELETE FROM batch_entries WHERE batch_id = ?').run(batchId);
  }

  async insertEntries(batchId: string, entries: NewEntry[]) {
    return this.db.transaction(() => {
      const ins = this.q('INSERT OR IGNORE INTO batch_entries (batch_id, seq, run_setting_id, setting, byte_start, byte_end) VALUES (?, ?, ?, ?, ?, ?)');
      let added = 0;
      for (const e of entries) added += ins.run(batchId, e.seq, e.runSettingId, e.setting ?? null, e.start ?? null, e.end ?? null).changes;
      return added;
    })();
  }

  async finishIngest(batchId: string, totalRuns: number) {
    return this.q(`UPDATE batches SET status = 'SUBMITTING', total_runs = ?, start_pending = ? WHERE id = ? AND status = 'PENDING'`)
      .run(totalRuns, totalRuns, batchId).changes > 0;
  }

  async nextUnsubmittedEntries(batchId: string, limit: number) {
    const rows = this.q(`SELECT seq, run_setting_id, setting, byte_start, byte_end FROM batch_entries INDEXED BY batch_entries_status
                   WHERE batch_id = ? AND submission_status IS NULL ORDER BY seq LIMIT ?`).all(batchId, limit) as Row[];
    return rows.map((r): NewEntry => ({ seq: r.seq, runSettingId: r.run_setting_id, setting: opt(r.setting), start: opt(r.byte_start), end: opt(r.byte_end) }));
  }

  async submitEntries(batchId: string, outcomes: SubmissionOutcome[], at: number) {
    return this.db.transaction(() => {
      const b = this.q('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'SUBMITTING') return { applied: false, runs: [] as RunRecord[] };
      const created = outcomes.filter((o): o is Extract<SubmissionOutcome, { run: NewRun }> => 'run' in o);
      let nextId = created.length ? this.nextIds('run', created.length) : 0;
      const runs: RunRecord[] = [];
      const markOk = this.q(`UPDATE batch_entries SET submission_status = 'SUCCESS', run_id = ?, run_uuid = ? WHERE batch_id = ? AND seq = ? AND submission_status IS NULL`);
      const markFailed = this.q(`UPDATE batch_entries SET submission_status = 'FAILED', failure_reason = ?, failure_message = ? WHERE batch_id = ? AND seq = ? AND submission_status IS NULL`);
      let ok = 0;
      let failed = 0;
      for (const o of outcomes) {
        if ('run' in o) {
          const id = nextId++;
          // The entry is claimed in the same transaction that creates its run: a replay after a crash finds it taken.
          if (markOk.run(id, o.run.uuid, batchId, o.seq).changes === 0) continue;
          runs.push(this.insertRunRow(o.run, id));
          ok++;
        } else if (markFailed.run(o.failure.reason, o.failure.message, batchId, o.seq).changes > 0) {
          failed++;
        }
      }
      this.q(`UPDATE batches SET start_ok = start_ok + ?, start_failed = start_failed + ?, start_pending = start_pending - ?, runs_pending = runs_pending + ? WHERE id = ?`)
        .run(ok, failed, ok + failed, ok, batchId);
      this.addLiveRuns(ok);
      this.q(`UPDATE batches SET status = 'INPROGRESS', submitted_time = ? WHERE id = ? AND status = 'SUBMITTING' AND start_pending = 0`).run(at, batchId);
      this.maybeProcessed(Number(batchId), at);
      return { applied: true, runs };
    })();
  }

  async listEntries(batchId: string, filter: EntryFilter, page: PageRequest) {
    // Each filter has its own index, so a page costs the same at the end of a 100,000-entry batch as at the start.
    const [index, where] = filter.submissionStatus ? ['batch_entries_status', 'submission_status = @status']
      : filter.runSettingId ? ['batch_entries_setting', 'run_setting_id = @rsid']
      : filter.runId ? ['batch_entries_run', 'run_id = @runId']
      : ['', 'submission_status IS NOT NULL'];
    const rows = this.q(`SELECT seq, run_setting_id, submission_status, run_id, run_uuid, failure_reason, failure_message
        FROM batch_entries ${index ? `INDEXED BY ${index}` : ''} WHERE batch_id = @batchId AND seq > @after AND ${where}
        ORDER BY seq LIMIT @limit`).all({
      batchId, after: page.after ?? -1, limit: page.limit, status: filter.submissionStatus ?? null,
      rsid: filter.runSettingId ?? null, runId: filter.runId ?? null,
    }) as Row[];
    return rows.map((r): BatchEntryRecord => ({
      seq: r.seq, runSettingId: r.run_setting_id, submissionStatus: r.submission_status, runId: idStr(r.run_id), runUuid: opt(r.run_uuid),
      failureReason: opt(r.failure_reason), failureMessage: opt(r.failure_message),
    }));
  }

  /** Entries after the batch's cursor that got a run, for the cancel and delete walkers. */
  private entriesWithRuns(batchId: string, limit: number) {
    const cursor = (this.q('SELECT op_cursor FROM batches WHERE id = ?').get(batchId) as Row).op_cursor as number;
    return this.q(`SELECT e.seq, e.run_id, e.submission_status, r.status AS run_status FROM batch_entries e LEFT JOIN runs r ON r.id = e.run_id
                   WHERE e.batch_id = ? AND e.seq >= ? AND e.run_id IS NOT NULL ORDER BY e.seq LIMIT ?`).all(batchId, cursor, limit) as Row[];
  }

  async cancelBatchStep(batchId: string, limit: number, at: number) {
    return this.db.transaction(() => {
      const b = this.q('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'STOPPING') return { done: true, cancelledActive: [] as string[] };
      const rows = this.entriesWithRuns(batchId, limit);
      const cancelledActive: string[] = [];
      let ok = 0;
      let failed = 0;
      for (const e of rows) {
        if (e.submission_status !== 'SUCCESS' || !CANCELLABLE_RUN_STATUSES.includes(e.run_status)) continue;
        const res = this.cancelRunRow(e.run_id, at);
        if (res.cancelled) {
          ok++;
          this.q(`UPDATE batch_entries SET submission_status = 'CANCEL_SUCCESS' WHERE batch_id = ? AND seq = ?`).run(batchId, e.seq);
          if (res.previous !== 'PENDING') cancelledActive.push(String(e.run_id));
        } else {
          failed++;
          this.q(`UPDATE batch_entries SET submission_status = 'CANCEL_FAILED', failure_reason = 'ConflictException', failure_message = ? WHERE batch_id = ? AND seq = ?`)
            .run(`Run ${e.run_id} is in status ${res.previous ?? 'DELETED'} and cannot be cancelled`, batchId, e.seq);
        }
      }
      const done = rows.length < limit;
      const cursor = rows.length ? rows[rows.length - 1].seq + 1 : 0;
      this.q(`UPDATE batches SET cancel_ok = cancel_ok + ?, cancel_failed = cancel_failed + ?, op_cursor = max(op_cursor, ?) ${done ? ", status = 'CANCELLED'" : ''} WHERE id = ?`)
        .run(ok, failed, cursor, batchId);
      return { done, cancelledActive };
    })();
  }

  async deleteRunsStep(batchId: string, limit: number) {
    return this.db.transaction(() => {
      const b = this.q('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'RUNS_DELETING') return { done: true };
      const rows = this.entriesWithRuns(batchId, limit);
      let ok = 0;
      let failed = 0;
      for (const e of rows) {
        if (e.submission_status === 'DELETE_SUCCESS') continue;
        const res = this.deleteRunRow(e.run_id);
        if (res === 'deleted' || res === 'missing') {
          ok++;
          this.q(`UPDATE batch_entries SET submission_status = 'DELETE_SUCCESS', failure_reason = NULL, failure_message = NULL WHERE batch_id = ? AND seq = ?`).run(batchId, e.seq);
        } else {
          failed++;
          this.q(`UPDATE batch_entries SET submission_status = 'DELETE_FAILED', failure_reason = 'ConflictException', failure_message = ? WHERE batch_id = ? AND seq = ?`)
            .run(`Run ${e.run_id} is in status ${res} and cannot be deleted`, batchId, e.seq);
        }
      }
      const done = rows.length < limit;
      const cursor = rows.length ? rows[rows.length - 1].seq + 1 : 0;
      this.q(`UPDATE batches SET delete_ok = delete_ok + ?, delete_failed = delete_failed + ?, op_cursor = max(op_cursor, ?) WHERE id = ?`).run(ok, failed, cursor, batchId);
      if (done) this.q(`UPDATE batches SET status = CASE WHEN delete_failed > 0 THEN 'RUNS_DELETE_FAILED' ELSE 'RUNS_DELETED' END WHERE id = ?`).run(batchId);
      return { done };
    })();
  }

  async deleteBatch(id: string) {
    return this.db.transaction((): 'deleted' | 'missing' | BatchStatus => {
      const r = this.q('SELECT status FROM batches WHERE id = ?').get(id) as Row | undefined;
      if (!r) return 'missing';
      if (!DELETABLE_BATCH_STATUSES.includes(r.status)) return r.status;
      this.q('INSERT OR IGNORE INTO batch_purges (batch_id) VALUES (?)').run(id);
      this.q('DELETE FROM batches WHERE id = ?').run(id);
      return 'deleted';
    })();
  }

  async purgeDeletedBatches(limit: number) {
    return this.db.transaction(() => {
      const purge = this.q('SELECT batch_id FROM batch_purges LIMIT 1').pluck().get() as number | undefined;
      if (purge === undefined) return false;
      const n = this.q('DELETE FROM batch_entries WHERE batch_id = ? AND seq IN (SELECT seq FROM batch_entries WHERE batch_id = ? ORDER BY seq LIMIT ?)')
        .run(purge, purge, limit).changes;
      if (n < limit) this.q('DELETE FROM batch_purges WHERE batch_id = ?').run(purge);
      return true;
    })();
  }
}

/** Batch run-counter changes summed per batch and column within one transaction. */
class CounterDeltas {
  readonly byBatch = new Map<number, Map<string, number>>();

  move(batchId: number, from: RunStatus, to: RunStatus) {
    let cols = this.byBatch.get(batchId);
    if (!cols) this.byBatch.set(batchId, (cols = new Map()));
    cols.set(RUN_COUNTER[from], (cols.get(RUN_COUNTER[from]) ?? 0) - 1);
    cols.set(RUN_COUNTER[to], (cols.get(RUN_COUNTER[to]) ?? 0) + 1);
  }
}

const TASK_RANK: Record<string, number> = { PENDING: 0, STARTING: 1, RUNNING: 2, STOPPING: 3, COMPLETED: 4, FAILED: 4, CANCELLED: 4 };

/** One update per task per flush: the furthest status, keeping when it started running. */
function coalesceTasks(tasks: TaskUpdate[]): (TaskUpdate & { startTime?: number })[] {
  const out = new Map<string, TaskUpdate & { startTime?: number }>();
  for (const t of tasks) {
    const key = `${t.runId}\u0000${t.name}`;
    const prev = out.get(key);
    const startTime = prev?.startTime ?? (t.status === 'RUNNING' ? t.at : undefined);
    if (!prev || TASK_RANK[t.status] >= TASK_RANK[prev.status]) out.set(key, { ...prev, ...t, startTime });
    else prev.startTime = startTime;
  }
  return [...out.values()];
}
