/*
 * FsObjectStore behaviour beyond the shared ObjectStore contract (contract.test.ts): the on-disk layout,
 * path-escape protection, sidecar ETags, hand-edited files, reads pinned to an open file, and the
 * filesystem's key conflicts.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createObjectStore,
  FsObjectStore,
  ObjectChangedError,
  ObjectNotFoundError,
  ObjectRequestError,
} from '../../src/objectstore/index.js';
import { listAll, quotedMd5, readAll, rejectsWith, tree } from './helpers.js';

let tmp: string;
let root: string;
let store: FsObjectStore;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'omicsd-fs-store-'));
  root = join(tmp, 'objects');
  store = new FsObjectStore(root);
});

after(async () => {
  await store.close();
  await rm(tmp, { recursive: true, force: true });
});

const dataPath = (bucket: string, key: string) => join(root, bucket, 'data', ...key.split('/'));
const metaPath = (bucket: string, key: string) => join(root, bucket, 'meta', ...key.split('/'));

describe('FsObjectStore', () => {
  it('keeps each object as a plain file at <bucket>/data/<key> with a JSON sidecar at <bucket>/meta/<key>', async () => {
    const loc = { bucket: 'layout', key: 'dir/sub/file.txt' };
    const written = await store.write(loc, Buffer.from('hello, omics\n'));
    assert.equal(await readFile(dataPath(loc.bucket, loc.key), 'utf8'), 'hello, omics\n');
    const meta = JSON.parse(await readFile(metaPath(loc.bucket, loc.key), 'utf8')) as Record<string, unknown>;
    assert.equal(meta.etag, written.etag);
    assert.equal(meta.size, 13);
    assert.match(String(meta.fp), /^\d+:13:\d+$/);
    assert.deepEqual(await tree(join(root, 'layout')), [
      'data',
      'data/dir',
      'data/dir/sub',
      'data/dir/sub/file.txt',
      'meta',
      'meta/dir',
      'meta/dir/sub',
      'meta/dir/sub/file.txt',
    ]);
  });

  it('trusts a sidecar only while it describes the exact file', async () => {
    const loc = { bucket: 'sidecar', key: 'k' };
    await store.write(loc, 'content');
    const path = metaPath(loc.bucket, loc.key);
    const meta = JSON.parse(await readFile(path, 'utf8')) as { etag: string; size: number; fp: string };
    // Same fingerprint: the stored ETag is served without rehashing.
    await writeFile(path, JSON.stringify({ ...meta, etag: '"from-sidecar"' }));
    assert.equal((await store.head(loc)).etag, '"from-sidecar"');
    // Another file's fingerprint, garbage, or no sidecar at all: the MD5 is recomputed.
    await writeFile(path, JSON.stringify({ ...meta, etag: '"stale"', fp: '1:7:1' }));
    assert.equal((await store.head(loc)).etag, quotedMd5('content'));
    await writeFile(path, '{not json');
    assert.equal((await store.head(loc)).etag, quotedMd5('content'));
    await rm(path);
    assert.equal((await store.head(loc)).etag, quotedMd5('content'));
  });

  it('rejects keys that could escape the bucket folder, writing nothing outside the root', async () => {
    await store.write({ bucket: 'jail', key: 'inside' }, 'ok');
    await writeFile(join(tmp, 'x'), 'sentinel'); // a target the escapes would overwrite
    const before = await tree(tmp);
    // Keys S3 itself accepts but that cannot map to a path inside the bucket folder (empty, NUL and invalid
    // Unicode keys are rejected by every backend: see contract.test.ts).
    const attempts: [string, RegExp][] = [
      ['../x', /"\.\." path segments/],
      ['a/../../x', /"\.\." path segments/],
      ['../../../x', /"\.\." path segments/],
      ['./x', /"\.\." path segments/],
      ['/abs', /must not start with "\/"/],
      ['/' + join(tmp, 'x').slice(1), /must not start with "\/"/],
      ['a//b', /empty path segments/],
      ['a/', /empty path segments/],
      ['..\\x', /backslashes/],
      ['.omicsd-tmp-1234', /reserved/],
      ['a/.omicsd-tmp-1234/b', /reserved/],
    ];
    for (const [key, reason] of attempts) {
      const err = await rejectsWith(store.write({ bucket: 'jail', key }, 'evil'), ObjectRequestError, reason);
      assert.ok(err.message.startsWith(`Invalid object key ${JSON.stringify(key)}: `), `message names the key: ${err.message}`);
      await rejectsWith(store.head({ bucket: 'jail', key }), ObjectRequestError, reason);
      await rejectsWith(store.read({ bucket: 'jail', key }), ObjectRequestError, reason);
    }
    await rejectsWith(store.write({ bucket: '..', key: 'x' }, 'evil'), ObjectRequestError, /Invalid bucket name "\.\."/);
    await rejectsWith(store.write({ bucket: 'Up/../x', key: 'x' }, 'evil'), ObjectRequestError, /Invalid bucket name/);
    await rejectsWith(store.read({ bucket: '..', key: 'x' }), ObjectRequestError, /Invalid bucket name "\.\."/);
    await rejectsWith(listAll(store.list('..', '')), ObjectRequestError, /Invalid bucket name "\.\."/);
    assert.deepEqual(await tree(tmp), before, 'no file was created or removed');
    assert.equal(await readFile(join(tmp, 'x'), 'utf8'), 'sentinel');
  });

  it('reports a key segment too long for the filesystem as ObjectRequestError on write, missing on read', async () => {
    const loc = { bucket: 'long-name', key: `dir/${'n'.repeat(300)}` };
    await rejectsWith(store.write(loc, 'x'), ObjectRequestError, /^Invalid object key "dir\/n+\.\.\.": a path segment is too long for the filesystem$/);
    await rejectsWith(store.head(loc), ObjectNotFoundError, /^The specified key does not exist: s3:\/\/long-name\/dir\/n+$/);
    assert.deepEqual(await tree(join(root, 'long-name', 'data')), ['dir'], 'no temp file left');
  });

  it('gives a new ETag when the content file is replaced or edited by hand', async () => {
    const loc = { bucket: 'by-hand', key: 'sample.bam' };
    const original = await store.write(loc, 'AAAA');
    const path = dataPath(loc.bucket, loc.key);

    // Replaced by rename, same size: only the inode tells.
    await writeFile(`${path}.new`, 'BBBB');
    await rename(`${path}.new`, path);
    assert.deepEqual(await store.head(loc), { etag: quotedMd5('BBBB'), size: 4 });
    assert.notEqual(original.etag, quotedMd5('BBBB'));

    // Edited in place with a different size.
    await writeFile(path, 'CCCCCC');
    assert.deepEqual(await store.head(loc), { etag: quotedMd5('CCCCCC'), size: 6 });

    // Edited in place with the same size; the new mtime must win even if within the clock's granularity.
    await writeFile(path, 'DDDDDD');
    const future = new Date(Date.now() + 10_000);
    await utimes(path, future, future);
    const { info, body } = await store.read(loc, { ifMatch: quotedMd5('DDDDDD') });
    assert.equal(info.etag, quotedMd5('DDDDDD'));
    assert.equal((await readAll(body)).toString(), 'DDDDDD');
    await rejectsWith(store.read(loc, { ifMatch: quotedMd5('CCCCCC') }), ObjectChangedError);

    // A file dropped in by hand with no sidecar at all.
    await writeFile(dataPath(loc.bucket, 'dropped.txt'), 'dropped');
    assert.deepEqual(await store.head({ bucket: loc.bucket, key: 'dropped.txt' }), { etag: quotedMd5('dropped'), size: 7 });
  });

  it('keeps serving the opened file when the object is replaced mid-read', async () => {
    const loc = { bucket: 'pin-fd', key: 'k' };
    const v1 = await store.write(loc, 'first version');
    const { info, body } = await store.read(loc, { ifMatch: v1.etag });
    await store.write(loc, 'second, longer version');
    assert.equal(info.etag, v1.etag);
    assert.equal((await readAll(body)).toString(), 'first version');
    assert.equal((await store.head(loc)).etag, quotedMd5('second, longer version'));
  });

  it('fails the body stream when the file is truncated or rewritten in place mid-read', async () => {
    const loc = { bucket: 'in-place', key: 'k' };
    await store.write(loc, 'x'.repeat(5000));
    const truncated = await store.read(loc);
    await writeFile(dataPath(loc.bucket, loc.key), 'short');
    const err = await rejectsWith(readAll(truncated.body), ObjectChangedError, /truncated during read/);
    assert.equal(err.expected, quotedMd5('x'.repeat(5000)));
    assert.match(err.actual, /truncated/);

    await store.write(loc, 'y'.repeat(5000));
    const rewritten = await store.read(loc);
    await writeFile(dataPath(loc.bucket, loc.key), 'z'.repeat(5000));
    const future = new Date(Date.now() + 20_000);
    await utimes(dataPath(loc.bucket, loc.key), future, future);
    await rejectsWith(readAll(rewritten.body), ObjectChangedError, /modified during read/);
  });

  it('reports a key that conflicts with an existing object or prefix as ObjectRequestError', async () => {
    await store.write({ bucket: 'conflict', key: 'a' }, 'file');
    await store.write({ bucket: 'conflict', key: 'dir/x' }, 'nested');
    await rejectsWith(
      store.write({ bucket: 'conflict', key: 'a/b' }, 'x'),
      ObjectRequestError,
      /^Cannot write s3:\/\/conflict\/a\/b: a prefix of the key is an existing object$/,
    );
    await rejectsWith(
      store.write({ bucket: 'conflict', key: 'dir' }, 'x'),
      ObjectRequestError,
      /^Cannot write s3:\/\/conflict\/dir: other objects exist under the prefix "dir\/"$/,
    );
    assert.deepEqual(await tree(join(root, 'conflict', 'data')), ['a', 'dir', 'dir/x']);
  });

  it('lists hand-placed files, skipping temp files and empty folders and following file symlinks', async () => {
    const bucket = 'listing';
    const keys = ['runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x', 'runs-z', 'other', 'runs/1-extra'];
    for (const key of keys) await store.write({ bucket, key }, `content of ${key}`);
    await writeFile(join(tmp, 'link-target'), 'linked content');
    await writeFile(join(root, bucket, 'data', 'runs', '.omicsd-tmp-abandoned'), 'partial'); // crashed write
    await mkdir(join(root, bucket, 'data', 'empty-dir'));
    await symlink(join(tmp, 'link-target'), join(root, bucket, 'data', 'runs', 'linked'));
    await mkdir(join(tmp, 'linked-dir'));
    await writeFile(join(tmp, 'linked-dir', 'inner'), 'not listed');
    await symlink(join(tmp, 'linked-dir'), join(root, bucket, 'data', 'runs', 'linked-dir'));

    assert.deepEqual(
      (await listAll(store.list(bucket, ''))).map((o) => o.key),
      ['other', 'runs-z', 'runs/1-extra', 'runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x', 'runs/linked'],
    );
    assert.deepEqual(await listAll(store.list(bucket, 'runs/l')), [
      { key: 'runs/linked', size: 14, etag: quotedMd5('linked content') },
    ]);
    assert.deepEqual(await listAll(store.list(bucket, 'runs/.omicsd-tmp-')), []);
    assert.deepEqual(await listAll(store.list(bucket, 'a//')), []);
    assert.deepEqual(await listAll(store.list(bucket, '/')), []);
  });
});

describe('createObjectStore without an S3 endpoint', () => {
  it('creates the embedded store under <dataDir>/objects', async () => {
    const dataDir = join(tmp, 'service-data');
    const fsStore = createObjectStore({ dataDir, region: 'us-east-1' });
    assert.ok(fsStore instanceof FsObjectStore);
    assert.equal(fsStore.rootDir, join(dataDir, 'objects'));
    await fsStore.write({ bucket: 'uploads', key: 'cohort/local.vcf' }, '##fileformat=VCFv4.2\n');
    assert.equal(
      await readFile(join(dataDir, 'objects', 'uploads', 'data', 'cohort', 'local.vcf'), 'utf8'),
      '##fileformat=VCFv4.2\n',
    );
    await fsStore.close();
  });
});
