import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ServiceError, type ErrorType } from '../../src/domain/errors.js';

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

export async function rejectsWith(promise: Promise<unknown>, type: ErrorType, message?: RegExp): Promise<ServiceError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ServiceError, `expected ServiceError ${type}, got ${String(caught)}`);
  assert.equal(caught.type, type, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}
