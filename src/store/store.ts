import type {
  BatchEntryRecord, BatchRecord, BatchStatus, Json, RunGroupRecord, RunRecord, RunSpec, RunStatus,
  RunTransition, SubmissionStatus, Tags, TaskRecord, TaskStatus, WorkflowRecord, WorkflowStatus, WorkflowDoc,
} from '../domain/model.js';

/**
 * The durable store. Every method is one transaction: the store is the only hand-off between the
 * API, the batch engine and the executors, so each state change and the counters it moves are
 * committed together. A second SQL dialect implements this same interface.
 */
export interface Store {
  close(): Promise<void>;
  getSecret(name: string, create: () => string): Promise<string>;

  // Workflows
  createWorkflow(rec: Omit<WorkflowRecord, 'id'>, definition: Buffer | null): Promise<IdempotentResult<WorkflowRecord>>;
  getWorkflow(id: string): Promise<WorkflowRecord | undefined>;
  getWorkflowDefinition(id: string): Promise<Buffer | undefined>;
  setWorkflowDefinition(id: string, zip: Buffer): Promise<void>;
  listWorkflowsInStatus(status: WorkflowStatus): Promise<WorkflowRecord[]>;
  listWorkflows(filter: { name?: string }, page: PageRequest): Promise<WorkflowRecord[]>;
  updateWorkflow(id: string, patch: { name?: string; status?: WorkflowStatus; doc?: Partial<WorkflowDoc> }): Promise<WorkflowRecord | undefined>;

  // Run groups
  createRunGroup(rec: Omit<RunGroupRecord, 'id'>): Promise<IdempotentResult<RunGroupRecord>>;
  getRunGroup(id: string): Promise<RunGroupRecord | undefined>;
  listRunGroups(filter: { name?: string }, page: PageRequest): Promise<RunGroupRecord[]>;
  updateRunGroup(id: string, patch: Partial<Pick<RunGroupRecord, 'name' | 'maxCpus' | 'maxRuns' | 'maxDuration' | 'maxGpus'>>): Promise<boolean>;
  /** Deletes the group unless one of its runs is active; returns 'active' in that case. */
  deleteRunGroup(id: string): Promise<'deleted' | 'missing' | 'active'>;

