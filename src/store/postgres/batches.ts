import { DELETABLE_BATCH_STATUSES, type BatchMove, type BatchTransitionArgs, type BatchTransitionName } from '../../domain/batches/batch-transitions.js';
import type { BatchRecord, BatchStatus } from '../../domain/model.js';
import type { AccountScope, BatchFilter, BatchTable, IdempotentResult, NewBatch, PageRequest } from '../store.js';
import type { PgBatchState } from './batch-state.js';
import { inList, isCanonicalId, type Row } from '../sql-common.js';
import { batchFromRow } from '../rows.js';
import type { PgDatabase } from './database.js';
import { replay } from './idempotency.js';

export class PgBatches implements BatchTable {
  constructor(private db: PgDatabase, private state: PgBatchState) {}

  async create(rec: NewBatch) {
    return this.db.transaction(async (): Promise<IdempotentResult<BatchRecord>> => {
      const prior = await replay(this.db, 'runBatch', rec.accountId, rec.requestId, rec.requestHash, batchFromRow);
      if (prior) return prior;
      const id = await this.db.nextIds('runBatch', 1);
      await this.db.prepared(`INSERT INTO batches (id, account_id, uuid, name, status, request_id, request_hash, workflow_id, run_group_id, creation_time, tags,
              default_run_setting, inline_settings, s3_uri, s3_etag, started_by) VALUES (?, ?, ?, ?, 'CREATING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        id, rec.accountId, rec.uuid, rec.name ?? null, rec.requestId, rec.requestHash, rec.workflowId, rec.runGroupId ?? null, rec.creationTime,
        JSON.stringify(rec.tags), JSON.stringify(rec.defaultRunSetting), rec.inlineSettings ? JSON.stringify(rec.inlineSettings) : null,
        rec.s3Uri ?? null, rec.s3Etag ?? null, rec.startedBy ?? null);
      return { kind: 'created', record: batchFromRow(await this.db.prepared('SELECT * FROM batches WHERE id = ?').get(id) as Row) };
    });
  }

  async get(id: string, account: AccountScope) {
    if (!isCanonicalId(id)) return undefined;
    const r = await this.db.prepared('SELECT * FROM batches WHERE id = @id AND (@account::text IS NULL OR account_id = @account)').get({ id, account }) as Row | undefined;
    return r && batchFromRow(r);
  }

  async list(filter: BatchFilter, page: PageRequest) {
    if (filter.runGroupId !== undefined && !isCanonicalId(filter.runGroupId)) return [];
    const rows = await this.db.prepared(`SELECT * FROM batches WHERE account_id = @account AND id < @after AND (@status::text IS NULL OR status = @status)
        AND (@name::text IS NULL OR name = @name) AND (@runGroupId::bigint IS NULL OR run_group_id = @runGroupId) ORDER BY id DESC LIMIT @limit`).all({
      account: filter.account, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit, status: filter.status ?? null, name: filter.name ?? null,
      runGroupId: filter.runGroupId ?? null,
    }) as Row[];
    return rows.map(batchFromRow);
  }

  async idsInStatus(statuses: readonly BatchStatus[]) {
    return (await this.db.prepared(`SELECT id FROM batches WHERE status IN (${inList(statuses)}) ORDER BY id`).pluck().all() as number[]).map(String);
  }

  async ownersInStatus(status: BatchStatus) {
    return (await this.db.prepared('SELECT id, account_id FROM batches WHERE status = ? ORDER BY id').all(status) as Row[])
      .map((r) => ({ id: String(r.id), accountId: r.account_id as string }));
  }

  async transition(id: string, name: BatchTransitionName, args: BatchTransitionArgs) {
    return this.state.apply(id, name, args);
  }

  onTransition(listener: (move: BatchMove) => void) {
    this.state.onTransition(listener);
  }

  async delete(id: string) {
    if (!isCanonicalId(id)) return 'missing' as const;
    return this.db.transaction(async (): Promise<'deleted' | 'missing' | BatchStatus> => {
      const r = await this.db.prepared('SELECT status FROM batches WHERE id = ?').get(id) as Row | undefined;
      if (!r) return 'missing';
      if (!DELETABLE_BATCH_STATUSES.includes(r.status)) return r.status;
      await this.db.prepared('INSERT INTO batch_purges (batch_id) VALUES (?) ON CONFLICT DO NOTHING').run(id);
      await this.db.prepared('DELETE FROM batches WHERE id = ?').run(id);
      return 'deleted';
    });
  }

  async purgeDeleted(limit: number) {
    return this.db.transaction(async () => {
      const purge = await this.db.prepared('SELECT batch_id FROM batch_purges LIMIT 1').pluck().get() as number | undefined;
      if (purge === undefined) return false;
      const n = (await this.db.prepared('DELETE FROM batch_entries WHERE batch_id = ? AND seq IN (SELECT seq FROM batch_entries WHERE batch_id = ? ORDER BY seq LIMIT ?)')
        .run(purge, purge, limit)).changes;
      if (n < limit) await this.db.prepared('DELETE FROM batch_purges WHERE batch_id = ?').run(purge);
      return true;
    });
  }
}
