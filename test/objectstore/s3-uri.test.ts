import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatS3Uri, ObjectRequestError, ObjectStoreError, parseS3Uri } from '../../src/objectstore/object-store.js';

/** Asserts an ObjectRequestError whose message names the field and contains `reason`. */
function rejects(uri: string, reason: RegExp, options?: { allowEmptyKey?: boolean }) {
  assert.throws(
    () => parseS3Uri(uri, 'outputUri', options),
    (err: unknown) => {
      assert.ok(err instanceof ObjectRequestError, `expected ObjectRequestError, got ${String(err)}`);
      assert.ok(err instanceof ObjectStoreError);
      assert.equal(err.kind, 'InvalidRequest');
      assert.equal(err.name, 'ObjectRequestError');
      assert.match(err.message, /^Invalid outputUri /);
      assert.match(err.message, reason);
      return true;
    },
    `expected ${JSON.stringify(uri)} to be rejected`,
  );
}

describe('parseS3Uri', () => {
  it('splits bucket and key at the first slash, keeping the rest of the key verbatim', () => {
    assert.deepEqual(parseS3Uri('s3://my-bucket/path/to/file.bam', 'f'), { bucket: 'my-bucket', key: 'path/to/file.bam' });
    assert.deepEqual(parseS3Uri('s3://b.c-d/a//b/../c ?#%20', 'f'), { bucket: 'b.c-d', key: 'a//b/../c ?#%20' });
    assert.deepEqual(parseS3Uri('s3://abc/ünï/😀', 'f'), { bucket: 'abc', key: 'ünï/😀' });
    assert.deepEqual(parseS3Uri('s3://abc/prefix/', 'f'), { bucket: 'abc', key: 'prefix/' });
  });

  it('accepts bucket names at the length limits', () => {
    assert.equal(parseS3Uri('s3://abc/k', 'f').bucket, 'abc');
    const longest = `a${'b'.repeat(61)}c`;
    assert.equal(parseS3Uri(`s3://${longest}/k`, 'f').bucket, longest);
  });

  it('accepts an empty key only when allowed', () => {
    assert.deepEqual(parseS3Uri('s3://bucket', 'f', { allowEmptyKey: true }), { bucket: 'bucket', key: '' });
    assert.deepEqual(parseS3Uri('s3://bucket/', 'f', { allowEmptyKey: true }), { bucket: 'bucket', key: '' });
    rejects('s3://bucket', /object key is missing/);
    rejects('s3://bucket/', /object key is missing/);
  });

  it('rejects URIs that are not s3://', () => {
    rejects('https://bucket/key', /expected an S3 URI/);
    rejects('S3://bucket/key', /expected an S3 URI/);
    rejects('s3:/bucket/key', /expected an S3 URI/);
    rejects('bucket/key', /expected an S3 URI/);
    rejects('', /expected an S3 URI/);
    rejects('s3:///key', /bucket name is missing/);
  });

  it('rejects invalid bucket names', () => {
    rejects('s3://ab/key', /3 to 63 characters/);
    rejects(`s3://${'a'.repeat(64)}/key`, /3 to 63 characters/);
    rejects('s3://My-Bucket/key', /lowercase letters/);
    rejects('s3://under_score/key', /lowercase letters/);
    rejects('s3://-bucket/key', /begin and end with a letter or digit/);
    rejects('s3://bucket-/key', /begin and end with a letter or digit/);
    rejects('s3://.bucket/key', /begin and end/);
    rejects('s3://a..b/key', /adjacent dots/);
    rejects('s3://192.168.1.1/key', /IP address/);
  });

  it('rejects keys over 1024 UTF-8 bytes, counting bytes not characters', () => {
    assert.equal(parseS3Uri(`s3://bucket/${'k'.repeat(1024)}`, 'f').key.length, 1024);
    rejects(`s3://bucket/${'k'.repeat(1025)}`, /at most 1024 bytes/);
    // 342 three-byte characters = 1026 bytes but only 342 UTF-16 code units.
    rejects(`s3://bucket/${'€'.repeat(342)}`, /at most 1024 bytes/);
  });

  it('rejects keys containing NUL or unpaired surrogates', () => {
    rejects('s3://bucket/a\0b', /NUL/);
    rejects('s3://bucket/a\uD800b', /valid Unicode/);
  });

  it('names the field given by the caller and quotes the URI', () => {
    assert.throws(() => parseS3Uri('nope', 'parameters.input'), {
      name: 'ObjectRequestError',
      kind: 'InvalidRequest',
      message: 'Invalid parameters.input "nope": expected an S3 URI of the form s3://bucket/key',
    });
  });
});

describe('formatS3Uri', () => {
  it('round-trips with parseS3Uri', () => {
    const loc = { bucket: 'bucket', key: 'a/b c/d.txt' };
    assert.equal(formatS3Uri(loc), 's3://bucket/a/b c/d.txt');
    assert.deepEqual(parseS3Uri(formatS3Uri(loc), 'f'), loc);
  });
});
