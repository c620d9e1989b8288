/*
 * The ObjectStore contract: behaviour every backend must share, defined once and run against the embedded
 * FsObjectStore (in a temporary folder) and the S3ObjectStore (against a real s3rver over HTTP).
 * Backend-specific behaviour is tested in fs-object-store.test.ts and s3-object-store.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  copyFileToStore,
  FsObjectStore,
  ObjectChangedError,
  ObjectNotFoundError,
  ObjectRequestError,
  S3ObjectStore,
  type ObjectStore,
  type S3Location,
} from '../../src/objectstore/index.js';
import {
  generatedStream,
  listAll,
  md5,
  quotedMd5,
  readAll,
  rejectsWith,
  startS3rver,
  streamMd5Bounded,
  tree,
  type S3rverHandle,
} from './helpers.js';

/** What the contract needs to know about a backend beyond the ObjectStore interface. */
interface Backend {
  store: ObjectStore;
  /** A scratch folder for local files (copyFileToStore). */
  tmp: string;
  /** A store over the same data listing `pageSize` keys per request (the store itself when the backend does not page). */
  pagedStore(pageSize: number): ObjectStore;
  /** Whether list yields keys in S3's UTF-8 byte order (AWS does; s3rver yields them in directory-walk order). */
  listsInByteOrder: boolean;
  /** Whether a paged listing is guaranteed complete (s3rver pages by `key > marker` over an unsorted walk, so it is not). */
  pagesCompletely: boolean;
  /** The folder holding a bucket's data on the backend's disk. */
  bucketDir(bucket: string): string;
  /** Every path of the backend's storage, to show an operation stored nothing. */
  snapshot(): Promise<string[]>;
  /** How many bytes of `loc` the backend has persisted so far while a write of it is still running. */
  bytesPersistedDuringWrite(loc: S3Location): Promise<number>;
  /** The least of those bytes expected after 45 MB of a 50 MB body were produced. */
  minPersistedAt45MB: number;
  /** Debris a failed or finished write left in the bucket (temporary files etc.). */
  leftovers(bucket: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Sorts listed items in S3's UTF-8 byte order. */
const byteOrder = <T extends { key: string }>(items: T[]) =>
  [...items].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));

