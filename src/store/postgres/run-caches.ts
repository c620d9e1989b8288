import type { RunCacheRecord } from '../../domain/model.js';
import type { AccountScope, IdempotentResult, PageRequest, RunCacheTable } from '../store.js';
import { isCanonicalId, type Row } from '../sql-common.js';
import { runCacheFromRow as fromRow } from '../rows.js';
import type { PgDatabase } from './database.js';
import { replay } from './idempotency.js';

export class PgRunCaches implements RunCacheTable {
  constructor(private db: PgDatabase) {}

  async create(rec: Omit<RunCacheRecord, 'id'>): Promise<IdempotentResult<RunCacheRecord>> {
    return this.db.transaction(async () => {
      const prior = await replay(this.db, 'runCache', rec.accountId, rec.requestId, rec.requestHash, fromRow);
      if (prior) return prior;
      const id = await this.db.nextIds('runCache', 1);
      await this.db.prepared(`INSERT INTO run_caches (id, account_id, status, name, creation_time, request_id, request_hash, tags, doc)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, rec.accountId, rec.status, rec.name ?? null, rec.creationTime, rec.requestId ?? null,
        rec.requestHash ?? null, JSON.stringify(rec.tags), JSON.stringify(rec.doc));
      return { kind: 'created' as const, record: { ...rec, id: String(id) } };
    });
  }

  async get(id: string, account: AccountScope) {
    if (!isCanonicalId(id)) return undefined;
    const r = await this.db.prepared(`SELECT * FROM run_caches WHERE id = @id AND status != 'DELETED' AND (@account::text IS NULL OR account_id = @account)`)
      .get({ id, account }) as Row | undefined;
    return r && fromRow(r);
  }

  async list(account: string, page: PageRequest) {
    const rows = await this.db.prepared(`SELECT * FROM run_caches WHERE account_id = @account AND status != 'DELETED' AND id < @after ORDER BY id DESC LIMIT @limit`)
      .all({ account, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit }) as Row[];
    return rows.map(fromRow);
  }

  async update(id: string, patch: { name?: string; status?: RunCacheRecord['status']; doc?: Partial<RunCacheRecord['doc']> }) {
    return this.db.transaction(async () => {
      const r = await this.db.prepared(`SELECT * FROM run_caches WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
      if (!r) return false;
      const cur = fromRow(r);
      await this.db.prepared('UPDATE run_caches SET name = ?, status = ?, doc = ? WHERE id = ?')
        .run(patch.name ?? cur.name ?? null, patch.status ?? cur.status, JSON.stringify({ ...cur.doc, ...patch.doc }), id);
      return true;
    });
  }
}
