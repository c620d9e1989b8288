import type { ShareRecord, ShareStatus } from '../../domain/model.js';
import type { PageRequest, ShareTable } from '../store.js';
import { inList, type Row } from '../sql-common.js';
import { shareFromRow as fromRow } from '../rows.js';
import type { SqliteDatabase } from './database.js';

const LIVE: readonly ShareStatus[] = ['PENDING', 'ACTIVE'];

export class SqliteShares implements ShareTable {
  constructor(private db: SqliteDatabase) {}

  async create(rec: Omit<ShareRecord, 'seq'>): Promise<ShareRecord | 'exists'> {
    return this.db.transaction(() => {
      const taken = this.db.prepared(`SELECT 1 FROM shares WHERE workflow_id = ? AND subscriber = ? AND status IN (${inList(LIVE)})`).get(rec.workflowId, rec.subscriber);
      if (taken) return 'exists' as const;
      const { lastInsertRowid } = this.db.prepared(`INSERT INTO shares (id, owner_account, subscriber, resource_arn, workflow_id, name, status, creation_time, update_time, status_message)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(rec.id, rec.ownerAccount, rec.subscriber, rec.resourceArn, rec.workflowId, rec.name ?? null,
        rec.status, rec.creationTime, rec.updateTime, rec.statusMessage ?? null);
      return { ...rec, seq: Number(lastInsertRowid) };
    });
  }

  async get(id: string) {
    const r = this.db.prepared('SELECT * FROM shares WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  async list(filter: { owner?: string; subscriber?: string; resourceArns?: string[]; statuses?: ShareStatus[] }, page: PageRequest) {
    const where = [`status != 'DELETED'`, 'seq < @after'];
    const params: Record<string, unknown> = { after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit };
    if (filter.owner) {
      where.push('owner_account = @owner');
      params.owner = filter.owner;
    }
    if (filter.subscriber) {
      where.push('subscriber = @subscriber');
      params.subscriber = filter.subscriber;
    }
    if (filter.resourceArns?.length) {
      where.push('resource_arn IN (SELECT value FROM json_each(@arns))');
      params.arns = JSON.stringify(filter.resourceArns);
    }
    if (filter.statuses?.length) {
      where.push('status IN (SELECT value FROM json_each(@statuses))');
      params.statuses = JSON.stringify(filter.statuses);
    }
    const rows = this.db.prepared(`SELECT * FROM shares WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @limit`).all(params) as Row[];
    return rows.map(fromRow);
  }

  async setStatus(id: string, from: readonly ShareStatus[], to: ShareStatus, at: number) {
    return this.db.prepared(`UPDATE shares SET status = ?, update_time = ? WHERE id = ? AND status IN (${inList(from)})`).run(to, at, id).changes > 0;
  }

  async activeFor(workflowId: string, subscriber: string) {
    return !!this.db.prepared(`SELECT 1 FROM shares WHERE workflow_id = ? AND subscriber = ? AND status = 'ACTIVE'`).get(workflowId, subscriber);
  }
}