function objectStoreContract(name: string, open: () => Promise<Backend>) {
  describe(`ObjectStore contract: ${name}`, () => {
    let b: Backend;
    let store: ObjectStore;

    before(async () => {
      b = await open();
      store = b.store;
    });

    after(async () => {
      await b?.close();
    });

    /** list(), checked for byte order where the backend promises it, and returned in byte order. */
    const list = async (bucket: string, prefix: string, from: ObjectStore = store) => {
      const items = await listAll(from.list(bucket, prefix));
      if (b.listsInByteOrder) assert.deepEqual(items, byteOrder(items), `listing of ${prefix} is in byte order`);
      return byteOrder(items);
    };

    it('round-trips write, head and read with a quoted MD5 ETag', async () => {
      const loc = { bucket: 'round-trip', key: 'dir/sub/file.txt' };
      const content = Buffer.from('hello, omics\n');
      const written = await store.write(loc, content);
      assert.deepEqual(written, { etag: quotedMd5(content), size: content.length });
      assert.match(written.etag, /^"[0-9a-f]{32}"$/);

      assert.deepEqual(await store.head(loc), written);
      const { info, body } = await store.read(loc);
      assert.deepEqual(info, written);
      assert.equal((await readAll(body)).toString(), 'hello, omics\n');
    });

    it('accepts string and stream bodies, with or without contentLength, and empty objects', async () => {
      const bucket = 'bodies';
      assert.deepEqual(await store.write({ bucket, key: 's' }, 'text ü'), {
        etag: quotedMd5('text ü'),
        size: Buffer.byteLength('text ü'),
      });
      assert.equal((await readAll((await store.read({ bucket, key: 's' })).body)).toString(), 'text ü');

      const stream = Readable.from([Buffer.from('ab'), 'cd', Buffer.from('ef')]);
      assert.deepEqual(await store.write({ bucket, key: 'stream' }, stream), { etag: quotedMd5('abcdef'), size: 6 });
      assert.equal((await readAll((await store.read({ bucket, key: 'stream' })).body)).toString(), 'abcdef');

      const sized = Readable.from([Buffer.from('tiny')]);
      assert.deepEqual(await store.write({ bucket, key: 'sized' }, sized, { contentLength: 4 }), {
        etag: quotedMd5('tiny'),
        size: 4,
      });
      assert.deepEqual(await store.write({ bucket, key: 'buf' }, Buffer.from('tiny'), { contentLength: 4 }), {
        etag: quotedMd5('tiny'),
        size: 4,
      });

      const emptyEtag = '"d41d8cd98f00b204e9800998ecf8427e"';
      assert.deepEqual(await store.write({ bucket, key: 'empty' }, Buffer.alloc(0)), { etag: emptyEtag, size: 0 });
      assert.deepEqual(await store.write({ bucket, key: 'empty-string' }, '', { contentLength: 0 }), { etag: emptyEtag, size: 0 });
      assert.deepEqual(await store.write({ bucket, key: 'empty-stream' }, Readable.from([])), { etag: emptyEtag, size: 0 });
      assert.deepEqual(await store.head({ bucket, key: 'empty' }), { etag: emptyEtag, size: 0 });
      const { info, body } = await store.read({ bucket, key: 'empty' });
      assert.deepEqual(info, { etag: emptyEtag, size: 0 });
      assert.equal((await readAll(body)).length, 0);
      const pinned = await store.read({ bucket, key: 'empty-stream' }, { ifMatch: emptyEtag });
      assert.equal((await readAll(pinned.body)).length, 0);
    });

    it('creates the bucket on first write', async () => {
      const loc = { bucket: 'created-on-write', key: 'a/b' };
      await rejectsWith(listAll(store.list(loc.bucket, '')), ObjectNotFoundError, /bucket does not exist/);
      assert.deepEqual(await store.write(loc, 'x'), { etag: quotedMd5('x'), size: 1 });
      assert.deepEqual(await store.head(loc), { etag: quotedMd5('x'), size: 1 });
      assert.ok((await stat(b.bucketDir(loc.bucket))).isDirectory());
      assert.deepEqual(await list(loc.bucket, ''), [{ key: 'a/b', size: 1, etag: quotedMd5('x') }]);
    });

    it('changes the ETag when the content changes', async () => {
      const loc = { bucket: 'changes', key: 'k' };
      const first = await store.write(loc, Buffer.from('version 1'));
      const second = await store.write(loc, Buffer.from('version 2'));
      assert.notEqual(first.etag, second.etag);
      assert.equal(second.etag, quotedMd5('version 2'));
      assert.deepEqual(await store.head(loc), { etag: quotedMd5('version 2'), size: 9 });
      assert.deepEqual(await store.head(loc), second);
      // Same content, same ETag: the ETag is the content's MD5, not a version counter.
      assert.equal((await store.write(loc, 'version 2')).etag, second.etag);
    });

    it('reads with a matching ifMatch (quoted or not) and rejects a stale one with both ETags', async () => {
      const loc = { bucket: 'pinned', key: 'input.fastq' };
      const old = await store.write(loc, 'old content');
      const current = await store.write(loc, 'new content');

      const ok = await store.read(loc, { ifMatch: current.etag });
      assert.deepEqual(ok.info, current);
      assert.equal((await readAll(ok.body)).toString(), 'new content');
      const unquoted = await store.read(loc, { ifMatch: current.etag.slice(1, -1) });
      assert.equal((await readAll(unquoted.body)).toString(), 'new content');

      const err = await rejectsWith(
        store.read(loc, { ifMatch: old.etag }),
        ObjectChangedError,
        new RegExp(`^Object changed: expected ETag ${old.etag}, found ${current.etag}$`),
      );
      assert.equal(err.kind, 'Changed');
      assert.equal(err.expected, quotedMd5('old content'));
      assert.equal(err.actual, quotedMd5('new content'));
      // A stale pin also fails a range read.
      await rejectsWith(store.read(loc, { ifMatch: old.etag, range: { start: 0, end: 3 } }), ObjectChangedError);
      await rejectsWith(store.read(loc, { ifMatch: old.etag, range: { start: 2, end: 2 } }), ObjectChangedError);
    });

    it('reads byte ranges [start, end), clamped to the object', async () => {
      const loc = { bucket: 'ranges', key: 'digits' };
      const written = await store.write(loc, '0123456789');
      const range = async (start: number, end: number, ifMatch?: string) => {
        const { info, body } = await store.read(loc, { range: { start, end }, ifMatch });
        const text = (await readAll(body)).toString();
        assert.equal(info.etag, written.etag, 'a range read reports the whole object ETag');
        assert.equal(info.size, text.length, 'info.size is the length of the range');
        return text;
      };
      assert.equal(await range(2, 5), '234');
      // (Not [0, 1): s3rver reads "bytes=0-0" as "bytes=0-" and sends the whole object; AWS sends one byte.)
      assert.equal(await range(1, 2), '1');
      assert.equal(await range(0, 2), '01');
      assert.equal(await range(0, 10), '0123456789');
      assert.equal(await range(9, 10), '9');
      assert.equal(await range(8, 50), '89');
      assert.equal(await range(3, 3), '');
      assert.equal(await range(10, 20), '');
      assert.equal(await range(12, 20), '');
      assert.equal(await range(4, 7, written.etag), '456');
      assert.equal(await range(4, 7, written.etag.slice(1, -1)), '456');
      await rejectsWith(store.read({ ...loc, key: 'missing' }, { range: { start: 0, end: 1 } }), ObjectNotFoundError);
      await rejectsWith(store.read({ ...loc, key: 'missing' }, { range: { start: 1, end: 1 } }), ObjectNotFoundError);
    });

    it('reports missing keys and buckets as ObjectNotFoundError', async () => {
      await store.write({ bucket: 'present', key: 'a/b' }, 'x');
      const err = await rejectsWith(
        store.head({ bucket: 'present', key: 'missing' }),
        ObjectNotFoundError,
        /^The specified key does not exist: s3:\/\/present\/missing$/,
      );
      assert.equal(err.kind, 'NotFound');
      await rejectsWith(
        store.read({ bucket: 'present', key: 'missing' }),
        ObjectNotFoundError,
        /^The specified key does not exist: s3:\/\/present\/missing$/,
      );
      await rejectsWith(store.read({ bucket: 'present', key: 'a/b/c' }), ObjectNotFoundError, /key does not exist/);
      // A prefix of existing keys is not an object.
      await rejectsWith(store.head({ bucket: 'present', key: 'a' }), ObjectNotFoundError, /s3:\/\/present\/a$/);
      await rejectsWith(store.read({ bucket: 'present', key: 'a' }), ObjectNotFoundError, /s3:\/\/present\/a$/);
      await rejectsWith(store.head({ bucket: 'absent-bucket', key: 'k' }), ObjectNotFoundError, /does not exist/);
      await rejectsWith(
        store.read({ bucket: 'absent-bucket', key: 'k' }),
        ObjectNotFoundError,
        /^The specified bucket does not exist: s3:\/\/absent-bucket$/,
      );
      await rejectsWith(
        listAll(store.list('absent-bucket', '')),
        ObjectNotFoundError,
        /^The specified bucket does not exist: s3:\/\/absent-bucket$/,
      );
    });

    it('rejects invalid keys and bucket names with ObjectRequestError, storing nothing', async () => {
      await store.write({ bucket: 'invalid', key: 'inside' }, 'ok');
      // Just under the limit is fine (segments stay short enough to be file names on any backend's disk).
      const longest = { bucket: 'invalid', key: `${'k'.repeat(169)}/`.repeat(5) + '€'.repeat(50) + 'k'.repeat(24) };
      assert.equal(Buffer.byteLength(longest.key), 1024);
      assert.deepEqual(await store.write(longest, 'long'), { etag: quotedMd5('long'), size: 4 });
      assert.equal((await store.head(longest)).etag, quotedMd5('long'));
      const before = await b.snapshot();

      const keys: [string, RegExp][] = [
        ['', /the object key is empty/],
        ['a\0b', /must not contain NUL/],
        ['a\uD800b', /must be valid Unicode/],
        ['\uDC00', /must be valid Unicode/],
        ['k'.repeat(1025), /at most 1024 bytes/],
        [`${longest.key}k`, /at most 1024 bytes/],
        // 342 three-byte characters = 1026 bytes but only 342 UTF-16 code units.
        ['€'.repeat(342), /at most 1024 bytes/],
      ];
      for (const [key, reason] of keys) {
        const quoted = JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}...` : key);
        const shape = new RegExp(`^Invalid object key ${escapeRegExp(quoted)}: `);
        const err = await rejectsWith(store.write({ bucket: 'invalid', key }, 'evil'), ObjectRequestError, reason);
        assert.match(err.message, shape);
        assert.equal(err.kind, 'InvalidRequest');
        await rejectsWith(store.write({ bucket: 'invalid', key }, Readable.from(['evil'])), ObjectRequestError, shape);
        await rejectsWith(store.head({ bucket: 'invalid', key }), ObjectRequestError, shape);
        await rejectsWith(store.read({ bucket: 'invalid', key }), ObjectRequestError, shape);
        await rejectsWith(store.read({ bucket: 'invalid', key }, { range: { start: 0, end: 0 } }), ObjectRequestError, shape);
      }

      const buckets: [string, RegExp][] = [
        ['ab', /3 to 63 characters/],
        ['a'.repeat(64), /3 to 63 characters/],
        ['Upper-Case', /lowercase letters/],
        ['under_score', /lowercase letters/],
        ['-bucket', /begin and end with a letter or digit/],
        ['a..b', /adjacent dots/],
        ['192.168.1.1', /IP address/],
      ];
      for (const [bucket, reason] of buckets) {
        const shape = new RegExp(`^Invalid bucket name ${escapeRegExp(JSON.stringify(bucket))}: `);
        const err = await rejectsWith(store.write({ bucket, key: 'x' }, 'evil'), ObjectRequestError, reason);
        assert.match(err.message, shape);
        await rejectsWith(store.head({ bucket, key: 'x' }), ObjectRequestError, shape);
        await rejectsWith(store.read({ bucket, key: 'x' }), ObjectRequestError, shape);
        await rejectsWith(listAll(store.list(bucket, '')), ObjectRequestError, shape);
      }
      assert.deepEqual(await b.snapshot(), before, 'nothing was stored or removed');
      assert.deepEqual((await list('invalid', '')).map((o) => o.key), ['inside', longest.key]);
    });

    it('rejects a body whose length differs from contentLength, storing nothing and keeping the old object', async () => {
      const fresh = { bucket: 'length', key: 'fresh' };
      await rejectsWith(store.write(fresh, 'abc', { contentLength: 4 }), ObjectRequestError, /^Cannot write s3:\/\/length\/fresh: body is 3 bytes but contentLength is 4$/);
      await rejectsWith(store.write(fresh, Buffer.from('abcde'), { contentLength: 4 }), ObjectRequestError, /body is (5|more than 4) bytes but contentLength is 4$/);
      await rejectsWith(
        store.write(fresh, Readable.from([Buffer.from('abc')]), { contentLength: 4 }),
        ObjectRequestError,
        /^Cannot write s3:\/\/length\/fresh: body is 3 bytes but contentLength is 4$/,
      );
      await rejectsWith(
        store.write(fresh, Readable.from([Buffer.from('abcde')]), { contentLength: 4 }),
        ObjectRequestError,
        /^Cannot write s3:\/\/length\/fresh: body is more than 4 bytes but contentLength is 4$/,
      );
      await rejectsWith(store.head(fresh), ObjectNotFoundError);

      const kept = { bucket: 'length', key: 'k' };
      await store.write(kept, 'keep me');
      await rejectsWith(store.write(kept, Readable.from([Buffer.from('12345')]), { contentLength: 4 }), ObjectRequestError, /more than 4 bytes but contentLength is 4/);
      await rejectsWith(store.write(kept, Readable.from([Buffer.from('123')]), { contentLength: 4 }), ObjectRequestError, /body is 3 bytes but contentLength is 4/);
      await rejectsWith(store.write(kept, Readable.from([]), { contentLength: 1 }), ObjectRequestError, /body is 0 bytes but contentLength is 1/);
      assert.equal((await readAll((await store.read(kept)).body)).toString(), 'keep me');
      assert.deepEqual(await store.head(kept), { etag: quotedMd5('keep me'), size: 7 });
      assert.deepEqual((await list('length', '')).map((o) => o.key), ['k']);
      assert.deepEqual(await b.leftovers('length'), []);
    });

    it('propagates a failing body stream without replacing the object', async () => {
      const loc = { bucket: 'failing', key: 'k' };
      await store.write(loc, 'keep me');
      async function* broken() {
        yield Buffer.from('partial');
        throw new Error('upstream broke');
      }
      await assert.rejects(store.write(loc, Readable.from(broken())), /upstream broke/);
      await assert.rejects(store.write(loc, Readable.from(broken()), { contentLength: 100 }), /upstream broke/);
      assert.equal((await store.head(loc)).etag, quotedMd5('keep me'));
      assert.equal((await readAll((await store.read(loc)).body)).toString(), 'keep me');
      assert.deepEqual((await list('failing', '')).map((o) => o.key), ['k']);
      assert.deepEqual(await b.leftovers('failing'), []);
    });

    it('stores unicode and punctuation keys verbatim', async () => {
      const bucket = 'unicode';
      const keys = ['ünï/😀 file.txt', 'ünï/日本語', 'ünï/ｶﾅ', 'sp ace/a+b=c&d?e#f%20g', "quote's \"x\"", 'tab\there', 'é', 'z'];
      for (const key of keys) {
        assert.deepEqual(await store.write({ bucket, key }, `content of ${key}`), {
          etag: quotedMd5(`content of ${key}`),
          size: Buffer.byteLength(`content of ${key}`),
        });
      }
      for (const key of keys) {
        assert.equal((await store.head({ bucket, key })).etag, quotedMd5(`content of ${key}`));
        assert.equal((await readAll((await store.read({ bucket, key })).body)).toString(), `content of ${key}`);
      }
      // Precomposed and decomposed forms are different keys.
      await rejectsWith(store.head({ bucket, key: 'e\u0301' }), ObjectNotFoundError);
      assert.deepEqual(
        await list(bucket, 'ünï/'),
        ['ünï/日本語', 'ünï/ｶﾅ', 'ünï/😀 file.txt'].map((key) => ({
          key,
          size: Buffer.byteLength(`content of ${key}`),
          etag: quotedMd5(`content of ${key}`),
        })),
      );
      // UTF-8 byte order: "z" (7a) < "é" (c3 a9) < "ü" (c3 bc), and "日" (e6) < "ｶ" (ef bd b6) < "😀" (f0 9f),
      // although in UTF-16 "😀" (surrogate d83d) sorts before "ｶ" (ff76).
      assert.deepEqual(
        (await list(bucket, '')).map((o) => o.key),
        ["quote's \"x\"", 'sp ace/a+b=c&d?e#f%20g', 'tab\there', 'z', 'é', 'ünï/日本語', 'ünï/ｶﾅ', 'ünï/😀 file.txt'],
      );
    });

    it('lists keys under a prefix with sizes and ETags', async () => {
      const bucket = 'listing';
      const keys = ['runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x', 'runs-z', 'other', 'runs/1-extra'];
      for (const key of keys) await store.write({ bucket, key }, `content of ${key}`);
      // '-' (0x2d) sorts before '/' (0x2f), so "runs/1-extra" precedes "runs/1/...".
      assert.deepEqual(
        (await list(bucket, 'runs/1')).map((o) => o.key),
        ['runs/1-extra', 'runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x'],
      );
      assert.deepEqual(await list(bucket, 'runs/1/'), [
        { key: 'runs/1/a.txt', size: 'content of runs/1/a.txt'.length, etag: quotedMd5('content of runs/1/a.txt') },
        { key: 'runs/1/b/c.txt', size: 'content of runs/1/b/c.txt'.length, etag: quotedMd5('content of runs/1/b/c.txt') },
      ]);
      assert.deepEqual(
        (await list(bucket, '')).map((o) => o.key),
        ['other', 'runs-z', 'runs/1-extra', 'runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x'],
      );
      assert.deepEqual((await list(bucket, 'runs/1/a')).map((o) => o.key), ['runs/1/a.txt']);
      assert.deepEqual((await list(bucket, 'runs/1/a.txt')).map((o) => o.key), ['runs/1/a.txt']);
      assert.deepEqual(await list(bucket, 'nothing-here/'), []);
      assert.deepEqual(await list(bucket, 'nothing'), []);
      assert.deepEqual(await list(bucket, '../'), []);
      assert.deepEqual(await list(bucket, 'runs/1/a.txt/'), []);

      // A listing reflects later writes, with the new ETag.
      await store.write({ bucket, key: 'runs/1/a.txt' }, 'rewritten');
      assert.deepEqual((await list(bucket, 'runs/1/a')), [{ key: 'runs/1/a.txt', size: 9, etag: quotedMd5('rewritten') }]);
    });

    it('lists every key exactly once across pages', async () => {
      const bucket = 'paging';
      const keys = Array.from({ length: 11 }, (_, i) => `pages/k${String(i).padStart(2, '0')}`);
      for (const key of keys) await store.write({ bucket, key }, key);
      await store.write({ bucket, key: 'outside' }, 'outside');
      const paged = b.pagedStore(3);
      try {
        const items = await list(bucket, 'pages/', paged);
        const seen = items.map((o) => o.key);
        assert.equal(new Set(seen).size, seen.length, `duplicates in ${seen.join(',')}`);
        for (const item of items) assert.deepEqual(item, { key: item.key, size: item.key.length, etag: quotedMd5(item.key) });
        if (b.pagesCompletely) assert.deepEqual(seen, keys);
        else assert.ok(seen.every((k) => keys.includes(k)) && seen.length >= 3, `unexpected keys ${seen.join(',')}`);
        // Unpaged, the listing is always complete.
        assert.deepEqual((await list(bucket, 'pages/')).map((o) => o.key), keys);
      } finally {
        if (paged !== store) await paged.close();
      }
    });

    it('streams a 50 MB write and read without holding the body in memory', async () => {
      const loc = { bucket: 'big', key: 'reads/sample.fastq' };
      const size = 50 * 1024 * 1024;
      let persistedWhileGenerating = -1;
      const source = generatedStream(size, {
        onChunk: async (offset) => {
          if (offset < 45 * 1024 * 1024 || persistedWhileGenerating >= 0) return;
          // The body reaches the backend's storage before the source is exhausted.
          persistedWhileGenerating = await b.bytesPersistedDuringWrite(loc);
        },
      });
      const written = await store.write(loc, source.stream, { contentLength: size });
      const expected = source.md5();
      assert.deepEqual(written, { etag: `"${expected}"`, size });
      assert.ok(
        persistedWhileGenerating >= b.minPersistedAt45MB,
        `only ${persistedWhileGenerating} bytes persisted at 45 MB`,
      );
      assert.deepEqual(await b.leftovers('big'), [], 'no temporary data left');
      assert.deepEqual(await store.head(loc), written);

      const { info, body } = await store.read(loc, { ifMatch: written.etag });
      assert.deepEqual(info, written);
      const got = await streamMd5Bounded(body, 1024 * 1024);
      assert.equal(got.md5, expected);
      assert.equal(got.size, size);
      assert.ok(got.chunks >= 50, `body arrived in ${got.chunks} chunks`);

      // A range deep inside the object arrives without reading the rest.
      const tail = await store.read(loc, { range: { start: size - 10, end: size } });
      assert.equal(tail.info.size, 10);
      assert.equal((await readAll(tail.body)).length, 10);
    });

    it('lets a caller abandon a read body midway', async () => {
      const loc = { bucket: 'abandon', key: 'k' };
      const source = generatedStream(3 * 1024 * 1024, { seed: 'abandon' });
      await store.write(loc, source.stream);
      for (let i = 0; i < 3; i++) {
        const { body } = await store.read(loc);
        for await (const chunk of body) {
          assert.ok(chunk.length > 0);
          break; // destroys the body
        }
      }
      const { body } = await store.read(loc);
      (body as Readable).destroy();
      assert.equal((await streamMd5Bounded((await store.read(loc)).body, 1024 * 1024)).md5, source.md5());
    });

    it('copies a local file with copyFileToStore', async () => {
      const local = join(b.tmp, 'reads.fastq');
      await writeFile(local, '@r1\nACGT\n+\nIIII\n');
      const copied = await copyFileToStore(store, local, 's3://uploads/uploaded/reads.fastq');
      assert.deepEqual(copied, {
        etag: quotedMd5('@r1\nACGT\n+\nIIII\n'),
        size: 16,
        location: { bucket: 'uploads', key: 'uploaded/reads.fastq' },
      });
      const { body } = await store.read(copied.location, { ifMatch: copied.etag });
      assert.equal((await readAll(body)).toString(), '@r1\nACGT\n+\nIIII\n');
      assert.equal(md5(await readFile(local)), copied.etag.slice(1, -1));

      await writeFile(join(b.tmp, 'empty'), '');
      const empty = await copyFileToStore(store, join(b.tmp, 'empty'), 's3://uploads/empty');
      assert.deepEqual(empty, { etag: quotedMd5(''), size: 0, location: { bucket: 'uploads', key: 'empty' } });
      assert.deepEqual(await store.head({ bucket: 'uploads', key: 'empty' }), { etag: quotedMd5(''), size: 0 });

      const missing = join(b.tmp, 'nope');
      await rejectsWith(copyFileToStore(store, missing, 's3://uploads/x'), ObjectNotFoundError, new RegExp(`^No such file: ${escapeRegExp(missing)}$`));
      await rejectsWith(
        copyFileToStore(store, local, 'uploads/x'),
        ObjectRequestError,
        /^Invalid destination "uploads\/x": expected an S3 URI/,
      );
      await rejectsWith(copyFileToStore(store, local, 's3://uploads/'), ObjectRequestError, /^Invalid destination .*object key is missing/);
      await rejectsWith(
        copyFileToStore(store, b.tmp, 's3://uploads/x'),
        ObjectRequestError,
        new RegExp(`^Not a regular file: ${escapeRegExp(b.tmp)}$`),
      );
      await rejectsWith(store.head({ bucket: 'uploads', key: 'x' }), ObjectNotFoundError);
    });
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

objectStoreContract('FsObjectStore', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'omicsd-contract-fs-'));
  const root = join(tmp, 'objects');
  const store = new FsObjectStore(root);
  return {
    store,
    tmp,
    pagedStore: () => store,
    listsInByteOrder: true,
    pagesCompletely: true,
    bucketDir: (bucket) => join(root, bucket),
    snapshot: () => tree(root),
    bytesPersistedDuringWrite: async (loc) => {
      // The temporary file being filled in the destination folder.
      const dir = join(root, loc.bucket, 'data', ...loc.key.split('/').slice(0, -1));
      const tmpName = (await tree(dir)).find((n) => n.startsWith('.omicsd-tmp-'));
      assert.ok(tmpName, 'a temp file exists while writing');
      return (await stat(join(dir, tmpName))).size;
    },
    minPersistedAt45MB: 40 * 1024 * 1024,
    leftovers: async (bucket) => (await tree(join(root, bucket))).filter((p) => p.split('/').some((s) => s.startsWith('.omicsd-tmp-'))),
    close: async () => {
      await store.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
});

objectStoreContract('S3ObjectStore (s3rver)', async () => {
  const server: S3rverHandle = await startS3rver();
  const tmp = await mkdtemp(join(tmpdir(), 'omicsd-contract-s3-'));
  const store = new S3ObjectStore({ endpoint: server.endpoint, region: 'us-east-1' });
  return {
    store,
    tmp,
    pagedStore: (pageSize) => new S3ObjectStore({ endpoint: server.endpoint, region: 'us-east-1', listPageSize: pageSize }),
    listsInByteOrder: false,
    pagesCompletely: false,
    bucketDir: (bucket) => join(server.dir, bucket),
    snapshot: () => tree(server.dir),
    // s3rver writes straight to its object file, so this shows the body left the process as it was produced.
    bytesPersistedDuringWrite: async (loc) => (await stat(join(server.dir, loc.bucket, `${loc.key}._S3rver_object`))).size,
    minPersistedAt45MB: 30 * 1024 * 1024,
    // Nothing of an S3 upload is visible before it completes (aborted multipart uploads are checked in s3-object-store.test.ts).
    leftovers: async () => [],
    close: async () => {
      await store.close();
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
});
