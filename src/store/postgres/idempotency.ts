import type { IdempotentKind, IdempotentResult } from '../store.js';
import { TABLE_OF, type Row } from '../sql-common.js';
import type { PgDatabase } from './database.js';

/** A previous create with the same client token of the same account, looked up inside the caller's transaction. */
export async function replay<T>(
  db: PgDatabase, kind: IdempotentKind, account: string, requestId: string | undefined, requestHash: string | undefined, load: (row: Row) => T,
): Promise<IdempotentResult<T> | undefined> {
  if (!requestId) return undefined;
  const row = await db.prepared(`SELECT * FROM ${TABLE_OF[kind]} WHERE account_id = ? AND request_id = ?`).get(account, requestId) as Row | undefined;
  if (!row) return undefined;
  return { kind: row.request_hash === requestHash ? 'replayed' : 'mismatch', record: load(row) };
}

export async function findByRequest(db: PgDatabase, kind: IdempotentKind, requestId: string, account: string) {
  const r = await db.prepared(`SELECT id, request_hash FROM ${TABLE_OF[kind]} WHERE account_id = ? AND request_id = ?`).get(account, requestId) as Row | undefined;
  return r && { id: String(r.id), requestHash: r.request_hash as string };
}
