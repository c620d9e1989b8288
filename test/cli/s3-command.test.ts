/*
 * `omicsd s3 cp` and `omicsd s3 ls`, run as a user runs them (the built CLI, `npm run build` first), against
 * the embedded store (a temporary data dir) and a real S3-protocol server (s3rver, through --s3-endpoint).
 * Object keys that would leave the destination folder cannot be stored in either, so they come from a
 * small stand-in S3 server that answers listings with whatever keys the test gives it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { md5, quotedMd5, startS3rver, type S3rverHandle } from '../objectstore/helpers.js';
import { omicsd, type CliResult } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { prng } from '../support/prng.js';

/** A line of a stack trace: no failure may print one. */
const STACK_FRAME = /^\s+at /m;

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

/** One upload/download line: `upload: FROM to TO N bytes ETag "…"`. */
const COPY_LINE = /^(upload|download): (.+) to (.+) (\d+) bytes ETag (\S+)$/;

function copied(r: CliResult): { kind: string; from: string; to: string; size: number; etag: string }[] {
  return lines(r.stdout)
    .filter((l) => !l.startsWith('summary: '))
    .map((l) => {
      const m = COPY_LINE.exec(l);
      assert.ok(m, `unexpected output line ${JSON.stringify(l)}`);
      return { kind: m[1], from: m[2], to: m[3], size: Number(m[4]), etag: m[5] };
    });
}

const summary = (r: CliResult) => lines(r.stdout).at(-1);

/** `ls` lines: `SIZE  ETAG  KEY` or `PRE  NAME/`. */
function listed(r: CliResult): { prefixes: string[]; objects: { key: string; size: number; etag: string }[] } {
  const prefixes: string[] = [];
  const objects: { key: string; size: number; etag: string }[] = [];
  for (const l of lines(r.stdout)) {
    const pre = /^\s+PRE {2}(.+)$/.exec(l);
    if (pre) {
      prefixes.push(pre[1]);
      continue;
    }
    const m = /^\s*(\d+) {2}(\S+) {2}(.+)$/.exec(l);
    assert.ok(m, `unexpected ls line ${JSON.stringify(l)}`);
    objects.push({ size: Number(m[1]), etag: m[2], key: m[3] });
  }
  return { prefixes, objects };
}

/** Every regular file under `dir`, relative path → content. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const full = path.join(dir, rel);
    if (fs.lstatSync(full).isFile()) out.set(rel.split(path.sep).join('/'), fs.readFileSync(full));
  }
  return out;
}

/** Writes `files` (relative path → content) under `dir`, creating folders. */
function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), body);
  }
}

function randomBytes(size: number, seed: number): Buffer {
  const next = prng(seed);
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = Math.floor(next() * 256);
  return buf;
}

let s3rver: S3rverHandle;

before(async () => {
  s3rver = await startS3rver(); // also sets AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, which the CLI inherits
});

after(async () => {
  await s3rver?.close();
});

const dataDir = tempDir('omicsd-s3cli-data-');

/** The options naming each object store the commands are run against. */
const backends: { name: string; store: () => string[] }[] = [
  { name: 'the embedded store', store: () => ['--data-dir', dataDir] },
  { name: 'an S3-compatible server (--s3-endpoint)', store: () => ['--s3-endpoint', s3rver.endpoint] },
];

