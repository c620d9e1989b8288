import {
  BATCH_TRANSITIONS, type BatchCondition, type BatchEffect, type BatchTransitionName,
} from '../domain/batches/batch-transitions.js';
import type { RunStatus } from '../domain/model.js';
import type { IdempotentKind } from './store.js';

/**
 * What both SQL dialects share: the schema's names and the row conventions (docs/storage.md). Each
 * dialect writes these fragments with `?` / `@name` parameters, which its driver binds.
 */
export type Row = Record<string, any>;

export const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
export const idStr = (v: number | null | undefined) => (v == null ? undefined : String(v));
/**
 * Whether `id` is an id as omicsd writes it. Ids are integer columns: SQLite would find run 1000001
 * for "0001000001" too, and PostgreSQL refuses a non-number outright, so a client's id in any other
 * spelling names nothing, in either dialect.
 */
export const isCanonicalId = (id: string) => /^[1-9][0-9]{0,17}$/.test(id);

/** An SQL list of trusted constants (statuses), for IN (...). */
export const inList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(',');

/** The table each kind of idempotent create writes. */
export const TABLE_OF: Record<IdempotentKind, string> = {
  workflow: 'workflows', run: 'runs', runGroup: 'run_groups', runBatch: 'batches',
  workflowVersion: 'workflow_versions', runCache: 'run_caches', configuration: 'configurations',
};

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
export const RUN_COUNTER: Record<RunStatus, string> = {
  PENDING: 'runs_pending', STARTING: 'runs_starting', RUNNING: 'runs_running', STOPPING: 'runs_stopping',
  COMPLETED: 'runs_completed', FAILED: 'runs_failed', CANCELLED: 'runs_cancelled', DELETED: 'runs_deleted',
};

/** One compare-and-set UPDATE per named transition, built from the rule, with the named parameters it uses. */
export function transitionSql(name: BatchTransitionName): { sql: string; params: string[] } {
  const rule = BATCH_TRANSITIONS[name];
  const sets = ['status = @to', ...rule.effects.map((e) => EFFECT_SQL[e])].join(', ');
  const when = 'when' in rule ? ` AND ${CONDITION_SQL[rule.when]}` : '';
  const sql = `UPDATE batches SET ${sets} WHERE id = @id AND status IN (${inList(rule.from)})${when}`;
  // better-sqlite3 refuses named parameters that a statement does not use.
  const params = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]))];
  return { sql, params };
}

/** The values a transition's statement binds. */
export function transitionValues(id: string | number, name: BatchTransitionName, args: { at: number; totalRuns?: number; failureReason?: string; failureDetail?: string }) {
  return {
    id, to: BATCH_TRANSITIONS[name].to, at: args.at, totalRuns: args.totalRuns ?? null, failureReason: args.failureReason ?? null,
    failureDetail: args.failureDetail ?? null,
  } as Record<string, unknown>;
}
