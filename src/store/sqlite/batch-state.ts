import {
  BATCH_TRANSITIONS, type BatchCondition, type BatchEffect, type BatchMove, type BatchTransitionArgs, type BatchTransitionName,
  type BatchTransitionResult,
} from '../../domain/batches/batch-transitions.js';
import type { BatchStatus, RunStatus } from '../../domain/model.js';
import { inList, type Row, type SqliteDatabase } from './database.js';

/** How each condition and effect of the domain's batch state machine reads in this schema. */
const CONDITION_SQL: Record<BatchCondition, string> = {
  noEntryPending: 'start_pending = 0',
  noActiveRun: 'runs_pending + runs_starting + runs_running + runs_stopping = 0',
  noFailedDelete: 'delete_failed = 0',
  someFailedDelete: 'delete_failed > 0',
};
const EFFECT_SQL: Record<BatchEffect, string> = {
  recordTotalRuns: 'total_runs = @totalRuns, start_pending = @totalRuns',
  recordFailure: 'failure_reason = @failureReason, failure_detail = coalesce(@failureDetail, @failureReason), failed_time = @at',
  stampSubmittedTime: 'submitted_time = @at',
  stampProcessedTime: 'processed_time = @at',
  markCancelRequested: 'cancel_requested = 1',
  clearPendingStarts: 'start_pending = 0',
  markDeleteRequested: 'delete_requested = 1',
  resetWalkerCursor: 'op_cursor = 0',
};

/** The batch run-counter column of each run status. */
const RUN_COUNTER: Record<RunStatus, string> = {
  PENDING: 'runs_pending', STARTING: 'runs_starting', RUNNING: 'runs_running', STOPPING: 'runs_stopping',
  COMPLETED: 'runs_completed', FAILED: 'runs_failed', CANCELLED: 'runs_cancelled', DELETED: 'runs_deleted',
};

/** One compare-and-set UPDATE per named transition, built once from the rule. */
function transitionSql(name: BatchTransitionName): { sql: string; params: string[] } {
  const rule = BATCH_TRANSITIONS[name];
  const sets = ['status = @to', ...rule.effects.map((e) => EFFECT_SQL[e])].join(', ');
  const when = 'when' in rule ? ` AND ${CONDITION_SQL[rule.when]}` : '';
  const sql = `UPDATE batches SET ${sets} WHERE id = @id AND status IN (${inList(rule.from)})${when}`;
  // better-sqlite3 refuses named parameters that a statement does not use.
  const params = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]))];
  return { sql, params };
}

/** Batch status and counters: the only code that writes them. */
export class SqliteBatchState {
  private compiled = new Map<BatchTransitionName, { sql: string; params: string[] }>();
  private listeners: ((move: BatchMove) => void)[] = [];

  constructor(private db: SqliteDatabase) {}

  /** Tells `listener` of every transition, once the transaction that made it has committed. */
  onTransition(listener: (move: BatchMove) => void) {
    this.listeners.push(listener);
  }

  /** Applies a named transition atomically (joining the caller's transaction, if any). */
  apply(id: string | number, name: BatchTransitionName, args: BatchTransitionArgs): BatchTransitionResult {
    let c = this.compiled.get(name);
    if (!c) this.compiled.set(name, (c = transitionSql(name)));
    const values: Record<string, unknown> = {
      id, to: BATCH_TRANSITIONS[name].to, at: args.at, totalRuns: args.totalRuns ?? null, failureReason: args.failureReason ?? null,
      failureDetail: args.failureDetail ?? null,
    };
    const { sql, params } = c;
    return this.db.transaction(() => {
      if (this.db.prepared(sql).run(Object.fromEntries(params.map((p) => [p, values[p]]))).changes > 0) {
        const move: BatchMove = { batchId: String(id), transition: name, status: BATCH_TRANSITIONS[name].to, at: args.at };
        this.db.onCommit(() => {
          for (const listener of this.listeners) listener(move);
        });
        return { moved: true, status: move.status };
      }
      const r = this.db.prepared('SELECT status FROM batches WHERE id = ?').get(id) as Row | undefined;
      return { moved: false, status: r?.status as BatchStatus | undefined };
    });
  }
}

/** Batch run-counter changes summed per batch and column, written once at the end of a transaction. */
export class CounterDeltas {
  private byBatch = new Map<number, Map<string, number>>();

  constructor(private db: SqliteDatabase) {}

  move(batchId: number, from: RunStatus, to: RunStatus) {
    let cols = this.byBatch.get(batchId);
    if (!cols) this.byBatch.set(batchId, (cols = new Map()));
    cols.set(RUN_COUNTER[from], (cols.get(RUN_COUNTER[from]) ?? 0) - 1);
    cols.set(RUN_COUNTER[to], (cols.get(RUN_COUNTER[to]) ?? 0) + 1);
  }

  /** Writes the summed changes; caller holds the transaction. */
  write() {
    for (const [batchId, cols] of this.byBatch) {
      const moved = [...cols].filter(([, n]) => n !== 0);
      if (!moved.length) continue;
      // Amounts are bound, not written into the SQL: statements are cached by their text, and only
      // the (few) combinations of columns may make new ones.
      const sets = moved.map(([col]) => `${col} = ${col} + ?`).join(', ');
      this.db.prepared(`UPDATE batches SET ${sets} WHERE id = ?`).run(...moved.map(([, n]) => n), batchId);
    }
    this.byBatch.clear();
  }
}
