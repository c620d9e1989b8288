import type { Tags } from '../../domain/model.js';
import type { TagTable, TaggableType } from '../store.js';
import { isCanonicalId, TABLE_OF, type Row } from '../sql-common.js';
import type { SqliteDatabase } from './database.js';

/** Tags live in a column of each taggable resource's own row. */
export class SqliteTags implements TagTable {
  constructor(private db: SqliteDatabase) {}

  async get(type: TaggableType, id: string, account: string) {
    if (!isCanonicalId(id)) return undefined;
    const hidden = type === 'runGroup' || type === 'runBatch' ? '' : ` AND status != 'DELETED'`;
    const r = this.db.prepared(`SELECT tags FROM ${TABLE_OF[type]} WHERE id = ? AND account_id = ?${hidden}`).get(id, account) as Row | undefined;
    return r ? (JSON.parse(r.tags) as Tags) : undefined;
  }

  async set(type: TaggableType, id: string, tags: Tags) {
    return this.db.prepared(`UPDATE ${TABLE_OF[type]} SET tags = ? WHERE id = ?`).run(JSON.stringify(tags), id).changes > 0;
  }
}
