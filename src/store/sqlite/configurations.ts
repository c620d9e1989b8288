import type { ConfigurationRecord } from '../../domain/model.js';
import type { AccountScope, ConfigurationTable, IdempotentResult, PageRequest } from '../store.js';
import { type Row } from '../sql-common.js';
import { configurationFromRow as fromRow } from '../rows.js';
import type { SqliteDatabase } from './database.js';
import { replay } from './idempotency.js';

export class SqliteConfigurations implements ConfigurationTable {
  constructor(private db: SqliteDatabase) {}

  async create(rec: Omit<ConfigurationRecord, 'id'>): Promise<IdempotentResult<ConfigurationRecord> | 'exists'> {
    return this.db.transaction(() => {
      const prior = replay(this.db, 'configuration', rec.accountId, rec.requestId, rec.requestHash, fromRow);
      if (prior) return prior;
      const taken = this.db.prepared(`SELECT 1 FROM configurations WHERE account_id = ? AND name = ? AND status != 'DELETED'`).get(rec.accountId, rec.name);
      if (taken) return 'exists' as const;
      const id = this.db.nextIds('configuration', 1);
      this.db.prepared(`INSERT INTO configurations (id, account_id, name, uuid, status, creation_time, request_id, request_hash, tags, doc)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(id, rec.accountId, rec.name, rec.uuid, rec.status, rec.creationTime, rec.requestId ?? null,
        rec.requestHash ?? null, JSON.stringify(rec.tags), JSON.stringify(rec.doc));
      return { kind: 'created' as const, record: { ...rec, id: String(id) } };
    });
  }

  async get(name: string, account: AccountScope) {
    const r = this.db.prepared(`SELECT * FROM configurations WHERE name = @name AND status != 'DELETED' AND (@account IS NULL OR account_id = @account)
        ORDER BY id DESC LIMIT 1`).get({ name, account }) as Row | undefined;
    return r && fromRow(r);
  }

  async byId(id: string) {
    const r = this.db.prepared(`SELECT * FROM configurations WHERE id = ? AND status != 'DELETED'`).get(id) as Row | undefined;
    return r && fromRow(r);
  }

  async list(account: string, page: PageRequest) {
    const rows = this.db.prepared(`SELECT * FROM configurations WHERE account_id = @account AND status != 'DELETED' AND id < @after ORDER BY id DESC LIMIT @limit`)
      .all({ account, after: page.after ?? Number.MAX_SAFE_INTEGER, limit: page.limit }) as Row[];
    return rows.map(fromRow);
  }

  async setStatus(id: string, status: ConfigurationRecord['status']) {
    return this.db.prepared(`UPDATE configurations SET status = ? WHERE id = ? AND status != 'DELETED'`).run(status, id).changes > 0;
  }
}
