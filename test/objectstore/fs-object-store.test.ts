import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { copyFileToStore, createObjectStore, FsObjectStore, ObjectChangedError } from '../../src/objectstore/index.js';
import { generatedStream, md5, quotedMd5, readAll, rejectsWith, streamMd5Bounded } from './helpers.js';

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

/** All paths under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}

const dataPath = (bucket: string, key: string) => join(root, bucket, 'data', ...key.split('/'));

describe('FsObjectStore', () => {
  it('round-trips write, head and read with a quoted MD5 ETag', async () => {
    const content = Buffer.from('hello, omics\n');
    const written = await store.write({ bucket: 'round-trip', key: 'dir/sub/file.txt' }, content);
    assert.deepEqual(written, { etag: quotedMd5(content), size: content.length });
    assert.match(written.etag, /^"[0-9a-f]{32}"$/);

    assert.deepEqual(await store.head({ bucket: 'round-trip', key: 'dir/sub/file.txt' }), written);
    const { info, body } = await store.read({ bucket: 'round-trip', key: 'dir/sub/file.txt' });
    assert.deepEqual(info, written);
    assert.equal((await readAll(body)).toString(), 'hello, omics\n');
    // The content is a plain file at the documented place.
    assert.equal(await readFile(dataPath('round-trip', 'dir/sub/file.txt'), 'utf8'), 'hello, omics\n');
  });

  it('accepts string and stream bodies, and empty objects', async () => {
    assert.deepEqual(await store.write({ bucket: 'bodies', key: 's' }, 'text ü'), {
      etag: quotedMd5('text ü'),
      size: Buffer.byteLength('text ü'),
    });
    const stream = Readable.from([Buffer.from('ab'), 'cd', Buffer.from('ef')]);
    assert.deepEqual(await store.write({ bucket: 'bodies', key: 'stream' }, stream), { etag: quotedMd5('abcdef'), size: 6 });
    assert.deepEqual(await store.write({ bucket: 'bodies', key: 'empty' }, Buffer.alloc(0)), {
      etag: '"d41d8cd98f00b204e9800998ecf8427e"',
      size: 0,
    });
    const { info, body } = await store.read({ bucket: 'bodies', key: 'empty' });
    assert.equal(info.size, 0);
    assert.equal((await readAll(body)).length, 0);
  });

  it('changes the ETag when the content changes', async () => {
    const loc = { bucket: 'changes', key: 'k' };
    const first = await store.write(loc, 'version 1');
    const second = await store.write(loc, 'version 2');
    assert.notEqual(first.etag, second.etag);
    assert.equal(second.etag, quotedMd5('version 2'));
    assert.deepEqual(await store.head(loc), second);
  });

  it('reads with a matching ifMatch (quoted or not) and rejects a stale one with both ETags', async () => {
    const loc = { bucket: 'pinned', key: 'input.fastq' };
    const old = await store.write(loc, 'old content');
    const current = await store.write(loc, 'new content');

    const ok = await store.read(loc, { ifMatch: current.etag });
    assert.equal((await readAll(ok.body)).toString(), 'new content');
    const unquoted = await store.read(loc, { ifMatch: current.etag.slice(1, -1) });
    assert.equal((await readAll(unquoted.body)).toString(), 'new content');

    await assert.rejects(store.read(loc, { ifMatch: old.etag }), (err: unknown) => {
      assert.ok(err instanceof ObjectChangedError);
      assert.equal(err.expected, quotedMd5('old content'));
      assert.equal(err.actual, quotedMd5('new content'));
      return true;
    });
  });

  it('reports missing keys and buckets as ResourceNotFoundException', async () => {
    await store.write({ bucket: 'present', key: 'a/b' }, 'x');
    await rejectsWith(
      store.head({ bucket: 'present', key: 'missing' }),
      'ResourceNotFoundException',
      /^The specified key does not exist: s3:\/\/present\/missing$/,
    );
    await rejectsWith(store.read({ bucket: 'present', key: 'a/b/c' }), 'ResourceNotFoundException', /key does not exist/);
    // A folder is not an object.
    await rejectsWith(store.head({ bucket: 'present', key: 'a' }), 'ResourceNotFoundException', /s3:\/\/present\/a$/);
    await rejectsWith(
      store.read({ bucket: 'absent-bucket', key: 'k' }),
      'ResourceNotFoundException',
      /^The specified bucket does not exist: s3:\/\/absent-bucket$/,
    );
    await rejectsWith(
      (async () => {
        for await (const _ of store.list('absent-bucket', '')) void _;
      })(),
      'ResourceNotFoundException',
      /bucket does not exist/,
    );
  });

  it('rejects keys that could escape the bucket folder, writing nothing outside the root', async () => {
    await store.write({ bucket: 'jail', key: 'inside' }, 'ok');
    await writeFile(join(tmp, 'x'), 'sentinel'); // a target the escapes would overwrite
    const before = await tree(tmp);
    const attempts: [string, RegExp][] = [
      ['../x', /"\.\." path segments/],
      ['a/../../x', /"\.\." path segments/],
      ['../../../x', /"\.\." path segments/],
      ['./x', /"\.\." path segments/],
      ['/abs', /must not start with "\/"/],
      ['/' + join(tmp, 'x').slice(1), /must not start with "\/"/],
      ['a//b', /empty path segments/],
      ['a/', /empty path segments/],
      ['a\0b', /NUL/],
      ['..\\x', /backslashes/],
      ['', /empty/],
      ['.omicsd-tmp-1234', /reserved/],
    ];
    for (const [key, reason] of attempts) {
      const err = await rejectsWith(store.write({ bucket: 'jail', key }, 'evil'), 'ValidationException', reason);
      assert.ok(err.message.includes(JSON.stringify(key)), `message names the key: ${err.message}`);
      await rejectsWith(store.head({ bucket: 'jail', key }), 'ValidationException', reason);
      await rejectsWith(store.read({ bucket: 'jail', key }), 'ValidationException', reason);
    }
    await rejectsWith(store.write({ bucket: '..', key: 'x' }, 'evil'), 'ValidationException', /Invalid bucket name "\.\."/);
    await rejectsWith(store.write({ bucket: 'Up/../x', key: 'x' }, 'evil'), 'ValidationException', /Invalid bucket name/);
    assert.deepEqual(await tree(tmp), before, 'no file was created or removed');
    assert.equal(await readFile(join(tmp, 'x'), 'utf8'), 'sentinel');
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
    await assert.rejects(store.read(loc, { ifMatch: quotedMd5('CCCCCC') }), ObjectChangedError);

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
    await assert.rejects(readAll(truncated.body), (err: unknown) => {
      assert.ok(err instanceof ObjectChangedError);
      assert.equal(err.expected, quotedMd5('x'.repeat(5000)));
      assert.match(err.actual, /truncated/);
      return true;
    });

    await store.write(loc, 'y'.repeat(5000));
    const rewritten = await store.read(loc);
    await writeFile(dataPath(loc.bucket, loc.key), 'z'.repeat(5000));
    const future = new Date(Date.now() + 20_000);
    await utimes(dataPath(loc.bucket, loc.key), future, future);
    await assert.rejects(readAll(rewritten.body), /modified during read/);
  });

  it('streams a 50 MB write and read without holding the body in memory', async () => {
    const loc = { bucket: 'big', key: 'reads/sample.fastq' };
    const size = 50 * 1024 * 1024;
    let writtenWhileGenerating = -1;
    const source = generatedStream(size, {
      onChunk: async (offset) => {
        if (offset < 45 * 1024 * 1024 || writtenWhileGenerating >= 0) return;
        // The temp file being filled: the body reaches disk before the source is exhausted.
        const dir = join(root, 'big', 'data', 'reads');
        const tmpName = (await readdir(dir)).find((n) => n.startsWith('.omicsd-tmp-'));
        assert.ok(tmpName, 'a temp file exists while writing');
        writtenWhileGenerating = (await stat(join(dir, tmpName))).size;
      },
    });
    const written = await store.write(loc, source.stream, { contentLength: size });
    const expected = source.md5();
    assert.deepEqual(written, { etag: `"${expected}"`, size });
    assert.ok(writtenWhileGenerating >= 40 * 1024 * 1024, `only ${writtenWhileGenerating} bytes written at 45 MB`);
    assert.deepEqual(await tree(join(root, 'big', 'data')), ['reads', 'reads/sample.fastq'], 'no temp file left');

    const { info, body } = await store.read(loc, { ifMatch: written.etag });
    assert.deepEqual(info, written);
    const got = await streamMd5Bounded(body, 1024 * 1024);
    assert.equal(got.md5, expected);
    assert.equal(got.size, size);
    assert.ok(got.chunks >= 50, `body arrived in ${got.chunks} chunks`);
  });

  it('rejects a body whose length differs from contentLength and leaves no trace', async () => {
    const loc = { bucket: 'length', key: 'k' };
    await store.write(loc, 'keep me');
    await rejectsWith(store.write(loc, Readable.from([Buffer.from('12345')]), { contentLength: 4 }), 'ValidationException', /more than 4 bytes but contentLength is 4/);
    await rejectsWith(store.write(loc, Readable.from([Buffer.from('123')]), { contentLength: 4 }), 'ValidationException', /body is 3 bytes but contentLength is 4/);
    assert.deepEqual(await tree(join(root, 'length', 'data')), ['k']);
    assert.equal(await readFile(dataPath('length', 'k'), 'utf8'), 'keep me');
  });

  it('propagates a failing body stream without replacing the object', async () => {
    const loc = { bucket: 'failing', key: 'k' };
    await store.write(loc, 'keep me');
    async function* broken() {
      yield Buffer.from('partial');
      throw new Error('upstream broke');
    }
    await assert.rejects(store.write(loc, Readable.from(broken())), /upstream broke/);
    assert.deepEqual(await tree(join(root, 'failing', 'data')), ['k']);
    assert.equal((await store.head(loc)).etag, quotedMd5('keep me'));
  });

  it('reports a key that conflicts with an existing object or prefix as ValidationException', async () => {
    await store.write({ bucket: 'conflict', key: 'a' }, 'file');
    await store.write({ bucket: 'conflict', key: 'dir/x' }, 'nested');
    await rejectsWith(store.write({ bucket: 'conflict', key: 'a/b' }, 'x'), 'ValidationException', /prefix of the key is an existing object/);
    await rejectsWith(store.write({ bucket: 'conflict', key: 'dir' }, 'x'), 'ValidationException', /other objects exist under the prefix "dir\/"/);
    assert.deepEqual(await tree(join(root, 'conflict', 'data')), ['a', 'dir', 'dir/x']);
  });

  it('lists keys under a prefix in S3 byte order with sizes and ETags', async () => {
    const bucket = 'listing';
    const keys = ['runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x', 'runs-z', 'other', 'runs/1-extra'];
    for (const key of keys) await store.write({ bucket, key }, `content of ${key}`);
    await writeFile(join(root, bucket, 'data', 'runs', '.omicsd-tmp-abandoned'), 'partial'); // crashed write
    await mkdir(join(root, bucket, 'data', 'empty-dir'));
    await symlink(join(tmp, 'x'), join(root, bucket, 'data', 'runs', 'linked'));

    const list = async (prefix: string) => {
      const out = [];
      for await (const item of store.list(bucket, prefix)) out.push(item);
      return out;
    };
    // '-' (0x2d) sorts before '/' (0x2f), so "runs/1-extra" precedes "runs/1/...".
    assert.deepEqual(
      (await list('runs/1')).map((o) => o.key),
      ['runs/1-extra', 'runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x'],
    );
    assert.deepEqual(await list('runs/1/'), [
      { key: 'runs/1/a.txt', size: 'content of runs/1/a.txt'.length, etag: quotedMd5('content of runs/1/a.txt') },
      { key: 'runs/1/b/c.txt', size: 'content of runs/1/b/c.txt'.length, etag: quotedMd5('content of runs/1/b/c.txt') },
    ]);
    assert.deepEqual(
      (await list('')).map((o) => o.key),
      ['other', 'runs-z', 'runs/1-extra', 'runs/1/a.txt', 'runs/1/b/c.txt', 'runs/10/x', 'runs/linked'],
    );
    assert.deepEqual(await list('nothing-here/'), []);
    assert.deepEqual(await list('../'), []);
    assert.deepEqual(await list('runs/1/a.txt/'), []);
  });
});

describe('createObjectStore and copyFileToStore', () => {
  it('creates the embedded store under <dataDir>/objects and copies a file into it', async () => {
    const dataDir = join(tmp, 'service-data');
    const fsStore = createObjectStore({ dataDir, region: 'us-east-1' });
    assert.ok(fsStore instanceof FsObjectStore);
    assert.equal(fsStore.rootDir, join(dataDir, 'objects'));

    const local = join(tmp, 'local.vcf');
    await writeFile(local, '##fileformat=VCFv4.2\n');
    const copied = await copyFileToStore(fsStore, local, 's3://uploads/cohort/local.vcf');
    assert.deepEqual(copied, {
      etag: quotedMd5('##fileformat=VCFv4.2\n'),
      size: 21,
      location: { bucket: 'uploads', key: 'cohort/local.vcf' },
    });
    assert.equal(await readFile(join(dataDir, 'objects', 'uploads', 'data', 'cohort', 'local.vcf'), 'utf8'), '##fileformat=VCFv4.2\n');

    await writeFile(join(tmp, 'empty'), '');
    assert.equal((await copyFileToStore(fsStore, join(tmp, 'empty'), 's3://uploads/empty')).etag, quotedMd5(''));
    await rejectsWith(copyFileToStore(fsStore, join(tmp, 'nope'), 's3://uploads/x'), 'ResourceNotFoundException', /No such file/);
    await rejectsWith(copyFileToStore(fsStore, local, 'uploads/x'), 'ValidationException', /Invalid destination/);
    await rejectsWith(copyFileToStore(fsStore, tmp, 's3://uploads/x'), 'ValidationException', /Not a regular file/);
    assert.equal(md5(await readFile(local)), copied.etag.slice(1, -1));
  });
});
