import type { Config } from '../../config.js';
import type { Executor } from '../../executors/executor.js';
import type { NewRun, PageRequest, RunFilter, Store } from '../../store/store.js';
import { conflict, notFound, validationError } from '../errors.js';
import { requestHash } from '../hash.js';
import { createdRecord, replayed } from '../idempotency.js';
import { newUuid } from '../ids.js';
import { ACTIVE_RUN_STATUSES, type RunRecord, type TaskStatus } from '../model.js';
import { parameterProblem } from './parameters.js';
import { runQuotaExceeded, startRunThrottled } from '../quotas.js';
import { requireBucket, requireBucketsIn, type BucketScope } from '../bucket-access.js';
import { RunReferences } from './run-references.js';
import { checkOutputUri, checkRunInputs, resolveInputRoots, type InputRules } from './run-inputs.js';
import type { BatchRunInput, StartRunInput } from '../run-settings.js';
import type { Scheduler } from './scheduler.js';
import type { StartRunRate } from '../cluster/start-run-rate.js';
import { NO_TELEMETRY, type Telemetry } from '../telemetry.js';

type RunInput = Omit<BatchRunInput, 'outputBucketOwnerId'> & { outputBucketOwnerId?: string; runId?: string };

/** StartRun, the run reads, CancelRun and DeleteRun, and the validation a batch entry shares with StartRun. */
/** The batch entry a run is submitted for, and when its StartRun token was granted (epoch ms). */
export interface BatchEntryRef {
  batchId: string;
  runSettingId: string;
  admittedAt: number;
}

export class RunService {
  private inputRules: InputRules;

  constructor(
    private store: Store,
    private config: Config,
    private rate: StartRunRate,
    private scheduler: Scheduler,
    private executor: Executor,
    private bucketScope: BucketScope = () => undefined,
    private telemetry: Telemetry = NO_TELEMETRY,
  ) {
    this.inputRules = { localInputRoots: resolveInputRoots(config.localInputRoots) };
  }

  /**
   * Checks what a run of `account` refers to and builds the row to insert; throws the error StartRun
   * would answer. `refs` reads as that account.
   */
  async prepare(
    account: string, input: RunInput, refs: RunReferences, entry?: BatchEntryRef, principal?: string,
  ): Promise<NewRun> {
    const { workflow, version, cache } = await refs.resolve(input);
    // A run of a version runs that version's definition, against its parameter template.
    const definition = version?.doc ?? workflow.doc;
    // A workflow that declares no parameters takes none: parameters are never passed unchecked.
    const problem = parameterProblem(definition.parameterTemplate ?? {}, input.parameters);
    if (problem) throw validationError(problem);
    checkRunInputs(input.parameters, definition.pathInputs, this.inputRules);
    checkOutputUri(input.outputUri);
    requireBucket(this.bucketScope, account, input.outputUri);
    requireBucketsIn(this.bucketScope, account, input.parameters);
    return {
      accountId: account,
      uuid: newUuid(),
      workflowId: input.workflowId,
      workflowType: input.workflowType ?? 'PRIVATE',
      roleArn: input.roleArn,
      name: input.name,
      runGroupId: input.runGroupId,
      batchId: entry?.batchId,
      priority: input.priority ?? 0,
      parameters: input.parameters,
      outputUri: input.outputUri,
      tags: input.tags ?? {},
      // A batch's run is created when its StartRun token was granted, so creation times show the quota held.
      creationTime: entry?.admittedAt ?? Date.now(),
      runOutputUriPrefix: input.outputUri.endsWith('/') ? input.outputUri : `${input.outputUri}/`,
      workflowUuid: workflow.uuid,
      digest: definition.digest,
      extra: {
        cacheId: input.cacheId, cacheBehavior: cache ? (input.cacheBehavior ?? cache.doc.cacheBehavior) : undefined,
        storageCapacity: input.storageCapacity ?? definition.storageCapacity,
        storageType: input.storageType ?? definition.storageType ?? 'STATIC', logLevel: input.logLevel,
        retentionMode: input.retentionMode ?? 'RETAIN', workflowOwnerId: input.workflowOwnerId,
        workflowVersionName: input.workflowVersionName, workflowVersionId: version?.id, accelerators: definition.accelerators,
        startedBy: principal, networkingMode: input.networkingMode ?? 'RESTRICTED',
        configurationName: input.configurationName, engineSettings: input.engineSettings,
        scratchStorageMode: input.scratchStorageMode, outputBucketOwnerId: input.outputBucketOwnerId, runId: input.runId,
        runSettingId: entry?.runSettingId,
      },
    };
  }

