import type { IdempotentKind, IdempotentResult } from '../store.js';
import { TABLE_OF, type Row } from '../sql-common.js';
import type { SqliteDatabase } from './database.js';

/** A previous create with the same client token of the same account, looked up inside the caller's transaction. */
export function replay<T>(
  db: SqliteDatabase, kind: IdempotentKind, account: string, requestId: string | undefined, requestHash: string | undefined, load: (row: Row) => T,
): IdempotentResult<T> | undefined {
  if (!requestId) return undefined;
  const row = db.prepared(`SELECT * FROM ${TABLE_OF[kind]} WHERE account_id = ? AND request_id = ?`).get(account, requestId) as Row | undefined;
  if (!row) return undefined;
  return { kind: row.request_hash === requestHash ? 'replayed' : 'mismatch', record: load(row) };
}

export function findByRequest(db: SqliteDatabase, kind: IdempotentKind, requestId: string, account: string) {
  const r = db.prepared(`SELECT id, request_hash FROM ${TABLE_OF[kind]} WHERE account_id = ? AND request_id = ?`).get(account, requestId) as Row | undefined;
  return r && { id: String(r.id), requestHash: r.request_hash as string };
}
