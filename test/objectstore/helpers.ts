import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import { ObjectStoreError } from '../../src/objectstore/index.js';

export const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
export const quotedMd5 = (data: Buffer | string) => `"${md5(data)}"`;

/**
 * A deterministic byte stream of `size` bytes, generated chunk by chunk (never held whole).
 * `onChunk(offset)` runs before each chunk is produced, so a test can look at how much the consumer has
 * already written out: a consumer that buffered the whole body would have written nothing yet.
 */
export function generatedStream(
  size: number,
  options: { seed?: string; onChunk?: (offset: number) => Promise<void> | void } = {},
): { stream: Readable; md5: () => string } {
  const seed = options.seed ?? 'seed';
  const hash = createHash('md5');
  const block = createHash('sha512').update(seed).digest();
  async function* gen() {
    const chunkSize = 64 * 1024;
    for (let offset = 0, n = 0; offset < size; offset += chunkSize, n++) {
      await options.onChunk?.(offset);
      const chunk = Buffer.alloc(Math.min(chunkSize, size - offset));
      for (let i = 0; i < chunk.length; i += block.length) block.copy(chunk, i);
      chunk.writeUInt32BE(n, 0); // makes every chunk distinct, so reordering would change the MD5
      hash.update(chunk);
      yield chunk;
    }
  }
  return { stream: Readable.from(gen(), { objectMode: false }), md5: () => hash.digest('hex') };
}

export async function streamMd5(body: AsyncIterable<Buffer>): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { md5: hash.digest('hex'), size };
}

/** Consumes a body, asserting it arrives in bounded chunks rather than as one buffer. */
export async function streamMd5Bounded(
  body: AsyncIterable<Buffer>,
  maxChunk: number,
): Promise<{ md5: string; size: number; chunks: number }> {
  const hash = createHash('md5');
  let size = 0;
  let chunks = 0;
  for await (const chunk of body) {
    assert.ok(chunk.length <= maxChunk, `chunk of ${chunk.length} bytes exceeds ${maxChunk}`);
    hash.update(chunk);
    size += chunk.length;
    chunks++;
  }
  return { md5: hash.digest('hex'), size, chunks };
}

export async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Awaits `promise`, asserting it rejects with an instance of `type` (an object store error class), and with a
 * message matching `message` when given. Returns the error for further checks.
 */
export async function rejectsWith<T extends ObjectStoreError>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
  message?: RegExp,
): Promise<T> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.ok(caught instanceof ObjectStoreError);
  assert.equal(caught.name, type.name, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Drains an object listing (so a listing error surfaces as a rejection). */
export async function listAll(
  list: AsyncIterable<{ key: string; size: number; etag: string }>,
): Promise<{ key: string; size: number; etag: string }[]> {
  const out = [];
  for await (const item of list) out.push(item);
  return out;
}

/** All paths under `dir`, relative, sorted; [] when `dir` does not exist. */
export async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}

export interface S3rverHandle {
  endpoint: string;
  /** s3rver's storage folder: `<dir>/<bucket>/<key>._S3rver_object` holds an object's content. */
  dir: string;
  close(): Promise<void>;
}

/**
 * Starts a real s3rver (HTTP, S3 protocol) on a free port, storing under a new temporary folder, with the
 * bucket `bkt` created. Sets the standard credential variables to s3rver's only account, which the stores
 * read through the SDK's default credential chain.
 */
export async function startS3rver(): Promise<S3rverHandle> {
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  delete process.env.AWS_SESSION_TOKEN;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const tmp = await mkdtemp(join(tmpdir(), 'omicsd-s3rver-'));
  const dir = join(tmp, 's3rver');
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: 'bkt', configs: [] }],
  });
  const address: AddressInfo = await server.run();
  assert.ok(address.port > 0);
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    dir,
    close: async () => {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
