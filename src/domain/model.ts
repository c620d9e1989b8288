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
}
