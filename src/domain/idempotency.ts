import type { IdempotentKind, IdempotentResult, Store } from '../store/store.js';
import { conflict } from './errors.js';

/** The same client token with a different request. */
const idempotencyConflict = (requestId: string) =>
  conflict(`requestId ${requestId} was already used for a different request`);

/**
 * A create whose client token was seen before: the same request gets the resource it made (as it is
 * now), a different request gets ConflictException. Undefined when the token is new. Client tokens are
 * per account: another account's token is new.
 */
export async function replayed<T>(
  store: Store, account: string, kind: IdempotentKind, requestId: string, hash: string, load: (id: string) => Promise<T | undefined>,
): Promise<T | undefined> {
  const prior = await store.findByRequest(kind, requestId, account);
  if (!prior) return undefined;
  if (prior.requestHash !== hash) throw idempotencyConflict(requestId);
  const record = await load(prior.id);
  if (!record) throw conflict(`requestId ${requestId} was used by ${kind} ${prior.id}, which has been deleted`);
  return record;
}

/** The record a create produced; a race with a different request under the same token is a conflict. */
export function createdRecord<T>(res: IdempotentResult<T>, requestId: string): T {
  if (res.kind === 'mismatch') throw idempotencyConflict(requestId);
  return res.record;
}
