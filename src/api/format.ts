import type { Config } from '../config.js';
import { arnOf, isoTime, versionArnOf } from '../domain/ids.js';
import type {
  BatchEntryRecord, BatchRecord, ConfigurationRecord, RunCacheRecord, RunGroupRecord, RunRecord, ShareRecord, TaskRecord, WorkflowRecord,
  WorkflowVersionRecord,
} from '../domain/model.js';

/** Output shapes: records as the API reference names and nests them. Undefined members are omitted by JSON.stringify. */

/** ARNs name the account that owns the resource. */
export const owned = (c: Config, record: { accountId: string }) => ({ region: c.region, accountId: record.accountId });

export const workflowOut = (c: Config, w: WorkflowRecord) => ({
  arn: arnOf(owned(c, w), 'workflow', w.id), id: w.id, status: w.status, type: w.type, name: w.name, description: w.doc.description,
  engine: w.doc.engine, main: w.doc.main, digest: w.doc.digest, parameterTemplate: w.doc.parameterTemplate,
  storageCapacity: w.doc.storageCapacity, storageType: w.doc.storageType, creationTime: isoTime(w.creationTime),
  statusMessage: w.doc.statusMessage, tags: w.tags, metadata: w.doc.metadata, accelerators: w.doc.accelerators, uuid: w.uuid,
  containerRegistryMap: w.doc.containerRegistryMap, readmePath: w.doc.readmePath,
});

export const workflowItem = (c: Config, w: WorkflowRecord) => ({
  arn: arnOf(owned(c, w), 'workflow', w.id), id: w.id, name: w.name, status: w.status, type: w.type, digest: w.doc.digest,
  creationTime: isoTime(w.creationTime), metadata: w.doc.metadata,
});

export const runGroupOut = (c: Config, g: RunGroupRecord) => ({
  arn: arnOf(owned(c, g), 'runGroup', g.id), id: g.id, name: g.name, maxCpus: g.maxCpus, maxRuns: g.maxRuns, maxDuration: g.maxDuration,
  maxGpus: g.maxGpus, creationTime: isoTime(g.creationTime),
});

export const runOut = (c: Config, r: RunRecord) => ({
  arn: arnOf(owned(c, r), 'run', r.id), id: r.id, uuid: r.uuid, status: r.status, workflowId: r.workflowId, workflowType: r.workflowType,
  runId: r.extra.runId, roleArn: r.roleArn, name: r.name, runGroupId: r.runGroupId, batchId: r.batchId, priority: r.priority,
  digest: r.digest, parameters: r.parameters, storageCapacity: r.extra.storageCapacity ?? (r.extra.storageType === 'STATIC' ? 1200 : undefined),
  outputUri: r.outputUri, logLevel: r.extra.logLevel, startedBy: r.extra.startedBy ?? `arn:aws:iam::${r.accountId}:root`, creationTime: isoTime(r.creationTime),
  startTime: isoTime(r.startTime), stopTime: isoTime(r.stopTime), statusMessage: r.statusMessage, tags: r.tags,
  retentionMode: r.extra.retentionMode, failureReason: r.failureReason, runOutputUri: r.runOutputUri,
  storageType: r.extra.storageType, workflowOwnerId: r.extra.workflowOwnerId, workflowVersionName: r.extra.workflowVersionName,
  workflowUuid: r.workflowUuid, networkingMode: r.extra.networkingMode, cacheId: r.extra.cacheId, cacheBehavior: r.extra.cacheBehavior,
  engineSettings: r.extra.engineSettings, scratchStorageMode: r.extra.scratchStorageMode,
  accelerators: r.extra.accelerators,
  logLocation: { runLogStream: `run/${r.id}`, engineLogStream: `run/${r.id}/engine` },
});

export const runItem = (c: Config, r: RunRecord) => ({
  arn: arnOf(owned(c, r), 'run', r.id), id: r.id, status: r.status, workflowId: r.workflowId, batchId: r.batchId, name: r.name,
  priority: r.priority, storageCapacity: r.extra.storageCapacity ?? (r.extra.storageType === 'STATIC' ? 1200 : undefined),
  creationTime: isoTime(r.creationTime), startTime: isoTime(r.startTime), stopTime: isoTime(r.stopTime),
  storageType: r.extra.storageType, workflowVersionName: r.extra.workflowVersionName,
});

export const taskOut = (t: TaskRecord) => ({
  taskId: t.id, status: t.status, name: t.name, cpus: t.cpus, memory: t.memory, gpus: t.gpus, cacheHit: t.cacheHit ?? false, cacheS3Uri: t.cacheS3Uri,
  creationTime: isoTime(t.creationTime), startTime: isoTime(t.startTime), stopTime: isoTime(t.stopTime),
});

export const taskDetailOut = (t: TaskRecord) => ({
  ...taskOut(t), statusMessage: t.statusMessage, logStream: t.logStream ?? `run/${t.runId}/task/${t.id}`, failureReason: t.failureReason,
});