  async startRun(account: string, input: StartRunInput, raw: Record<string, unknown>, principal?: string): Promise<RunRecord> {
    const hash = requestHash(raw);
    const prior = await replayed(this.store, account, 'run', input.requestId, hash, (id) => this.store.runs.get(id, account));
    if (prior) return prior;
    let effective: RunInput;
    if (input.runId) {
      const source = await this.get(account, input.runId);
      effective = {
        workflowId: source.workflowId, workflowType: source.workflowType as any, name: source.name, runGroupId: source.runGroupId,
        priority: source.priority, parameters: source.parameters, ...source.extra, ...stripUndefined(input),
        runId: input.runId,
      } as RunInput;
    } else {
      if (!input.workflowId) throw validationError('StartRun needs a workflowId (or the runId of a run to repeat)');
      effective = input as RunInput;
    }
    const run = await this.prepare(account, effective, new RunReferences(this.store, account), undefined, principal);
    if ((await this.rate.take(account, 1)).granted !== 1) {
      this.telemetry.startRunThrottled('StartRun');
      throw startRunThrottled(this.rate.rate);
    }
    const res = await this.store.runs.insert({ ...run, requestId: input.requestId, requestHash: hash }, this.config.maxRuns);
    if (res === 'quota') throw runQuotaExceeded(this.config.maxRuns);
    const record = createdRecord(res, input.requestId);
    this.scheduler.wake();
    return record;
  }

  async get(account: string, id: string) {
    const run = await this.store.runs.get(id, account);
    if (!run) throw notFound(`Run ${id} not found`);
    return run;
  }

  /** The definition a run runs: its workflow version's, else its workflow's (undefined once deleted). */
  async definitionSource(run: RunRecord) {
    if (run.extra.workflowVersionId) return (await this.store.versions.byId(run.extra.workflowVersionId))?.doc;
    return (await this.store.workflows.get(run.workflowId, null))?.doc;
  }

  /** GetRun's engineVersion: what the executor's engine for the run's definition says it is. */
  /**
   * GetRun's engineVersion: HealthOmics gives it for Nextflow runs only, as the bare version
   * (`[0-9]{2}.[0-9]{2}.[0-9]`); other engines' versions are in the engine log.
   */
  async engineVersion(run: RunRecord) {
    if (!this.executor.engineVersion) return undefined;
    const doc = await this.definitionSource(run);
    if (doc?.engine !== 'NEXTFLOW') return undefined;
    return /\b(\d{2}\.\d{2}\.\d+)\b/.exec((await this.executor.engineVersion(doc.engine, doc.main)) ?? '')?.[1];
  }

  list(filter: RunFilter, page: PageRequest) {
    return filter.status === 'DELETED' ? Promise.resolve([]) : this.store.runs.list(filter, page);
  }

  async listTasks(account: string, runId: string, filter: { status?: TaskStatus }, page: PageRequest) {
    await this.get(account, runId);
    return this.store.tasks.list(runId, filter, page);
  }

  async getTask(account: string, runId: string, taskId: string) {
    await this.get(account, runId);
    const task = await this.store.tasks.get(runId, taskId);
    if (!task) throw notFound(`Task ${taskId} of run ${runId} not found`);
    return task;
  }

  async cancelRun(account: string, id: string) {
    await this.get(account, id);
    const [res] = await this.store.runs.cancel([id], Date.now());
    if (!res.previous || res.previous === 'DELETED') throw notFound(`Run ${id} not found`);
    if (!res.cancelled) throw conflict(`Run ${id} is in status ${res.previous} and cannot be cancelled`);
    if (ACTIVE_RUN_STATUSES.includes(res.previous)) this.executor.cancel(id);
    this.scheduler.wake();
  }

  async deleteRun(account: string, id: string) {
    await this.get(account, id);
    const res = await this.store.runs.delete(id);
    if (res === 'missing') throw notFound(`Run ${id} not found`);
    if (res !== 'deleted') throw conflict(`Run ${id} is in status ${res}; only COMPLETED, FAILED or CANCELLED runs can be deleted`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
