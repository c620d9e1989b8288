import type {
  BatchRecord, ConfigurationRecord, RunCacheRecord, RunGroupRecord, RunRecord, ShareRecord, TaskRecord, WorkflowRecord, WorkflowVersionRecord,
} from '../domain/model.js';
import { idStr, opt, type Row } from './sql-common.js';

/** Records from their rows, alike in both dialects: the columns are the same, and JSON documents are text in both. */

export const workflowFromRow = (r: Row): WorkflowRecord => ({
  id: String(r.id), accountId: r.account_id, uuid: r.uuid, status: r.status, type: r.type, name: opt(r.name), creationTime: r.creation_time,
  requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags), doc: JSON.parse(r.doc),
});

export const versionFromRow = (r: Row): WorkflowVersionRecord => ({
  id: String(r.id), workflowId: String(r.workflow_id), versionName: r.version_name, accountId: r.account_id, uuid: r.uuid, status: r.status,
  creationTime: r.creation_time, requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags), doc: JSON.parse(r.doc),
});

export const runCacheFromRow = (r: Row): RunCacheRecord => ({
  id: String(r.id), accountId: r.account_id, status: r.status, name: opt(r.name), creationTime: r.creation_time,
  requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags), doc: JSON.parse(r.doc),
});

export const configurationFromRow = (r: Row): ConfigurationRecord => ({
  id: String(r.id), accountId: r.account_id, name: r.name, uuid: r.uuid, status: r.status, creationTime: r.creation_time,
  requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags), doc: JSON.parse(r.doc),
});

export const shareFromRow = (r: Row): ShareRecord => ({
  seq: r.seq, id: r.id, ownerAccount: r.owner_account, subscriber: r.subscriber, resourceArn: r.resource_arn, workflowId: String(r.workflow_id),
  name: opt(r.name), status: r.status, creationTime: r.creation_time, updateTime: r.update_time, statusMessage: opt(r.status_message),
});

export const runGroupFromRow = (r: Row): RunGroupRecord => ({
  id: String(r.id), accountId: r.account_id, name: opt(r.name), maxCpus: opt(r.max_cpus), maxRuns: opt(r.max_runs), maxDuration: opt(r.max_duration),
  maxGpus: opt(r.max_gpus), creationTime: r.creation_time, requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags),
});

export const runFromRow = (r: Row): RunRecord => {
  const doc = JSON.parse(r.doc);
  return {
    id: String(r.id), accountId: r.account_id, uuid: r.uuid, status: r.status, name: opt(r.name), workflowId: String(r.workflow_id),
    runGroupId: idStr(r.run_group_id), batchId: idStr(r.batch_id), priority: r.priority, creationTime: r.creation_time,
    startTime: opt(r.start_time), stopTime: opt(r.stop_time), statusMessage: opt(r.status_message), failureReason: opt(r.failure_reason),
    requestId: opt(r.request_id), requestHash: opt(r.request_hash), tags: JSON.parse(r.tags),
    workflowType: doc.workflowType, roleArn: doc.roleArn, parameters: doc.parameters, outputUri: doc.outputUri,
    runOutputUri: doc.runOutputUri, workflowUuid: doc.workflowUuid, digest: doc.digest, extra: doc.extra ?? {},
  };
};

export const taskFromRow = (r: Row): TaskRecord => ({
  id: String(r.id), runId: String(r.run_id), name: r.name, status: r.status, cpus: opt(r.cpus), memory: opt(r.memory), gpus: opt(r.gpus),
  creationTime: r.creation_time, startTime: opt(r.start_time), stopTime: opt(r.stop_time), statusMessage: opt(r.status_message),
  failureReason: opt(r.failure_reason), logStream: opt(r.log_stream), cacheHit: r.cache_hit === null ? undefined : r.cache_hit === 1,
  cacheS3Uri: opt(r.cache_s3_uri),
});

export const batchFromRow = (r: Row): BatchRecord => ({
  id: String(r.id), accountId: r.account_id, uuid: r.uuid, name: opt(r.name), status: r.status, requestId: r.request_id, requestHash: r.request_hash,
  workflowId: String(r.workflow_id), runGroupId: idStr(r.run_group_id), creationTime: r.creation_time,
  submittedTime: opt(r.submitted_time), processedTime: opt(r.processed_time), failedTime: opt(r.failed_time), failureReason: opt(r.failure_reason), failureDetail: opt(r.failure_detail), startedBy: opt(r.started_by),
  tags: JSON.parse(r.tags), defaultRunSetting: JSON.parse(r.default_run_setting),
  inlineSettings: r.inline_settings == null ? undefined : JSON.parse(r.inline_settings), s3Uri: opt(r.s3_uri), s3Etag: opt(r.s3_etag),
  totalRuns: opt(r.total_runs), cancelRequested: !!r.cancel_requested, deleteRequested: !!r.delete_requested,
  submission: {
    successfulStartSubmissionCount: r.start_ok, failedStartSubmissionCount: r.start_failed, pendingStartSubmissionCount: r.start_pending,
    successfulCancelSubmissionCount: r.cancel_ok, failedCancelSubmissionCount: r.cancel_failed,
    successfulDeleteSubmissionCount: r.delete_ok, failedDeleteSubmissionCount: r.delete_failed,
  },
  runs: {
    pendingRunCount: r.runs_pending, startingRunCount: r.runs_starting, runningRunCount: r.runs_running, stoppingRunCount: r.runs_stopping,
    completedRunCount: r.runs_completed, failedRunCount: r.runs_failed, cancelledRunCount: r.runs_cancelled, deletedRunCount: r.runs_deleted,
  },
});