for (const backend of backends) {
  describe(`omicsd s3 with ${backend.name}`, () => {
    const s3 = (...args: string[]) => omicsd(['s3', ...args, ...backend.store()]);

    it('copies many files to a prefix in one call, and refuses a destination without "/" for them', async () => {
      const dir = tempDir();
      const files = { 'a.fq': '@r1\nACGT\n+\nIIII\n', 'b.fq': '@r2\nTTTT\n+\nIIII\n', 'c.txt': 'three\n' };
      writeFiles(dir, files);
      const sources = Object.keys(files).map((f) => path.join(dir, f));

      const r = await s3('cp', ...sources, 's3://bkt/many/', '--concurrency', '2');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.deepEqual(
        copied(r).sort((x, y) => x.to.localeCompare(y.to)),
        Object.entries(files).map(([name, body]) => ({
          kind: 'upload', from: path.join(dir, name), to: `s3://bkt/many/${name}`, size: body.length, etag: quotedMd5(body),
        })),
      );
      const total = Object.values(files).reduce((n, b) => n + b.length, 0);
      assert.equal(summary(r), `summary: 3 copied (${total} bytes)`);

      const ls = await s3('ls', '--recursive', 's3://bkt/many/');
      assert.equal(ls.code, 0, ls.stderr);
      assert.deepEqual(
        listed(ls).objects.sort((x, y) => x.key.localeCompare(y.key)),
        Object.entries(files).map(([name, body]) => ({ key: `many/${name}`, size: body.length, etag: quotedMd5(body) })),
      );

      const refused = await s3('cp', ...sources, 's3://bkt/not-a-prefix');
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, '');
      assert.deepEqual(lines(refused.stderr), [
        'omicsd: With several sources the destination must be a prefix ending in "/": s3://bkt/not-a-prefix is not (use s3://bkt/not-a-prefix/)',
      ]);
      assert.equal((await s3('ls', 's3://bkt/not-a-prefix')).code, 1, 'nothing was copied');
    });

    it('copies a folder tree up and down with --recursive, byte for byte, without following links', async () => {
      const src = path.join(tempDir(), 'samples');
      const files: Record<string, Buffer> = {
        'top.txt': Buffer.from('top\n'),
        empty: Buffer.alloc(0),
        'with space.txt': Buffer.from('spaced\n'),
        '.hidden': Buffer.from('dot\n'),
        'é-ü.txt': Buffer.from('unicode name\n'),
        'sub/one.bin': randomBytes(300_000, 1),
        'sub/deeper/most/two.bin': randomBytes(2_500_000, 2),
        'other/three.txt': Buffer.from('3\n'),
      };
      writeFiles(src, files);
      fs.symlinkSync(path.join(src, 'top.txt'), path.join(src, 'link-to-file'));
      fs.symlinkSync(path.join(src, 'sub'), path.join(src, 'link-to-folder'));

      const up = await s3('cp', '--recursive', src, 's3://bkt/tree');
      assert.equal(up.code, 0, up.stderr);
      const uploads = copied(up);
      assert.deepEqual(uploads.map((u) => u.to).sort(), Object.keys(files).map((k) => `s3://bkt/tree/${k}`).sort());
      for (const u of uploads) {
        const body = files[u.to.slice('s3://bkt/tree/'.length)];
        assert.equal(u.from, path.join(src, u.to.slice('s3://bkt/tree/'.length)));
        assert.equal(u.size, body.length);
        assert.equal(u.etag, quotedMd5(body));
      }
      // The links are named on stderr as skipped, and counted.
      assert.deepEqual(lines(up.stderr).sort(), [
        `warning: skipped ${path.join(src, 'link-to-file')}: a symbolic link (links are not followed)`,
        `warning: skipped ${path.join(src, 'link-to-folder')}: a symbolic link (links are not followed)`,
      ]);
      const total = Object.values(files).reduce((n, b) => n + b.length, 0);
      assert.equal(summary(up), `summary: ${Object.keys(files).length} copied (${total} bytes), 2 skipped`);

      const out = path.join(tempDir(), 'not', 'yet', 'there');
      const down = await s3('cp', '-r', 's3://bkt/tree/', out, '--concurrency', '3');
      assert.equal(down.code, 0, down.stderr);
      assert.equal(down.stderr, '');
      assert.deepEqual(copied(down).map((d) => [d.from, d.to]).sort(), Object.keys(files).map((k) => [`s3://bkt/tree/${k}`, path.join(out, k)]).sort());
      const got = filesUnder(out);
      assert.deepEqual([...got.keys()].sort(), Object.keys(files).sort(), 'the same files, and no temporary files left');
      for (const [rel, body] of Object.entries(files)) {
        assert.ok(got.get(rel)!.equals(body), `${rel} differs (md5 ${md5(got.get(rel)!)} vs ${md5(body)})`);
      }

      // A second download over the first replaces each file whole.
      const again = await s3('cp', '--recursive', 's3://bkt/tree', out);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual([...filesUnder(out).keys()].sort(), Object.keys(files).sort());
    });

    it('lists with PRE lines for subfolders, and every key with --recursive', async () => {
      const dir = tempDir();
      const files = { 'a.txt': 'a\n', 'b/c.txt': 'cc\n', 'b/d/e.txt': 'eee\n', 'f/g.txt': 'gggg\n', 'bz.txt': 'bz\n' };
      writeFiles(dir, files);
      const up = await s3('cp', '-r', dir, 's3://bkt/lst/');
      assert.equal(up.code, 0, up.stderr);

      const top = await s3('ls', 's3://bkt/lst/');
      assert.equal(top.code, 0, top.stderr);
      assert.deepEqual(listed(top), {
        prefixes: ['b/', 'f/'],
        objects: [
          { key: 'a.txt', size: 2, etag: quotedMd5('a\n') },
          { key: 'bz.txt', size: 3, etag: quotedMd5('bz\n') },
        ],
      });
      // Like aws s3 ls: a prefix without "/" matches names starting with it, shown relative to its folder.
      const partial = await s3('ls', 's3://bkt/lst/b');
      assert.equal(partial.code, 0, partial.stderr);
      assert.deepEqual(listed(partial), { prefixes: ['b/'], objects: [{ key: 'bz.txt', size: 3, etag: quotedMd5('bz\n') }] });
      const sub = await s3('ls', 's3://bkt/lst/b/');
      assert.deepEqual(listed(sub), { prefixes: ['d/'], objects: [{ key: 'c.txt', size: 3, etag: quotedMd5('cc\n') }] });

      const all = await s3('ls', '--recursive', 's3://bkt/lst/', '--summarize');
      assert.equal(all.code, 0, all.stderr);
      const [body, totals] = all.stdout.split('\n\n');
      assert.deepEqual(
        listed({ ...all, stdout: body }).objects.sort((x, y) => x.key.localeCompare(y.key)),
        Object.entries(files)
          .map(([k, v]) => ({ key: `lst/${k}`, size: v.length, etag: quotedMd5(v) }))
          .sort((x, y) => x.key.localeCompare(y.key)),
      );
      assert.equal(totals, `Total Objects: 5\n   Total Size: ${Object.values(files).join('').length}\n`);

      const none = await s3('ls', 's3://bkt/lst/nothing-here');
      assert.equal(none.code, 1);
      assert.deepEqual(lines(none.stderr), ['omicsd: nothing found under s3://bkt/lst/nothing-here']);

      const noArg = await s3('ls');
      assert.equal(noArg.code, 1);
      assert.match(noArg.stderr, /^omicsd: omicsd s3 ls needs s3:\/\/bucket\[\/prefix\]/);
      assert.equal(lines(noArg.stderr).length, 1);

      const noBucket = await s3('ls', 's3://no-such-bucket/');
      assert.equal(noBucket.code, 1);
      assert.deepEqual(lines(noBucket.stderr), ['omicsd: The specified bucket does not exist: s3://no-such-bucket']);
    });

    it('reports a missing file or object on one line, copies the others, and exits 1', async () => {
      const dir = tempDir();
      writeFiles(dir, { 'a.txt': 'first\n', 'b.txt': 'second\n' });
      const missing = path.join(dir, 'missing.txt');
      const up = await s3('cp', path.join(dir, 'a.txt'), missing, path.join(dir, 'b.txt'), 's3://bkt/partial/');
      assert.equal(up.code, 1);
      assert.deepEqual(lines(up.stderr), [`upload failed: ${missing}: no such file or folder`]);
      assert.deepEqual(copied(up).map((c) => c.to).sort(), ['s3://bkt/partial/a.txt', 's3://bkt/partial/b.txt']);
      assert.equal(summary(up), 'summary: 2 copied (13 bytes), 1 failed');
      const ls = await s3('ls', 's3://bkt/partial/');
      assert.deepEqual(listed(ls).objects.map((o) => o.key), ['a.txt', 'b.txt']);

      const out = tempDir();
      const down = await s3('cp', 's3://bkt/partial/a.txt', 's3://bkt/partial/nope.txt', 's3://bkt/partial/b.txt', `${out}/`);
      assert.equal(down.code, 1);
      assert.deepEqual(lines(down.stderr), [
        `download failed: s3://bkt/partial/nope.txt to ${path.join(out, 'nope.txt')}: The specified key does not exist: s3://bkt/partial/nope.txt`,
      ]);
      assert.equal(summary(down), 'summary: 2 copied (13 bytes), 1 failed');
      assert.deepEqual(Object.fromEntries([...filesUnder(out)].map(([k, v]) => [k, v.toString()])), { 'a.txt': 'first\n', 'b.txt': 'second\n' });

      for (const r of [up, down]) assert.doesNotMatch(r.stderr, STACK_FRAME);
    });

    it('downloads one object into a folder or to a file name, and refuses bad arguments in one line', async () => {
      const dir = tempDir();
      writeFiles(dir, { 'one.txt': 'one\n' });
      // One file to an exact key, and to a prefix (key = prefix + file name).
      assert.equal((await s3('cp', path.join(dir, 'one.txt'), 's3://bkt/single/renamed.txt')).code, 0);
      const toPrefix = await s3('cp', path.join(dir, 'one.txt'), 's3://bkt/single/');
      assert.deepEqual(copied(toPrefix).map((c) => c.to), ['s3://bkt/single/one.txt']);

      const out = tempDir();
      const intoFolder = await s3('cp', 's3://bkt/single/renamed.txt', out);
      assert.equal(intoFolder.code, 0, intoFolder.stderr);
      const toFile = await s3('cp', 's3://bkt/single/one.txt', path.join(out, 'new', 'name.txt'));
      assert.equal(toFile.code, 0, toFile.stderr);
      assert.deepEqual(Object.fromEntries([...filesUnder(out)].map(([k, v]) => [k, v.toString()])), { 'new/name.txt': 'one\n', 'renamed.txt': 'one\n' });

      const cases: [string[], RegExp][] = [
        [[path.join(dir, 'one.txt'), 's3://Bad_Bucket/x'], /^omicsd: Invalid destination "s3:\/\/Bad_Bucket\/x": bucket names/],
        [['s3://bkt/single/', out], /^omicsd: s3:\/\/bkt\/single\/ names a prefix, not an object: add --recursive/],
        [['s3:/bkt/x', out], /^omicsd: One side of omicsd s3 cp must be an s3:\/\/ URI/],
        [['s3://bkt/single/one.txt', 's3://bkt/elsewhere'], /^omicsd: Copying from s3:\/\/ to s3:\/\/ is not supported/],
        [[path.join(dir, 'one.txt')], /^omicsd: omicsd s3 cp needs a source and a destination/],
        [[dir, 's3://bkt/x/'], new RegExp(`^upload failed: ${dir}: is a folder \\(add --recursive`)],
        [['s3://bkt/single', out], /^download failed: s3:\/\/bkt\/single to .*: The specified key does not exist: s3:\/\/bkt\/single \(objects exist under s3:\/\/bkt\/single\/: add --recursive/],
        [['s3://bkt/single/one.txt', out, '--concurrency', '0'], /--concurrency/],
      ];
      for (const [args, message] of cases) {
        const r = await s3('cp', ...args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(lines(r.stderr).length, 1, r.stderr);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, STACK_FRAME);
      }
    });
  });
}

