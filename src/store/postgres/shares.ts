import type { ShareRecord, ShareStatus } from '../../domain/model.js';
import type { PageRequest, ShareTable } from '../store.js';
import { inList, isCanonicalId, type Row } from '../sql-common.js';
import { shareFromRow as fromRow } from '../rows.js';
import type { PgDatabase } from './database.js';

const LIVE: readonly ShareStatus[] = ['PENDING', 'ACTIVE'];

export class PgShares implements ShareTable {
  constructor(private db: PgDatabase) {}

  async create(rec: Omit<ShareRecord, 'seq'>): Promise<ShareRecord | 'exists'> {
    return this.db.transaction(async () => {
      const taken = await this.db.prepared(`SELECT 1 FROM shares WHERE workflow_id = ? AND subscriber = ? AND status IN (${inList(LIVE)})`).get(rec.workflowId, rec.subscriber);
      if (taken) return 'exists' as const;
      const { seq } = await this.db.prepared(`INSERT INTO shares (id, owner_account, subscriber, resource_arn, workflow_id, name, status, creation_time, update_time, status_message)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`).get(rec.id, rec.ownerAccount, rec.subscriber, rec.resourceArn, rec.workflowId, rec.name ?? null,
        rec.status, rec.creationTime, rec.updateTime, rec.statusMessage ?? null);
      return { ...rec, seq: Number(seq) };
    });
  }

  async get(id: string) {
    const r = await this.db.prepared('SELECT * FROM shares WHERE id = ?').get(id) as Row | undefined;
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
      where.push('resource_arn = ANY(@arns::text[])');
      params.arns = filter.resourceArns;
    }
    if (filter.statuses?.length) {
      where.push('status = ANY(@statuses::text[])');
      params.statuses = filter.statuses;
    }
    const rows = await this.db.prepared(`SELECT * FROM shares WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @limit`).all(params) as Row[];
    return rows.map(fromRow);
  }

  async setStatus(id: string, from: readonly ShareStatus[], to: ShareStatus, at: number) {
    return (await this.db.prepared(`UPDATE shares SET status = ?, update_time = ? WHERE id = ? AND status IN (${inList(from)})`).run(to, at, id)).changes > 0;
  }

  async activeFor(workflowId: string, subscriber: string) {
    if (!isCanonicalId(workflowId)) return false;
    return !!await this.db.prepared(`SELECT 1 FROM shares WHERE workflow_id = ? AND subscriber = ? AND status = 'ACTIVE'`).get(workflowId, subscriber);
  }
}
