import type { RunGroupRecord } from '../../domain/model.js';
import type { AccountScope, IdempotentResult, PageRequest, RunGroupLimits, RunGroupTable } from '../store.js';
import { isCanonicalId, type Row } from '../sql-common.js';
import { runGroupFromRow as fromRow } from '../rows.js';
import type { SqliteDatabase } from './database.js';
import { replay } from './idempotency.js';

export class SqliteRunGroups implements RunGroupTable {
  constructor(private db: SqliteDatabase) {}

  async create(rec: Omit<RunGroupRecord, 'id'>) {
    return this.db.transaction((): IdempotentResult<RunGroupRecord> => {
      const prior = replay(this.db, 'runGroup', rec.accountId, rec.requestId, rec.requestHash, fromRow);
      if (prior) return prior;
      const id = this.db.nextIds('runGroup', 1);
      this.db.prepared(`INSERT INTO run_groups (id, account_id, name, max_cpus, max_runs, max_duration, max_gpus, creation_time, request_id, request_hash, tags)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, rec.accountId, rec.name ?? null, rec.maxCpus ?? null, rec.maxRuns ?? null, rec.maxDuration ?? null,
        rec.maxGpus ?? null, rec.creationTime, rec.requestId ?? null, rec.requestHash ?? null, JSON.stringify(rec.tags));
      return { kind: 'created', record: { ...rec, id: String(id) } };
    });
  }

  async get(id: string, account: AccountScope) {
    if (!isCanonicalId(id)) return undefined;
    const r = this.db.prepared('SELECT * FROM run_groups WHERE id = @id AND (@account IS NULL OR account_id = @account)').get({ id, account }) as Row | undefined;
    return r && fromRow(r);
  }

  async list(filter: { account: AccountScope; name?: string }, page: PageRequest) {
    const rows = this.db.prepared(`SELECT * FROM run_groups WHERE (@account IS NULL OR account_id = @account) AND (@name IS NULL OR name = @name) AND id < @after
        ORDER BY id DESC LIMIT @limit`).all({ account: filter.account, name: filter.name ?? null, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit }) as Row[];
    return rows.map(fromRow);
  }

  async update(id: string, patch: RunGroupLimits & { name?: string }) {
    const res = this.db.prepared(`UPDATE run_groups SET name = coalesce(@name, name), max_cpus = coalesce(@maxCpus, max_cpus),
      max_runs = coalesce(@maxRuns, max_runs), max_duration = coalesce(@maxDuration, max_duration), max_gpus = coalesce(@maxGpus, max_gpus)
      WHERE id = @id`).run({ id, name: patch.name ?? null, maxCpus: patch.maxCpus ?? null, maxRuns: patch.maxRuns ?? null,
      maxDuration: patch.maxDuration ?? null, maxGpus: patch.maxGpus ?? null });
    return res.changes > 0;
  }

  async delete(id: string) {
    return this.db.transaction((): 'deleted' | 'missing' | 'active' => {
      if (!this.db.prepared('SELECT 1 FROM run_groups WHERE id = ?').get(id)) return 'missing';
      const busy = this.db.prepared(`SELECT 1 FROM runs WHERE run_group_id = ? AND status IN ('PENDING','STARTING','RUNNING','STOPPING') LIMIT 1`).get(id);
      if (busy) return 'active';
      this.db.prepared('DELETE FROM run_groups WHERE id = ?').run(id);
      return 'deleted';
    });
  }
}
