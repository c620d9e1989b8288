/** Records as the domain sees them; the store persists exactly these. Times are epoch milliseconds. */

export type Tags = Record<string, string>;
export type Json = unknown;

export const RUN_STATUSES = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'DELETED', 'CANCELLED', 'FAILED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['STARTING', 'RUNNING', 'STOPPING'];
export const CANCELLABLE_RUN_STATUSES: readonly RunStatus[] = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING'];
export const DELETABLE_RUN_STATUSES: readonly RunStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
export const isTerminalRunStatus = (s: RunStatus) => s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED' || s === 'DELETED';

export const BATCH_STATUSES = [
  'CREATING', 'PENDING', 'SUBMITTING', 'INPROGRESS', 'STOPPING', 'CANCELLED', 'FAILED',
  'PROCESSED', 'RUNS_DELETING', 'RUNS_DELETE_FAILED', 'RUNS_DELETED',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const SUBMISSION_STATUSES = ['SUCCESS', 'FAILED', 'CANCEL_SUCCESS', 'CANCEL_FAILED', 'DELETE_SUCCESS', 'DELETE_FAILED'] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export const WORKFLOW_STATUSES = ['CREATING', 'ACTIVE', 'UPDATING', 'DELETED', 'FAILED', 'INACTIVE'] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];
export const WORKFLOW_ENGINES = ['WDL', 'NEXTFLOW', 'CWL', 'WDL_LENIENT'] as const;
export type WorkflowEngine = (typeof WORKFLOW_ENGINES)[number];

export const TASK_STATUSES = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface ParameterSpec {
  description?: string;
  optional?: boolean;
}

export interface WorkflowRecord {
  id: string;
  /** The account that owns it (docs/security.md, "Accounts"). */
  accountId: string;
  uuid: string;
  status: WorkflowStatus;
  type: 'PRIVATE';
  name?: string;
  creationTime: number;
  requestId?: string;
  requestHash?: string;
  tags: Tags;
  /** Everything else GetWorkflow returns (description, engine, main, digest, parameterTemplate, …). */
  doc: WorkflowDoc;
}

export interface WorkflowDoc {
  description?: string;
  engine?: WorkflowEngine;
  main?: string;
  digest?: string;
  parameterTemplate?: Record<string, ParameterSpec>;
  storageCapacity?: number;
  storageType?: string;
  accelerators?: string;
  statusMessage?: string;
  containerRegistryMap?: Json;
  readme?: string;
  readmePath?: string;
  metadata?: Tags;
  definitionUri?: string;
  /** Inputs the definition declares as files or folders (docs/security.md, "Run inputs"). */
  pathInputs?: string[];
}

export interface RunGroupRecord {
  id: string;
  accountId: string;
  name?: string;
  maxCpus?: number;
  maxRuns?: number;
  maxDuration?: number;
  maxGpus?: number;
  creationTime: number;
  requestId?: string;
  requestHash?: string;
  tags: Tags;
}

/** What StartRun (or a batch entry) asks for, after validation and defaults. */
export interface RunSpec {
  accountId: string;
  workflowId: string;
  workflowType: string;
  roleArn: string;
  name?: string;
  runGroupId?: string;
  batchId?: string;
  priority: number;
  parameters?: Json;
  outputUri: string;
  tags: Tags;
  /** Stored as given and echoed by GetRun. */
  extra: RunExtra;
}

export interface RunExtra {
  cacheId?: string;
  cacheBehavior?: string;
  storageCapacity?: number;
  storageType?: string;
  logLevel?: string;
  retentionMode?: string;
  workflowOwnerId?: string;
  workflowVersionName?: string;
  /** The version the run runs (internal: a version deleted and made again under its name is another one). */
  workflowVersionId?: string;
  accelerators?: string;
  /** The principal ARN of the caller that started the run (docs/security.md). */
  startedBy?: string;
  networkingMode?: string;
  configurationName?: string;
  engineSettings?: Json;
  scratchStorageMode?: string;
  outputBucketOwnerId?: string;
  runId?: string;
  /** The batch entry the run was made for (not part of GetRun: the batch's ListRunsInBatch shows it). */
  runSettingId?: string;
}

export interface RunRecord extends RunSpec {
  id: string;
  uuid: string;
  status: RunStatus;
  creationTime: number;
  startTime?: number;
  stopTime?: number;
  statusMessage?: string;
  failureReason?: string;
  requestId?: string;
  requestHash?: string;
  runOutputUri: string;
  workflowUuid?: string;
  digest?: string;
}

export interface TaskRecord {
  id: string;
  runId: string;
  name: string;
  status: TaskStatus;
  cpus?: number;
  memory?: number;
  gpus?: number;
  creationTime: number;
  startTime?: number;
  stopTime?: number;
  statusMessage?: string;
  failureReason?: string;
  logStream?: string;
  /** The task's outputs came from the run cache (docs/run-caches.md). */
  cacheHit?: boolean;
  /** Where the cache keeps the task's outputs. */
  cacheS3Uri?: string;
}

