import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as errorsModule from '../../src/objectstore/errors.js';
import * as index from '../../src/objectstore/index.js';
import * as objectStore from '../../src/objectstore/object-store.js';
import {
  ObjectAccessDeniedError,
  ObjectChangedError,
  ObjectNotFoundError,
  ObjectRequestError,
  ObjectStoreError,
} from '../../src/objectstore/index.js';

const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

describe('object store errors', () => {
  it('are Errors with their class name, a kind and the message as given', () => {
    const cases: [ObjectStoreError, string, string][] = [
      [new ObjectNotFoundError('The specified key does not exist: s3://b/k'), 'ObjectNotFoundError', 'NotFound'],
      [new ObjectAccessDeniedError('Access denied: s3://b/k'), 'ObjectAccessDeniedError', 'AccessDenied'],
      [new ObjectRequestError('Invalid object key "": the object key is empty'), 'ObjectRequestError', 'InvalidRequest'],
    ];
    for (const [err, name, kind] of cases) {
      assert.ok(err instanceof Error);
      assert.ok(err instanceof ObjectStoreError);
      assert.equal(err.name, name);
      assert.equal(err.kind, kind);
      assert.equal(err.constructor.name, name);
      assert.match(String(err), new RegExp(`^${name}: `));
      assert.ok(err.stack?.includes(err.message));
    }
    assert.equal(cases[0][0].message, 'The specified key does not exist: s3://b/k');
  });

  it('keeps ObjectChangedError\'s fields and message', () => {
    const err = new ObjectChangedError('"a"', '"b"');
    assert.ok(err instanceof ObjectStoreError);
    assert.equal(err.name, 'ObjectChangedError');
    assert.equal(err.kind, 'Changed');
    assert.equal(err.expected, '"a"');
    assert.equal(err.actual, '"b"');
    assert.equal(err.message, 'Object changed: expected ETag "a", found "b"');
  });

  it('are exported from errors.ts, object-store.ts and index.ts as the same classes', () => {
    for (const name of [
      'ObjectStoreError',
      'ObjectNotFoundError',
      'ObjectAccessDeniedError',
      'ObjectRequestError',
      'ObjectChangedError',
    ] as const) {
      assert.equal(typeof errorsModule[name], 'function', name);
      assert.equal(objectStore[name], errorsModule[name], name);
      assert.equal(index[name], errorsModule[name], name);
    }
    assert.deepEqual(Object.keys(errorsModule).sort(), [
      'ObjectAccessDeniedError',
      'ObjectChangedError',
      'ObjectNotFoundError',
      'ObjectRequestError',
      'ObjectStoreError',
    ]);
  });

  it('src/objectstore imports nothing from the service layers', async () => {
    const dir = join(srcDir, 'objectstore');
    const files = (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 5);
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      const specifiers = [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      for (const spec of specifiers) {
        if (!spec.startsWith('.')) continue;
        const target = relative(srcDir, resolve(dirname(join(dir, file)), spec));
        assert.ok(
          !/^(domain|api|server|cli)(\/|$)/.test(target),
          `src/objectstore/${file} imports ${spec} (${target})`,
        );
      }
    }
  });
});