  // Runs
  insertRun(run: NewRun, maxRuns: number): Promise<IdempotentResult<RunRecord> | 'quota'>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter: RunFilter, page: PageRequest): Promise<RunRecord[]>;
  /** Applies executor-reported changes in order; late or backward changes are ignored. */
  applyTransitions(changes: RunTransition[], tasks: TaskUpdate[]): Promise<AppliedTransition[]>;
  /** Cancels each listed run that is still cancellable. */
  cancelRuns(runIds: string[], at: number): Promise<{ runId: string; previous?: RunStatus; cancelled: boolean }[]>;
  deleteRun(id: string): Promise<'deleted' | 'missing' | RunStatus>;
  /** Queued runs in start order (highest priority first, then oldest), skipping the given groups. */
  queuedRuns(limit: number, excludeGroups: string[]): Promise<RunRecord[]>;
  /** PENDING → STARTING for those of the runs still PENDING; returns their ids. */
  markStarting(runIds: string[]): Promise<string[]>;
  /** How many of `wanted` new runs fit under the run quota, after evicting finished REMOVE runs if needed. */
  reserveRunSlots(wanted: number, maxRuns: number): Promise<number>;
  /** The resource a client token already created, if any. */
  findByRequest(kind: IdempotentKind, requestId: string): Promise<{ id: string; requestHash: string } | undefined>;
  countActiveRuns(): Promise<{ total: number; byGroup: Map<string, number> }>;
  /** CPUs held by each run group's active runs: per run, the CPUs of its open tasks, at least 1. */
  activeCpusByGroup(): Promise<Map<string, number>>;
  listRunsInStatus(statuses: RunStatus[]): Promise<RunRecord[]>;

  // Tasks
  listTasks(runId: string, filter: { status?: TaskStatus }, page: PageRequest): Promise<TaskRecord[]>;
  getTask(runId: string, taskId: string): Promise<TaskRecord | undefined>;

  // Tags of any resource
  getTags(type: TaggableType, id: string): Promise<Tags | undefined>;
  setTags(type: TaggableType, id: string, tags: Tags): Promise<boolean>;

  // Batches
  createBatch(rec: NewBatch): Promise<IdempotentResult<BatchRecord>>;
  getBatch(id: string): Promise<BatchRecord | undefined>;
  listBatches(filter: BatchFilter, page: PageRequest): Promise<BatchRecord[]>;
  batchIdsInStatus(statuses: BatchStatus[]): Promise<string[]>;
  /** Compare-and-set of the batch status; returns the status found (the new one when it moved). */
  transitionBatch(id: string, from: readonly BatchStatus[], to: BatchStatus): Promise<{ moved: boolean; status?: BatchStatus }>;
  failBatch(id: string, from: readonly BatchStatus[], reason: string, at: number): Promise<boolean>;
  clearEntries(batchId: string): Promise<void>;
  /** Inserts entries, ignoring a runSettingId already present; returns how many were new. */
  insertEntries(batchId: string, entries: NewEntry[]): Promise<number>;
  /** PENDING → SUBMITTING with the run count known. */
  finishIngest(batchId: string, totalRuns: number): Promise<boolean>;
  nextUnsubmittedEntries(batchId: string, limit: number): Promise<NewEntry[]>;
  /** Records start outcomes and creates the runs, only if the batch is still SUBMITTING. */
  submitEntries(batchId: string, outcomes: SubmissionOutcome[], at: number): Promise<{ applied: boolean; runs: RunRecord[] }>;
  listEntries(batchId: string, filter: EntryFilter, page: PageRequest): Promise<BatchEntryRecord[]>;
  /** One step of CancelRunBatch; `done` once every entry has been looked at (batch then CANCELLED). */
  cancelBatchStep(batchId: string, limit: number, at: number): Promise<{ done: boolean; cancelledActive: string[] }>;
  /** One step of DeleteRunBatch; `done` once every run was handled (batch then RUNS_DELETED or RUNS_DELETE_FAILED). */
  deleteRunsStep(batchId: string, limit: number): Promise<{ done: boolean }>;
  /** Removes the batch record at once; its entries go later, through purgeDeletedBatches. */
  deleteBatch(id: string): Promise<'deleted' | 'missing' | BatchStatus>;
  /** Deletes up to `limit` entries of deleted batches; false when none are left. */
  purgeDeletedBatches(limit: number): Promise<boolean>;
}

export type TaggableType = 'workflow' | 'run' | 'runGroup' | 'runBatch';
export type IdempotentKind = TaggableType;

export type IdempotentResult<T> =
  | { kind: 'created'; record: T }
  | { kind: 'replayed'; record: T }
  | { kind: 'mismatch'; record: T };

export interface PageRequest {
  /** Keyset cursor: the sort key of the last item of the previous page. */
  after?: number;
  limit: number;
}

export interface RunFilter {
  name?: string;
  runGroupId?: string;
  batchId?: string;
  status?: RunStatus;
}

export interface BatchFilter {
  status?: BatchStatus;
  name?: string;
  runGroupId?: string;
}

export interface EntryFilter {
  submissionStatus?: SubmissionStatus;
  runSettingId?: string;
  runId?: string;
}

export interface NewRun extends RunSpec {
  uuid: string;
  requestId?: string;
  requestHash?: string;
  creationTime: number;
  runOutputUriPrefix: string;
  workflowUuid?: string;
  digest?: string;
}

export interface NewBatch extends Omit<BatchRecord, 'id' | 'status' | 'submission' | 'runs' | 'cancelRequested' | 'deleteRequested' | 'totalRuns'> {}

/** A batch entry: inline entries carry their JSON text, settings-file entries their byte range in the file. */
export interface NewEntry {
  seq: number;
  runSettingId: string;
  setting?: string;
  start?: number;
  end?: number;
}

export type SubmissionOutcome =
  | { seq: number; run: NewRun }
  | { seq: number; failure: { reason: string; message: string } };

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

export interface AppliedTransition {
  runId: string;
  status: RunStatus;
  previous: RunStatus;
}

export type { Json };
