import { createHmac, timingSafeEqual } from 'node:crypto';
import { validationError } from '../domain/errors.js';
import type { PageRequest } from '../store/store.js';

/**
 * Opaque, tamper-proof page tokens: the keyset cursor plus a digest of the operation and its filters,
 * signed with a secret kept in the store (so tokens survive restarts and work on every instance).
 */
export class PageTokens {
  constructor(private readonly secret: string) {}

  private mac(payload: string) {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, 12);
  }

  private scope(operation: string, filters: Record<string, unknown>) {
    const keys = Object.keys(filters).filter((k) => filters[k] !== undefined).sort();
    return createHmac('sha256', this.secret).update(operation + JSON.stringify(keys.map((k) => [k, filters[k]]))).digest('base64url').slice(0, 8);
  }

  issue(operation: string, filters: Record<string, unknown>, cursor: number): string {
    const payload = `${cursor.toString(36)}.${this.scope(operation, filters)}`;
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** Returns the cursor of a token issued for this operation and these filters, else ValidationException. */
  read(operation: string, filters: Record<string, unknown>, token: string | undefined): number | undefined {
    if (token === undefined) return undefined;
    const bad = () => validationError(`Invalid startingToken '${token.length > 100 ? token.slice(0, 100) + '…' : token}': it was not issued for this request`);
    const parts = token.split('.');
    if (parts.length !== 3) throw bad();
    const payload = `${parts[0]}.${parts[1]}`;
    // Compare the encoded text, not decoded bytes: base64url decoding would ignore appended characters.
    const given = Buffer.from(parts[2]);
    const expected = Buffer.from(this.mac(payload).toString('base64url'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad();
    if (parts[1] !== this.scope(operation, filters)) throw bad();
    const cursor = parseInt(parts[0], 36);
    if (!Number.isSafeInteger(cursor)) throw bad();
    return cursor;
  }

  /**
   * One page of a list operation: the cursor from `startingToken` (checked against the operation and
   * its filters), `limit + 1` items fetched after it, and the token for the next page when more exist.
   */
  async list<T>(
    operation: string, filters: Record<string, unknown>, request: { startingToken?: string; limit: number },
    fetch: (page: PageRequest) => Promise<T[]>, keyOf: (item: T) => number,
  ): Promise<{ items: T[]; nextToken?: string }> {
    const after = this.read(operation, filters, request.startingToken);
    return this.page(operation, filters, await fetch({ after, limit: request.limit + 1 }), request.limit, keyOf);
  }

  /** Builds a page from `limit + 1` fetched items: the extra one only tells that more exist. */
  page<T>(operation: string, filters: Record<string, unknown>, items: T[], limit: number, keyOf: (item: T) => number) {
    if (items.length <= limit) return { items, nextToken: undefined };
    const shown = items.slice(0, limit);
    return { items: shown, nextToken: this.issue(operation, filters, keyOf(shown[shown.length - 1])) };
  }
}