export interface SubmissionSummary {
  successfulStartSubmissionCount: number;
  failedStartSubmissionCount: number;
  pendingStartSubmissionCount: number;
  successfulCancelSubmissionCount: number;
  failedCancelSubmissionCount: number;
  successfulDeleteSubmissionCount: number;
  failedDeleteSubmissionCount: number;
}

export interface RunSummary {
  pendingRunCount: number;
  startingRunCount: number;
  runningRunCount: number;
  stoppingRunCount: number;
  completedRunCount: number;
  failedRunCount: number;
  cancelledRunCount: number;
  deletedRunCount: number;
}

export interface BatchRecord {
  id: string;
  accountId: string;
  uuid: string;
  name?: string;
  status: BatchStatus;
  requestId: string;
  requestHash: string;
  workflowId: string;
  runGroupId?: string;
  creationTime: number;
  submittedTime?: number;
  processedTime?: number;
  failedTime?: number;
  failureReason?: string;
  /** What is wrong and where; shown as statusMessage (not in the service model, so official clients drop it). */
  failureDetail?: string;
  /** The principal that started the batch: its runs' startedBy. */
  startedBy?: string;
  tags: Tags;
  defaultRunSetting: Record<string, Json>;
  inlineSettings?: Record<string, Json>[];
  s3Uri?: string;
  s3Etag?: string;
  totalRuns?: number;
  cancelRequested: boolean;
  deleteRequested: boolean;
  submission: SubmissionSummary;
  runs: RunSummary;
}

export interface BatchEntryRecord {
  seq: number;
  runSettingId: string;
  submissionStatus?: SubmissionStatus;
  runId?: string;
  runUuid?: string;
  failureReason?: string;
  failureMessage?: string;
}

/** A state change reported by an executor (or decided by the service) for one run. */
export interface RunTransition {
  runId: string;
  status: RunStatus;
  at: number;
  statusMessage?: string;
  failureReason?: string;
}

/** A task's change as an executor reports it. */
export interface TaskUpdate {
  runId: string;
  name: string;
  status: TaskStatus;
  at: number;
  cpus?: number;
  memory?: number;
  gpus?: number;
  statusMessage?: string;
  failureReason?: string;
  logStream?: string;
  cacheHit?: boolean;
  cacheS3Uri?: string;
}

/** A workflow version (docs/workflow-versions.md): its own definition, named under its workflow. */
export interface WorkflowVersionRecord {
  id: string;
  workflowId: string;
  versionName: string;
  accountId: string;
  uuid: string;
  status: WorkflowStatus;
  creationTime: number;
  requestId?: string;
  requestHash?: string;
  tags: Tags;
  doc: WorkflowDoc & { workflowBucketOwnerId?: string };
}

export const RUN_CACHE_STATUSES = ['ACTIVE', 'DELETED', 'FAILED'] as const;
export type RunCacheStatus = (typeof RUN_CACHE_STATUSES)[number];
export const CACHE_BEHAVIORS = ['CACHE_ON_FAILURE', 'CACHE_ALWAYS'] as const;
export type CacheBehavior = (typeof CACHE_BEHAVIORS)[number];

/** A run cache (docs/run-caches.md): where task results are kept for later runs to reuse. */
export interface RunCacheRecord {
  id: string;
  accountId: string;
  status: RunCacheStatus;
  name?: string;
  creationTime: number;
  requestId?: string;
  requestHash?: string;
  tags: Tags;
  doc: { cacheBehavior: CacheBehavior; cacheS3Uri: string; description?: string; cacheBucketOwnerId?: string };
}

export const CONFIGURATION_STATUSES = ['CREATING', 'ACTIVE', 'UPDATING', 'DELETING', 'DELETED', 'FAILED'] as const;
export type ConfigurationStatus = (typeof CONFIGURATION_STATUSES)[number];

export interface VpcConfig {
  securityGroupIds?: string[];
  subnetIds?: string[];
}

/** A run configuration (docs/configurations.md): named networking settings a VPC run refers to. */
export interface ConfigurationRecord {
  id: string;
  accountId: string;
  name: string;
  uuid: string;
  status: ConfigurationStatus;
  creationTime: number;
  requestId?: string;
  requestHash?: string;
  tags: Tags;
  doc: { description?: string; runConfigurations: { vpcConfig?: VpcConfig } };
}

export const SHARE_STATUSES = ['PENDING', 'ACTIVATING', 'ACTIVE', 'DELETING', 'DELETED', 'FAILED'] as const;
export type ShareStatus = (typeof SHARE_STATUSES)[number];

/** A workflow offered by its owner's account to one subscriber account (docs/shares.md). */
export interface ShareRecord {
  /** Order of creation (list pages). */
  seq: number;
  id: string;
  ownerAccount: string;
  subscriber: string;
  resourceArn: string;
  workflowId: string;
  name?: string;
  status: ShareStatus;
  creationTime: number;
  updateTime: number;
  statusMessage?: string;
}
