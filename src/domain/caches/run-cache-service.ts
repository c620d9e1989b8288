import type { PageRequest, Store } from '../../store/store.js';
import { parseS3Uri } from '../../objectstore/object-store.js';
import { requireBucket, type BucketScope } from '../bucket-access.js';
import { notFound } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import type { CacheBehavior, RunCacheRecord, Tags } from '../model.js';

export interface CreateRunCacheRequest {
  cacheS3Location: string;
  cacheBehavior?: CacheBehavior;
  description?: string;
  name?: string;
  requestId: string;
  tags?: Tags;
  cacheBucketOwnerId?: string;
}

/**
 * Run caches (docs/run-caches.md): a place under which the executors keep task results, and the
 * behaviour that says when a run's results are kept. The caching itself is the executors' work.
 */
export class RunCacheService {
  constructor(private store: Store, private buckets: BucketScope = () => undefined) {}

  async create(account: string, input: CreateRunCacheRequest, raw: Record<string, unknown>): Promise<RunCacheRecord> {
    const hash = requestHash(raw);
    const prior = await replayed(this.store, account, 'runCache', input.requestId, hash, (id) => this.store.runCaches.get(id, account));
    if (prior) return prior;
    const loc = parseS3Uri(input.cacheS3Location, 'cacheS3Location');
    requireBucket(this.buckets, account, input.cacheS3Location);
    // One folder-like prefix, so the cache's objects never mix with a neighbour's of the same name start.
    const cacheS3Uri = `s3://${loc.bucket}/${loc.key.replace(/\/+$/, '')}${loc.key ? '/' : ''}`;
    const res = await this.store.runCaches.create({
      accountId: account, status: 'ACTIVE', name: input.name, creationTime: Date.now(), requestId: input.requestId, requestHash: hash,
      tags: input.tags ?? {},
      doc: { cacheBehavior: input.cacheBehavior ?? 'CACHE_ON_FAILURE', cacheS3Uri, description: input.description, cacheBucketOwnerId: input.cacheBucketOwnerId },
    });
    return createdRecord(res, input.requestId);
  }

  async get(account: string, id: string) {
    const c = await this.store.runCaches.get(id, account);
    if (!c) throw notFound(`Run cache ${id} not found`);
    return c;
  }

  list(account: string, page: PageRequest) {
    return this.store.runCaches.list(account, page);
  }

  async update(account: string, id: string, patch: { cacheBehavior?: CacheBehavior; description?: string; name?: string }) {
    await this.get(account, id);
    await this.store.runCaches.update(id, { name: patch.name, doc: { ...(patch.cacheBehavior ? { cacheBehavior: patch.cacheBehavior } : {}), ...(patch.description !== undefined ? { description: patch.description } : {}) } });
  }

  /** The cache record goes; what it stored stays in the object store (as in HealthOmics, the bucket is the caller's). */
  async delete(account: string, id: string) {
    await this.get(account, id);
    await this.store.runCaches.update(id, { status: 'DELETED' });
  }
}