/**
 * A stand-in S3 server holding `objects` in bucket `hostile`: it answers ListObjects with every key it
 * holds (ignoring the prefix asked for, as a misbehaving server might) and GetObject/HeadObject by key.
 * `gets` records the keys whose content was requested.
 */
async function startHostileS3(objects: Map<string, Buffer>): Promise<{ endpoint: string; gets: string[]; close(): Promise<void> }> {
  const gets: string[] = [];
  const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const server = http.createServer((req, res) => {
    const rawPath = req.url!.split('?')[0];
    if (rawPath === '/hostile' || rawPath === '/hostile/') {
      const contents = [...objects].map(([key, body]) =>
        `<Contents><Key>${xml(key)}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;${md5(body)}&quot;</ETag><Size>${body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>hostile</Name><Prefix></Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents.join('')}</ListBucketResult>`);
      return;
    }
    const key = rawPath.slice('/hostile/'.length).split('/').map(decodeURIComponent).join('/');
    const body = objects.get(key);
    if (!rawPath.startsWith('/hostile/') || body === undefined) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      return;
    }
    if (req.method === 'GET') gets.push(key);
    res.writeHead(200, { etag: `"${md5(body)}"`, 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    gets,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('object keys are treated as hostile on download', () => {
  const hostileKeys = ['a/../../escape', '../escape-up', '/omicsd-test-absolute', 'b/./c', 'x//y', 'win\\..\\..\\escape-bs', 'ok/..'];
  const fine = { 'ok/fine.txt': Buffer.from('fine\n'), 'ok/sub/also-fine.txt': Buffer.from('also fine\n') };
  let server: Awaited<ReturnType<typeof startHostileS3>>;
  const s3 = (...args: string[]) => omicsd(['s3', ...args, '--s3-endpoint', server.endpoint]);

  before(async () => {
    const objects = new Map<string, Buffer>(Object.entries(fine));
    for (const key of hostileKeys) objects.set(key, Buffer.from(`written from ${key}\n`));
    server = await startHostileS3(objects);
  });
  after(async () => {
    await server?.close();
  });

  it('refuses each key that would leave the folder, without fetching it, and still copies the others', async () => {
    const base = tempDir();
    const out = path.join(base, 'deep', 'out');
    const r = await s3('cp', '--recursive', 's3://hostile/', out);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, STACK_FRAME);
    const failures = lines(r.stderr);
    assert.equal(failures.length, hostileKeys.length, r.stderr);
    for (const key of hostileKeys) {
      assert.ok(failures.some((l) => l.startsWith(`download failed: s3://hostile/${key}: refusing the key ${key}: `)), `${key} not refused:\n${r.stderr}`);
    }
    assert.deepEqual(copied(r).map((c) => c.to).sort(), [path.join(out, 'ok/fine.txt'), path.join(out, 'ok/sub/also-fine.txt')]);
    assert.deepEqual([...server.gets].sort(), Object.keys(fine).sort(), 'only the acceptable keys were fetched');

    // Nothing was written anywhere but the two files inside the folder.
    assert.deepEqual(fs.readdirSync(base, { recursive: true }).map(String).sort(), [
      'deep', 'deep/out', 'deep/out/ok', 'deep/out/ok/fine.txt', 'deep/out/ok/sub', 'deep/out/ok/sub/also-fine.txt',
    ].map((p) => p.split('/').join(path.sep)));
    assert.equal(fs.existsSync('/omicsd-test-absolute'), false);
    assert.equal(fs.readFileSync(path.join(out, 'ok/fine.txt'), 'utf8'), 'fine\n');
  });

  it('refuses keys a listing returns outside the prefix asked for', async () => {
    const out = path.join(tempDir(), 'out');
    const r = await s3('cp', '-r', 's3://hostile/ok/', out);
    assert.equal(r.code, 1);
    assert.deepEqual([...filesUnder(out).keys()].sort(), ['fine.txt', 'sub/also-fine.txt']);
    const failures = lines(r.stderr);
    assert.equal(failures.length, hostileKeys.length);
    assert.ok(failures.every((l) => /refusing the key .*: (the listing of ok\/ returned it, but it is not under that prefix|it has a "\.\." segment)/.test(l)), r.stderr);
  });

  it('refuses an object named by a ".." key when copying it into a folder', async () => {
    const base = tempDir();
    const out = path.join(base, 'out');
    fs.mkdirSync(out);
    const r = await s3('cp', 's3://hostile/ok/..', out);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), ['download failed: s3://hostile/ok/..: refusing the key ok/..: it has a ".." segment, which would leave the destination folder']);
    assert.deepEqual(fs.readdirSync(base), ['out']);
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it('does not write through a symbolic link inside the destination folder', async () => {
    const base = tempDir();
    const out = path.join(base, 'out');
    const elsewhere = path.join(base, 'elsewhere');
    fs.mkdirSync(out);
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(out, 'ok'));
    const viaLink = await s3('cp', '-r', 's3://hostile/', out);
    assert.equal(viaLink.code, 1);
    assert.ok(
      lines(viaLink.stderr).some((l) => l.startsWith('download failed: s3://hostile/ok/fine.txt to ') && l.endsWith(`${path.join(out, 'ok')}: is a symbolic link; refusing to write through it`)),
      viaLink.stderr,
    );
    assert.equal(lines(viaLink.stderr).length, hostileKeys.length + Object.keys(fine).length, viaLink.stderr);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });
});
