import type { Config } from '../config.js';
import { arnOf, isoTime } from '../domain/ids.js';
import type { BatchEntryRecord, BatchRecord, RunGroupRecord, RunRecord, TaskRecord, WorkflowRecord } from '../domain/model.js';

/** Output shapes: records as the API reference names and nests them. Undefined members are omitted by JSON.stringify. */

/** ARNs name the account that owns the resource. */
export const owned = (c: Config, record: { accountId: string }) => ({ region: c.region, accountId: record.accountId });

export const workflowOut = (c: Config, w: WorkflowRecord) => ({
  arn: arnOf(owned(c, w), 'workflow', w.id), id: w.id, status: w.status, type: w.type, name: w.name, description: w.doc.description,
  engine: w.doc.engine, main: w.doc.main, digest: w.doc.digest, parameterTemplate: w.doc.parameterTemplate,
  storageCapacity: w.doc.storageCapacity, storageType: w.doc.storageType, creationTime: isoTime(w.creationTime),
  statusMessage: w.doc.statusMessage, tags: w.tags, metadata: w.doc.metadata, accelerators: w.doc.accelerators, uuid: w.uuid,
  containerRegistryMap: w.doc.containerRegistryMap, readme: w.doc.readme, readmePath: w.doc.readmePath,
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
  outputUri: r.outputUri, logLevel: r.extra.logLevel, startedBy: 'omicsd', creationTime: isoTime(r.creationTime),
  startTime: isoTime(r.startTime), stopTime: isoTime(r.stopTime), statusMessage: r.statusMessage, tags: r.tags,
  retentionMode: r.extra.retentionMode, failureReason: r.failureReason, runOutputUri: r.runOutputUri,
  storageType: r.extra.storageType, workflowOwnerId: r.extra.workflowOwnerId, workflowVersionName: r.extra.workflowVersionName,
  workflowUuid: r.workflowUuid, networkingMode: r.extra.networkingMode, cacheId: r.extra.cacheId, cacheBehavior: r.extra.cacheBehavior,
  engineSettings: r.extra.engineSettings, scratchStorageMode: r.extra.scratchStorageMode,
  configuration: r.extra.configurationName ? { name: r.extra.configurationName } : undefined,
  logLocation: { runLogStream: `run/${r.id}`, engineLogStream: `run/${r.id}/engine` },
});

export const runItem = (c: Config, r: RunRecord) => ({
  arn: arnOf(owned(c, r), 'run', r.id), id: r.id, status: r.status, workflowId: r.workflowId, batchId: r.batchId, name: r.name,
  priority: r.priority, storageCapacity: r.extra.storageCapacity ?? (r.extra.storageType === 'STATIC' ? 1200 : undefined),
  creationTime: isoTime(r.creationTime), startTime: isoTime(r.startTime), stopTime: isoTime(r.stopTime),
  storageType: r.extra.storageType, workflowVersionName: r.extra.workflowVersionName,
});

export const taskOut = (t: TaskRecord) => ({
  taskId: t.id, status: t.status, name: t.name, cpus: t.cpus, memory: t.memory, gpus: t.gpus, cacheHit: false,
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
