import type { Logger } from 'pino';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { parseS3Uri } from '../../objectstore/object-store.js';
import type { BatchFilter, EntryFilter, PageRequest, Store } from '../../store/store.js';
import { conflict, notFound, validationError } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import { newUuid } from '../ids.js';
import type { BatchRecord } from '../model.js';
import { requireBucket, type BucketScope } from '../bucket-access.js';
import { RunReferences } from '../runs/run-references.js';
import { checkOutputUri } from '../runs/run-inputs.js';
import type { StartRunBatchInput } from '../run-settings.js';
import type { BatchPipeline } from './batch-pipeline.js';
import { DELETABLE_BATCH_STATUSES, allowedFrom, type BatchTransitionName } from './batch-transitions.js';

const MAX_SETTINGS_BYTES = 6 * 1000 ** 3;

/** The synchronous half of the batch API: acceptance, reads and the status-gated cancel/delete calls. */
export class BatchService {
  constructor(
    private store: Store, private objects: ObjectStore, private pipeline: BatchPipeline, private log: Logger, private buckets: BucketScope = () => undefined,
  ) {}

  /** Validates what can be checked at once, records the batch as CREATING and leaves the rest to the pipeline. */
  async start(account: string, input: StartRunBatchInput, raw: Record<string, unknown>, principal?: string): Promise<BatchRecord> {
    const settings = input.batchRunSettings;
    if ((settings.inlineSettings === undefined) === (settings.s3UriSettings === undefined)) {
      throw validationError('batchRunSettings must contain exactly one of inlineSettings or s3UriSettings');
    }
    const hash = requestHash(raw);
    const prior = await replayed(this.store, account, 'runBatch', input.requestId, hash, (id) => this.store.batches.get(id, account));
    if (prior) return prior;

    const d = input.defaultRunSetting;
    if (d.outputUri !== undefined) checkOutputUri(d.outputUri, 'defaultRunSetting.outputUri');
    // The same checks, in the same order and with the same errors, as StartRun's (docs/runs.md, "References").
    await new RunReferences(this.store, account).resolve(d);

    let s3Etag: string | undefined;
    requireBucket(this.buckets, account, d.outputUri);
    if (settings.s3UriSettings !== undefined) {
      requireBucket(this.buckets, account, settings.s3UriSettings);
      const head = await this.objects.head(parseS3Uri(settings.s3UriSettings, 'batchRunSettings.s3UriSettings'));
      if (head.size > MAX_SETTINGS_BYTES) throw validationError(`The s3UriSettings object is ${head.size} bytes; the maximum is 6 GB`);
      s3Etag = head.etag;
    }
    const res = await this.store.batches.create({
      accountId: account, uuid: newUuid(), name: input.batchName, requestId: input.requestId, requestHash: hash, workflowId: d.workflowId,
      runGroupId: d.runGroupId, creationTime: Date.now(), tags: input.tags ?? {},
      // Stored as parsed: members the API does not define are dropped, and GetBatch echoes only what was given.
      defaultRunSetting: d,
      inlineSettings: settings.inlineSettings,
      s3Uri: settings.s3UriSettings, s3Etag, startedBy: principal,
    });
    const record = createdRecord(res, input.requestId);
    if (res.kind === 'created') {
      const source = settings.inlineSettings ? `${settings.inlineSettings.length} inline entries` : settings.s3UriSettings;
      this.log.info({ batchId: record.id, batchName: record.name, workflowId: d.workflowId, source }, `batch ${record.id} accepted (${source})`);
    }
    this.pipeline.wake();
    return record;
  }

  async get(account: string, id: string) {
    const batch = await this.store.batches.get(id, account);
    if (!batch) throw notFound(`Batch ${id} not found`);
    return batch;
  }

  list(filter: BatchFilter, page: PageRequest) {
    return this.store.batches.list(filter, page);
  }

  async listRuns(account: string, batchId: string, filter: EntryFilter, page: PageRequest) {
    await this.get(account, batchId);
    return this.store.entries.list(batchId, filter, page);
  }

  /** A client-requested transition: 404 for an unknown batch, 409 from any status the transition does not start from. */
  private async request(account: string, id: string, name: BatchTransitionName, operation: string) {
    await this.get(account, id);
    const res = await this.store.batches.transition(id, name, { at: Date.now() });
    if (!res.status) throw notFound(`Batch ${id} not found`);
    if (!res.moved) throw conflict(`Batch ${id} is in status ${res.status}; ${operation} is allowed only in ${allowedFrom(name)}`);
    this.pipeline.wake();
  }

  cancel(account: string, id: string) {
    return this.request(account, id, 'requestCancel', 'CancelRunBatch');
  }

  deleteRuns(account: string, id: string) {
    return this.request(account, id, 'requestRunDeletion', 'DeleteRunBatch');
  }

  async deleteBatch(account: string, id: string) {
    await this.get(account, id);
    const res = await this.store.batches.delete(id);
    if (res === 'missing') throw notFound(`Batch ${id} not found`);
    if (res !== 'deleted') throw conflict(`Batch ${id} is in status ${res}; DeleteBatch is allowed only in ${DELETABLE_BATCH_STATUSES.join(', ')}`);
  }
}
