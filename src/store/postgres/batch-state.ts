import {
  BATCH_TRANSITIONS, type BatchMove, type BatchTransitionArgs, type BatchTransitionName, type BatchTransitionResult,
} from '../../domain/batches/batch-transitions.js';
import type { BatchStatus, RunStatus } from '../../domain/model.js';
import { isCanonicalId, RUN_COUNTER, transitionSql, transitionValues, type Row } from '../sql-common.js';
import type { PgDatabase } from './database.js';

/** Batch status and counters: the only code that writes them. */
export class PgBatchState {
  private compiled = new Map<BatchTransitionName, { sql: string; params: string[] }>();
  private listeners: ((move: BatchMove) => void)[] = [];

  constructor(private db: PgDatabase) {}

  /** Tells `listener` of every transition, once the transaction that made it has committed. */
  onTransition(listener: (move: BatchMove) => void) {
    this.listeners.push(listener);
  }

  /** Applies a named transition atomically (joining the caller's transaction, if any). */
  async apply(id: string | number, name: BatchTransitionName, args: BatchTransitionArgs): Promise<BatchTransitionResult> {
    if (!isCanonicalId(String(id))) return { moved: false, status: undefined };
    let c = this.compiled.get(name);
    if (!c) this.compiled.set(name, (c = transitionSql(name)));
    const values = transitionValues(id, name, args);
    const { sql, params } = c;
    return this.db.transaction(async () => {
      if ((await this.db.prepared(sql).run(Object.fromEntries(params.map((p) => [p, values[p]])))).changes > 0) {
        const move: BatchMove = { batchId: String(id), transition: name, status: BATCH_TRANSITIONS[name].to, at: args.at };
        this.db.onCommit(() => {
          for (const listener of this.listeners) listener(move);
        });
        return { moved: true, status: move.status };
      }
      const r = await this.db.prepared('SELECT status FROM batches WHERE id = ?').get(id) as Row | undefined;
      return { moved: false, status: r?.status as BatchStatus | undefined };
    });
  }
}

/** Batch run-counter changes summed per batch and column, written once at the end of a transaction. */
export class CounterDeltas {
  private byBatch = new Map<number, Map<string, number>>();

  constructor(private db: PgDatabase) {}

  move(batchId: number, from: RunStatus, to: RunStatus) {
    let cols = this.byBatch.get(batchId);
    if (!cols) this.byBatch.set(batchId, (cols = new Map()));
    cols.set(RUN_COUNTER[from], (cols.get(RUN_COUNTER[from]) ?? 0) - 1);
    cols.set(RUN_COUNTER[to], (cols.get(RUN_COUNTER[to]) ?? 0) + 1);
  }

  /** Writes the summed changes; caller holds the transaction. */
  async write() {
    for (const [batchId, cols] of this.byBatch) {
      const moved = [...cols].filter(([, n]) => n !== 0);
      if (!moved.length) continue;
      // Amounts are bound, not written into the SQL: statements are cached by their text, and only
      // the (few) combinations of columns may make new ones.
      const sets = moved.map(([col]) => `${col} = ${col} + ?`).join(', ');
      await this.db.prepared(`UPDATE batches SET ${sets} WHERE id = ?`).run(...moved.map(([, n]) => n), batchId);
    }
    this.byBatch.clear();
  }
}
