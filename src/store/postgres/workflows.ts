import type { WorkflowDoc, WorkflowRecord, WorkflowStatus } from '../../domain/model.js';
import type { AccountScope, IdempotentResult, PageRequest, WorkflowTable } from '../store.js';
import { isCanonicalId, type Row } from '../sql-common.js';
import { workflowFromRow as fromRow } from '../rows.js';
import type { PgDatabase } from './database.js';
import { replay } from './idempotency.js';

export class PgWorkflows implements WorkflowTable {
  constructor(private db: PgDatabase) {}

  async create(rec: Omit<WorkflowRecord, 'id'>, definition: Buffer | null): Promise<IdempotentResult<WorkflowRecord>> {
    return this.db.transaction(async () => {
      const prior = await replay(this.db, 'workflow', rec.accountId, rec.requestId, rec.requestHash, fromRow);
      if (prior) return prior;
      const id = await this.db.nextIds('workflow', 1);
      await this.db.prepared(`INSERT INTO workflows (id, account_id, uuid, status, type, name, creation_time, request_id, request_hash, tags, doc, definition)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        id, rec.accountId, rec.uuid, rec.status, rec.type, rec.name ?? null, rec.creationTime, rec.requestId ?? null, rec.requestHash ?? null,
        JSON.stringify(rec.tags), JSON.stringify(rec.doc), definition);
      return { kind: 'created' as const, record: { ...rec, id: String(id) } };
    });
  }

  async get(id: string, account: AccountScope) {
    if (!isCanonicalId(id)) return undefined;
    const r = await this.db.prepared(`SELECT * FROM workflows WHERE id = @id AND status != 'DELETED' AND (@account::text IS NULL OR account_id = @account)`)
      .get({ id, account }) as Row | undefined;
    return r && fromRow(r);
  }

  async getDefinition(id: string) {
    const r = await this.db.prepared('SELECT definition FROM workflows WHERE id = ?').get(id) as Row | undefined;
    return r?.definition ?? undefined;
  }

  async setDefinition(id: string, zip: Buffer) {
    await this.db.prepared('UPDATE workflows SET definition = ? WHERE id = ?').run(zip, id);
  }

  async listInStatus(status: WorkflowStatus) {
    return (await this.db.prepared('SELECT * FROM workflows WHERE status = ? ORDER BY id').all(status) as Row[]).map(fromRow);
  }

  async list(filter: { account: string; name?: string }, page: PageRequest) {
    const rows = await this.db.prepared(`SELECT * FROM workflows WHERE account_id = @account AND status != 'DELETED' AND (@name::text IS NULL OR name = @name) AND id < @after
        ORDER BY id DESC LIMIT @limit`).all({ account: filter.account, name: filter.name ?? null, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit }) as Row[];
    return rows.map(fromRow);
  }

  async update(id: string, patch: { name?: string; status?: WorkflowStatus; doc?: Partial<WorkflowDoc> }) {
    return this.db.transaction(async () => {
      const r = await this.db.prepared(`SELECT * FROM workflows WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
      if (!r) return undefined;
      const cur = fromRow(r);
      const next: WorkflowRecord = { ...cur, name: patch.name ?? cur.name, status: patch.status ?? cur.status, doc: { ...cur.doc, ...patch.doc } };
      await this.db.prepared('UPDATE workflows SET name = ?, status = ?, doc = ? WHERE id = ?').run(next.name ?? null, next.status, JSON.stringify(next.doc), id);
      return next;
    });
  }
}