export const batchOut = (c: Config, b: BatchRecord) => ({
  id: b.id, arn: arnOf(owned(c, b), 'runBatch', b.id), uuid: b.uuid, name: b.name, status: b.status, tags: b.tags,
  totalRuns: b.totalRuns, defaultRunSetting: b.defaultRunSetting,
  submissionSummary: b.totalRuns === undefined ? undefined : {
    successfulStartSubmissionCount: b.submission.successfulStartSubmissionCount,
    failedStartSubmissionCount: b.submission.failedStartSubmissionCount,
    pendingStartSubmissionCount: b.submission.pendingStartSubmissionCount,
    ...(b.cancelRequested ? {
      successfulCancelSubmissionCount: b.submission.successfulCancelSubmissionCount,
      failedCancelSubmissionCount: b.submission.failedCancelSubmissionCount,
    } : {}),
    ...(b.deleteRequested ? {
      successfulDeleteSubmissionCount: b.submission.successfulDeleteSubmissionCount,
      failedDeleteSubmissionCount: b.submission.failedDeleteSubmissionCount,
    } : {}),
  },
  runSummary: b.totalRuns === undefined ? undefined : b.runs,
  creationTime: isoTime(b.creationTime), submittedTime: isoTime(b.submittedTime), processedTime: isoTime(b.processedTime),
  failedTime: isoTime(b.failedTime), failureReason: b.failureReason, statusMessage: b.failureDetail,
});

export const batchItem = (b: BatchRecord) => ({
  id: b.id, name: b.name, status: b.status, createdAt: isoTime(b.creationTime), totalRuns: b.totalRuns, workflowId: b.workflowId,
});

export const entryOut = (c: Config, batch: BatchRecord, e: BatchEntryRecord) => ({
  runSettingId: e.runSettingId, runId: e.runId, runInternalUuid: e.runUuid, runArn: e.runId ? arnOf(owned(c, batch), 'run', e.runId) : undefined,
  submissionStatus: e.submissionStatus, submissionFailureReason: e.failureReason, submissionFailureMessage: e.failureMessage,
});

export const versionArn = (c: Config, v: WorkflowVersionRecord) => versionArnOf(owned(c, v), v.workflowId, v.versionName);

export const versionOut = (c: Config, v: WorkflowVersionRecord) => ({
  arn: versionArn(c, v), workflowId: v.workflowId, versionName: v.versionName, accelerators: v.doc.accelerators,
  creationTime: isoTime(v.creationTime), description: v.doc.description, digest: v.doc.digest, engine: v.doc.engine, main: v.doc.main,
  metadata: v.doc.metadata, parameterTemplate: v.doc.parameterTemplate, status: v.status, statusMessage: v.doc.statusMessage,
  storageType: v.doc.storageType, storageCapacity: v.doc.storageCapacity, type: 'PRIVATE', tags: v.tags, uuid: v.uuid,
  workflowBucketOwnerId: v.doc.workflowBucketOwnerId, containerRegistryMap: v.doc.containerRegistryMap, readmePath: v.doc.readmePath,
});

export const versionItem = (c: Config, v: WorkflowVersionRecord) => ({
  arn: versionArn(c, v), workflowId: v.workflowId, versionName: v.versionName, description: v.doc.description, status: v.status,
  type: 'PRIVATE', digest: v.doc.digest, creationTime: isoTime(v.creationTime), metadata: v.doc.metadata,
});

export const runCacheOut = (c: Config, r: RunCacheRecord) => ({
  arn: arnOf(owned(c, r), 'runCache', r.id), id: r.id, name: r.name, status: r.status, cacheBehavior: r.doc.cacheBehavior,
  cacheS3Uri: r.doc.cacheS3Uri, creationTime: isoTime(r.creationTime), description: r.doc.description,
  cacheBucketOwnerId: r.doc.cacheBucketOwnerId, tags: r.tags,
});

export const runCacheItem = (c: Config, r: RunCacheRecord) => ({
  arn: arnOf(owned(c, r), 'runCache', r.id), id: r.id, name: r.name, status: r.status, cacheBehavior: r.doc.cacheBehavior,
  cacheS3Uri: r.doc.cacheS3Uri, creationTime: isoTime(r.creationTime),
});

export const configurationOut = (c: Config, r: ConfigurationRecord) => ({
  arn: arnOf(owned(c, r), 'configuration', r.name), uuid: r.uuid, name: r.name, description: r.doc.description,
  runConfigurations: r.doc.runConfigurations, status: r.status, creationTime: isoTime(r.creationTime), tags: r.tags,
});

export const configurationItem = (c: Config, r: ConfigurationRecord) => ({
  arn: arnOf(owned(c, r), 'configuration', r.name), name: r.name, description: r.doc.description, status: r.status,
  creationTime: isoTime(r.creationTime),
});

export const shareOut = (s: ShareRecord) => ({
  shareId: s.id, resourceArn: s.resourceArn, resourceId: s.workflowId, principalSubscriber: s.subscriber, ownerId: s.ownerAccount,
  status: s.status, statusMessage: s.statusMessage, shareName: s.name, creationTime: isoTime(s.creationTime), updateTime: isoTime(s.updateTime),
});
