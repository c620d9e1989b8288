import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PageTokens } from '../../src/api/pagination.js';
import { ServiceError } from '../../src/domain/errors.js';

const SECRET = 'a'.repeat(64);
const OP = 'ListRuns';
const FILTERS = { name: 'my-run', status: 'RUNNING', runGroupId: undefined };

/** Matches the ValidationException `read` throws for a token it did not issue for this request. */
const rejected = (err: unknown) => {
  assert.ok(err instanceof ServiceError, `expected a ServiceError, got ${String(err)}`);
  assert.equal(err.type, 'ValidationException');
  assert.equal(err.status, 400);
  assert.match(err.message, /^Invalid startingToken/);
  return true;
};

/** Replaces one base64url character by another, so the text stays well-formed but differs. */
const flip = (c: string) => (c === 'A' ? 'B' : 'A');

describe('PageTokens', () => {
  const tokens = new PageTokens(SECRET);

  describe('issue / read', () => {
    for (const cursor of [0, 1, 35, 36, 123456, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      it(`round-trips cursor ${cursor}`, () => {
        const t = tokens.issue(OP, FILTERS, cursor);
        assert.equal(tokens.read(OP, FILTERS, t), cursor);
      });
    }

    it('reads an absent token as no cursor', () => {
      assert.equal(tokens.read(OP, FILTERS, undefined), undefined);
    });

    it('issues opaque three-part, URL-safe tokens', () => {
      const t = tokens.issue(OP, FILTERS, 987654321);
      assert.match(t, /^[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      assert.equal(t.split('.').length, 3);
    });

    it('is deterministic for the same secret, operation, filters and cursor', () => {
      assert.equal(tokens.issue(OP, FILTERS, 42), tokens.issue(OP, FILTERS, 42));
      assert.equal(new PageTokens(SECRET).issue(OP, FILTERS, 42), tokens.issue(OP, FILTERS, 42));
    });

    it('gives different cursors different tokens', () => {
      assert.notEqual(tokens.issue(OP, FILTERS, 41), tokens.issue(OP, FILTERS, 42));
    });

    it('is read by another instance with the same secret (survives restarts)', () => {
      const t = tokens.issue(OP, FILTERS, 77);
      assert.equal(new PageTokens(SECRET).read(OP, FILTERS, t), 77);
    });

    it('rejects a token signed with another secret', () => {
      const t = new PageTokens('b'.repeat(64)).issue(OP, FILTERS, 77);
      assert.throws(() => tokens.read(OP, FILTERS, t), rejected);
    });
  });

  describe('binding to the request', () => {
    it('rejects a token issued for another operation', () => {
      const t = tokens.issue('ListRuns', {}, 5);
      assert.throws(() => tokens.read('ListWorkflows', {}, t), rejected);
      assert.equal(tokens.read('ListRuns', {}, t), 5);
    });

    it('rejects a token issued for another filter value', () => {
      const t = tokens.issue(OP, { status: 'RUNNING' }, 5);
      assert.throws(() => tokens.read(OP, { status: 'COMPLETED' }, t), rejected);
    });

    it('rejects a token issued with a filter the reader does not have, and vice versa', () => {
      const withName = tokens.issue(OP, { name: 'x' }, 5);
      const without = tokens.issue(OP, {}, 5);
      assert.throws(() => tokens.read(OP, {}, withName), rejected);
      assert.throws(() => tokens.read(OP, { name: 'x' }, without), rejected);
    });

    it('tells filter values of different types apart', () => {
      const t = tokens.issue(OP, { runGroupId: '1' }, 5);
      assert.throws(() => tokens.read(OP, { runGroupId: 1 }, t), rejected);
    });

    it('does not confuse a value moved to another filter name', () => {
      const t = tokens.issue(OP, { name: 'x' }, 5);
      assert.throws(() => tokens.read(OP, { batchId: 'x' }, t), rejected);
    });

    it('ignores the order of filter keys', () => {
      const t = tokens.issue(OP, { a: '1', b: '2' }, 5);
      assert.equal(tokens.read(OP, { b: '2', a: '1' }, t), 5);
    });

    it('treats an undefined filter as absent', () => {
      const t = tokens.issue(OP, { name: 'x', status: undefined }, 5);
      assert.equal(tokens.read(OP, { name: 'x' }, t), 5);
      assert.equal(tokens.read(OP, { name: 'x', batchId: undefined }, t), 5);
    });
  });

  describe('tampering', () => {
    const good = tokens.issue(OP, FILTERS, 1000);
    const [cursorPart, scopePart, macPart] = good.split('.');

    it('rejects a changed cursor', () => {
      const t = `${(2000).toString(36)}.${scopePart}.${macPart}`;
      assert.throws(() => tokens.read(OP, FILTERS, t), rejected);
    });

    it('rejects a cursor taken from one token with the mac of another', () => {
      const other = tokens.issue(OP, FILTERS, 1).split('.');
      assert.throws(() => tokens.read(OP, FILTERS, `${other[0]}.${scopePart}.${macPart}`), rejected);
      assert.throws(() => tokens.read(OP, FILTERS, `${cursorPart}.${scopePart}.${other[2]}`), rejected);
    });

    it('rejects a changed scope', () => {
      const t = `${cursorPart}.${flip(scopePart[0])}${scopePart.slice(1)}.${macPart}`;
      assert.throws(() => tokens.read(OP, FILTERS, t), rejected);
    });

    it('rejects a scope copied from a token of the reader\u2019s request onto another token', () => {
      // A token for other filters, re-labelled with this request's scope, must still fail on the mac.
      const foreign = tokens.issue(OP, { status: 'FAILED' }, 9).split('.');
      assert.throws(() => tokens.read(OP, FILTERS, `${foreign[0]}.${scopePart}.${foreign[2]}`), rejected);
    });

    it('rejects a changed mac character at either end', () => {
      const first = `${cursorPart}.${scopePart}.${flip(macPart[0])}${macPart.slice(1)}`;
      const last = `${cursorPart}.${scopePart}.${macPart.slice(0, -1)}${flip(macPart[macPart.length - 1])}`;
      assert.throws(() => tokens.read(OP, FILTERS, first), rejected);
      assert.throws(() => tokens.read(OP, FILTERS, last), rejected);
    });

    it('rejects characters appended to the mac (even ones base64url decoding would ignore)', () => {
      for (const extra of ['A', 'AA', '=', '==', 'x', '%', ' ']) {
        assert.throws(() => tokens.read(OP, FILTERS, good + extra), rejected, JSON.stringify(extra));
      }
    });

    it('rejects a truncated mac', () => {
      assert.throws(() => tokens.read(OP, FILTERS, good.slice(0, -1)), rejected);
      assert.throws(() => tokens.read(OP, FILTERS, `${cursorPart}.${scopePart}.`), rejected);
    });

    it('rejects characters prepended to the cursor', () => {
      assert.throws(() => tokens.read(OP, FILTERS, `0${good}`), rejected);
    });

    it('rejects tokens with the wrong number of parts', () => {
      for (const t of ['', 'abc', `${cursorPart}.${scopePart}`, `${good}.`, `${good}.x`, `x.${good}`, '..', '...']) {
        assert.throws(() => tokens.read(OP, FILTERS, t), rejected, JSON.stringify(t));
      }
    });

    it('quotes at most 100 characters of a long bad token in the message', () => {
      const long = 'z'.repeat(500);
      assert.throws(
        () => tokens.read(OP, FILTERS, long),
        (err: unknown) => rejected(err) && (err as Error).message.includes(`'${'z'.repeat(100)}…'`) && !(err as Error).message.includes('z'.repeat(101)),
      );
    });

    it('quotes a bad token of exactly 100 characters whole, and cuts one of 101', () => {
      const t100 = 'y'.repeat(100);
      const t101 = 'y'.repeat(101);
      assert.throws(() => tokens.read(OP, FILTERS, t100), (err: unknown) => rejected(err) && (err as Error).message.includes(`'${t100}'`));
      assert.throws(() => tokens.read(OP, FILTERS, t101), (err: unknown) => rejected(err) && (err as Error).message.includes(`'${t100}…'`));
    });

    it('quotes a short bad token whole', () => {
      assert.throws(() => tokens.read(OP, FILTERS, 'nope'), (err: unknown) => rejected(err) && (err as Error).message.includes(`'nope'`));
    });
  });

  describe('page()', () => {
    const items = [{ id: 10 }, { id: 20 }, { id: 30 }, { id: 40 }];
    const keyOf = (x: { id: number }) => x.id;

    it('with limit + 1 items, shows limit of them and a token for the last one shown', () => {
      const page = tokens.page(OP, FILTERS, items, 3, keyOf);
      assert.deepEqual(page.items, [{ id: 10 }, { id: 20 }, { id: 30 }]);
      assert.ok(page.nextToken);
      assert.equal(tokens.read(OP, FILTERS, page.nextToken), 30);
    });

    it('the next token is bound to the page request', () => {
      const page = tokens.page(OP, FILTERS, items, 3, keyOf);
      assert.throws(() => tokens.read('ListWorkflows', FILTERS, page.nextToken), rejected);
      assert.throws(() => tokens.read(OP, { ...FILTERS, status: 'FAILED' }, page.nextToken), rejected);
    });

    it('with exactly limit items, shows them all and gives no token', () => {
      const page = tokens.page(OP, FILTERS, items, 4, keyOf);
      assert.deepEqual(page.items, items);
      assert.equal(page.nextToken, undefined);
    });

    it('with fewer than limit items (or none), shows them all and gives no token', () => {
      assert.deepEqual(tokens.page(OP, FILTERS, items.slice(0, 2), 3, keyOf), { items: items.slice(0, 2), nextToken: undefined });
      assert.deepEqual(tokens.page(OP, FILTERS, [], 3, keyOf), { items: [], nextToken: undefined });
    });

    it('with limit 1 and two items, pages after the first', () => {
      const page = tokens.page(OP, FILTERS, items.slice(0, 2), 1, keyOf);
      assert.deepEqual(page.items, [{ id: 10 }]);
      assert.equal(tokens.read(OP, FILTERS, page.nextToken), 10);
    });

    it('uses keyOf, not the position, for the cursor', () => {
      const rows = [{ seq: 7 }, { seq: 3 }, { seq: 99 }];
      const page = tokens.page('ListRunsInBatch', { batchId: '1' }, rows, 2, (r) => r.seq);
      assert.equal(tokens.read('ListRunsInBatch', { batchId: '1' }, page.nextToken), 3);
    });

    it('does not modify the fetched array', () => {
      const fetched = items.slice();
      tokens.page(OP, FILTERS, fetched, 2, keyOf);
      assert.deepEqual(fetched, items);
    });
  });
});
