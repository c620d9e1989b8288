import type { Config } from '../../config.js';
import type { StartRunBatchInput } from '../../api/shapes.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { parseS3Uri } from '../../objectstore/object-store.js';
import type { Store } from '../../store/store.js';
import { conflict, notFound, validationError } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import { newUuid } from '../ids.js';
import { Lookups } from '../lookups.js';
import {
  CANCELLABLE_BATCH_STATUSES, RUNS_DELETABLE_BATCH_STATUSES, type BatchRecord, type BatchStatus,
} from '../model.js';
import type { BatchEngine } from './batch-engine.js';

const MAX_SETTINGS_BYTES = 6 * 1000 ** 3;

/** The synchronous half of the batch API: acceptance, reads and the status-gated cancel/delete calls. */
export class BatchService {
  constructor(private store: Store, private objects: ObjectStore, private engine: BatchEngine, private config: Config) {}

  /** Validates what can be checked at once, records the batch as CREATING and leaves the rest to the engine. */
  async start(input: StartRunBatchInput, raw: Record<string, unknown>): Promise<BatchRecord> {
    const settings = input.batchRunSettings;
    if ((settings.inlineSettings === undefined) === (settings.s3UriSettings === undefined)) {
      throw validationError('batchRunSettings must contain exactly one of inlineSettings or s3UriSettings');
    }
    const hash = requestHash(raw);
    const prior = await replayed(this.store, 'runBatch', input.requestId, hash, (id) => this.store.getBatch(id));
    if (prior) return prior;

    const d = input.defaultRunSetting;
    if (d.workflowType === 'READY2RUN') throw validationError('Ready2Run workflows are not supported in run batches: use a PRIVATE workflow');
    if (d.cacheBehavior && !d.cacheId) throw validationError('defaultRunSetting.cacheBehavior requires defaultRunSetting.cacheId');
    if (d.workflowOwnerId && d.workflowOwnerId !== this.config.accountId) throw notFound(`Workflow ${d.workflowId} shared by account ${d.workflowOwnerId} not found`);
    const lookups = new Lookups(this.store);
    await lookups.activeWorkflow(d.workflowId);
    await lookups.requireRunGroup(d.runGroupId);

    let s3Etag: string | undefined;
    if (settings.s3UriSettings !== undefined) {
      const head = await this.objects.head(parseS3Uri(settings.s3UriSettings, 'batchRunSettings.s3UriSettings'));
      if (head.size > MAX_SETTINGS_BYTES) throw validationError(`The s3UriSettings object is ${head.size} bytes; the maximum is 6 GB`);
      s3Etag = head.etag;
    }
    const res = await this.store.createBatch({
      uuid: newUuid(), name: input.batchName, requestId: input.requestId, requestHash: hash, workflowId: d.workflowId,
      runGroupId: d.runGroupId, creationTime: Date.now(), tags: input.tags ?? {},
      // Stored as the client sent it (nulls dropped): GetBatch echoes only what was supplied.
      defaultRunSetting: dropNulls(raw.defaultRunSetting as Record<string, unknown>),
      inlineSettings: settings.inlineSettings ? ((raw.batchRunSettings as any).inlineSettings as Record<string, unknown>[]) : undefined,
      s3Uri: settings.s3UriSettings, s3Etag,
    });
    const record = createdRecord(res, input.requestId);
    this.engine.wake();
    return record;
  }

  async get(id: string) {
    const batch = await this.store.getBatch(id);
    if (!batch) throw notFound(`Batch ${id} not found`);
    return batch;
  }

  private async gate(id: string, from: readonly BatchStatus[], to: BatchStatus, operation: string) {
    const res = await this.store.transitionBatch(id, from, to);
    if (!res.status) throw notFound(`Batch ${id} not found`);
    if (!res.moved) throw conflict(`Batch ${id} is in status ${res.status}; ${operation} is allowed only in ${from.join(', ')}`);
    this.engine.wake();
  }

  cancel(id: string) {
    return this.gate(id, CANCELLABLE_BATCH_STATUSES, 'STOPPING', 'CancelRunBatch');
  }

  deleteRuns(id: string) {
    return this.gate(id, RUNS_DELETABLE_BATCH_STATUSES, 'RUNS_DELETING', 'DeleteRunBatch');
  }

  async deleteBatch(id: string) {
    const res = await this.store.deleteBatch(id);
    if (res === 'missing') throw notFound(`Batch ${id} not found`);
    if (res !== 'deleted') {
      throw conflict(`Batch ${id} is in status ${res}; DeleteBatch is allowed only in PROCESSED, FAILED, CANCELLED, RUNS_DELETE_FAILED, RUNS_DELETED`);
    }
  }
}

/** JSON null means "absent": keep only members that were given. */
const dropNulls = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
