import type { WorkflowStatus, WorkflowVersionRecord } from '../../domain/model.js';
import type { AccountScope, IdempotentResult, PageRequest, WorkflowVersionTable } from '../store.js';
import { isCanonicalId, type Row } from '../sql-common.js';
import { versionFromRow as fromRow } from '../rows.js';
import type { PgDatabase } from './database.js';
import { replay } from './idempotency.js';

export class PgWorkflowVersions implements WorkflowVersionTable {
  constructor(private db: PgDatabase) {}

  async create(rec: Omit<WorkflowVersionRecord, 'id'>, definition: Buffer | null): Promise<IdempotentResult<WorkflowVersionRecord> | 'exists'> {
    return this.db.transaction(async () => {
      const prior = await replay(this.db, 'workflowVersion', rec.accountId, rec.requestId, rec.requestHash, fromRow);
      if (prior) return prior;
      const taken = await this.db.prepared(`SELECT 1 FROM workflow_versions WHERE workflow_id = ? AND version_name = ? AND status != 'DELETED'`)
        .get(rec.workflowId, rec.versionName);
      if (taken) return 'exists' as const;
      const id = await this.db.nextIds('workflowVersion', 1);
      await this.db.prepared(`INSERT INTO workflow_versions (id, workflow_id, version_name, account_id, uuid, status, creation_time, request_id, request_hash, tags, doc, definition)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        id, rec.workflowId, rec.versionName, rec.accountId, rec.uuid, rec.status, rec.creationTime, rec.requestId ?? null, rec.requestHash ?? null,
        JSON.stringify(rec.tags), JSON.stringify(rec.doc), definition);
      return { kind: 'created' as const, record: { ...rec, id: String(id) } };
    });
  }

  async get(workflowId: string, versionName: string, account: AccountScope) {
    if (!isCanonicalId(workflowId)) return undefined;
    const r = await this.db.prepared(`SELECT * FROM workflow_versions WHERE workflow_id = @workflowId AND version_name = @versionName AND status != 'DELETED'
        AND (@account::text IS NULL OR account_id = @account)`).get({ workflowId, versionName, account }) as Row | undefined;
    return r && fromRow(r);
  }

  async byId(id: string) {
    const r = await this.db.prepared(`SELECT * FROM workflow_versions WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
    return r && fromRow(r);
  }

  async getDefinition(id: string) {
    const r = await this.db.prepared('SELECT definition FROM workflow_versions WHERE id = ?').get(id) as Row | undefined;
    return r?.definition ?? undefined;
  }

  async setDefinition(id: string, zip: Buffer) {
    await this.db.prepared('UPDATE workflow_versions SET definition = ? WHERE id = ?').run(zip, id);
  }

  async listInStatus(status: WorkflowStatus) {
    return (await this.db.prepared('SELECT * FROM workflow_versions WHERE status = ? ORDER BY id').all(status) as Row[]).map(fromRow);
  }

  async list(workflowId: string, page: PageRequest) {
    const rows = await this.db.prepared(`SELECT * FROM workflow_versions WHERE workflow_id = @workflowId AND status != 'DELETED' AND id < @after
        ORDER BY id DESC LIMIT @limit`).all({ workflowId, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit }) as Row[];
    return rows.map(fromRow);
  }

  async update(id: string, patch: { status?: WorkflowStatus; doc?: Partial<WorkflowVersionRecord['doc']> }) {
    return this.db.transaction(async () => {
      const r = await this.db.prepared(`SELECT * FROM workflow_versions WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
      if (!r) return undefined;
      const cur = fromRow(r);
      const next: WorkflowVersionRecord = { ...cur, status: patch.status ?? cur.status, doc: { ...cur.doc, ...patch.doc } };
      await this.db.prepared('UPDATE workflow_versions SET status = ?, doc = ? WHERE id = ?').run(next.status, JSON.stringify(next.doc), id);
      return next;
    });
  }
}
