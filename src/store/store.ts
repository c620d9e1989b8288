import type {
  BatchMove, BatchTransitionArgs, BatchTransitionName, BatchTransitionResult,
} from '../domain/batches/batch-transitions.js';
import type {
  BatchEntryRecord, BatchRecord, BatchStatus, ConfigurationRecord, RunCacheRecord, RunGroupRecord, RunRecord, RunSpec, RunStatus,
  RunTransition, ShareRecord, ShareStatus, SubmissionStatus, Tags, TaskRecord, TaskStatus, TaskUpdate, WorkflowDoc, WorkflowRecord,
  WorkflowStatus, WorkflowVersionRecord,
} from '../domain/model.js';

/**
 * The durable store, one table family per member. Every method is one transaction: the store is the
 * only hand-off between the API, the batch pipeline and the executors, so each state change and the
 * counters it moves are committed together. The state machines themselves (which transitions exist,
 * what they record) live in the domain; a dialect only writes them down in its SQL. A second dialect
 * implements this same interface as a sibling of `sqlite/`.
 */
export interface Store extends StoreTiming {
  readonly workflows: WorkflowTable;
  readonly versions: WorkflowVersionTable;
  readonly runCaches: RunCacheTable;
  readonly configurations: ConfigurationTable;
  readonly shares: ShareTable;
  readonly runGroups: RunGroupTable;
  readonly runs: RunTable;
  readonly tasks: TaskTable;
  readonly tags: TagTable;
  readonly batches: BatchTable;
  readonly entries: BatchEntryTable;
  readonly events: EventTable;
  readonly stats: StatsTable;
  /**
   * Present when several instances may share the store (PostgreSQL, docs/scale-out.md): their
   * registry, leases on shared work and the StartRun buckets. A SQLite store serves one instance.
   */
  readonly coordination?: CoordinationTable;
  /** The resource a client token of `account` already created, if any. */
  findByRequest(kind: IdempotentKind, requestId: string, account: string): Promise<{ id: string; requestHash: string } | undefined>;
  /** A random secret kept in the store (made on first use), so every instance signs alike. */
  getSecret(name: string, create: () => string): Promise<string>;
  close(): Promise<void>;
}

/** One omicsd instance as the others and operators see it. */
export interface InstanceInfo {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: number;
  /** Its data dir (absolute), where its executor keeps run folders. */
  dataDir: string;
  /** Its executor (`--executor`). */
  executor: string;
}

export interface InstanceStatus extends InstanceInfo {
  heartbeatAt: number;
  /** The leases it holds (work it is doing: `batch:<id>`, `events`). */
  leases: string[];
}

/** Thrown inside a fenced step whose lease another instance holds now: the step's writes are rolled back. */
export class LeaseLostError extends Error {
  constructor(readonly resource: string) {
    super(`the lease on ${resource} is held by another instance`);
  }
}

export interface CoordinationTable {
  /** Records that `instance` is alive and extends every lease it holds by `leaseMs`. */
  heartbeat(instance: InstanceInfo, leaseMs: number): Promise<void>;
  /**
   * Instances running `executor` that stopped, or whose heartbeat is older than `leaseMs`, and still
   * have runs in STARTING, RUNNING or STOPPING.
   */
  abandonedRuns(executor: string, leaseMs: number): Promise<{ instanceId: string; dataDir: string }[]>;
  /**
   * Moves the active runs of instance `from` to `to`, if `from` is still gone (stopped, or no
   * heartbeat for `leaseMs`) at that moment; the ids of the runs moved.
   */
  takeOverRuns(from: string, to: string, leaseMs: number): Promise<string[]>;
  /** Takes the lease on `resource` when it is free, expired or already `owner`'s; whether `owner` holds it now. */
  claim(resource: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives up `owner`'s leases (one, or all), e.g. when the instance stops. */
  release(owner: string, resource?: string): Promise<void>;
  /**
   * Runs `fn` in one transaction that first checks `owner` still holds `resource`, so a step's
   * writes count only while its lease does; LeaseLostError otherwise.
   */
  fenced<T>(resource: string, owner: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Takes up to `max` StartRun tokens from the account's shared bucket (refilled at `rate`/s up to
   * `burst`), `at` the database's time of the grant; a refusal writes nothing.
   */
  takeTokens(account: string, max: number, rate: number, burst: number): Promise<{ granted: number; at: number; msUntilNext: number }>;
  /** Returns tokens taken but not used. */
  giveBackTokens(account: string, n: number, burst: number): Promise<void>;
  /** Every registered instance, its last heartbeat and its leases. */
  instances(): Promise<InstanceStatus[]>;
  /** Marks `instance` stopped: it no longer appears as alive. */
  leave(instanceId: string): Promise<void>;
}

export interface StoreTiming {
  /**
   * Whether a call holds the event loop until the database has answered (SQLite): background steps
   * are then sized to a time budget. PostgreSQL answers asynchronously.
   */
  readonly synchronous: boolean;
}

/**
 * Whose resources a read may see: an account id (every client request: another account's resources
 * look exactly like missing ones), or null for omicsd's own background work, which serves all accounts.
 */
export type AccountScope = string | null;

export interface WorkflowTable {
  create(rec: Omit<WorkflowRecord, 'id'>, definition: Buffer | null): Promise<IdempotentResult<WorkflowRecord>>;
  get(id: string, account: AccountScope): Promise<WorkflowRecord | undefined>;
  getDefinition(id: string): Promise<Buffer | undefined>;
  setDefinition(id: string, zip: Buffer): Promise<void>;
  listInStatus(status: WorkflowStatus): Promise<WorkflowRecord[]>;
  list(filter: { account: string; name?: string }, page: PageRequest): Promise<WorkflowRecord[]>;
  update(id: string, patch: { name?: string; status?: WorkflowStatus; doc?: Partial<WorkflowDoc> }): Promise<WorkflowRecord | undefined>;
}

export interface WorkflowVersionTable {
  /** Inserts a version unless its client token was used; 'exists' when the workflow has a live version of that name. */
  create(rec: Omit<WorkflowVersionRecord, 'id'>, definition: Buffer | null): Promise<IdempotentResult<WorkflowVersionRecord> | 'exists'>;
  /** A live version by its workflow and name, as `account` sees it. */
  get(workflowId: string, versionName: string, account: AccountScope): Promise<WorkflowVersionRecord | undefined>;
  byId(id: string): Promise<WorkflowVersionRecord | undefined>;
  getDefinition(id: string): Promise<Buffer | undefined>;
  setDefinition(id: string, zip: Buffer): Promise<void>;
  listInStatus(status: WorkflowStatus): Promise<WorkflowVersionRecord[]>;
  /** A workflow's live versions, newest first. */
  list(workflowId: string, page: PageRequest): Promise<WorkflowVersionRecord[]>;
  update(id: string, patch: { status?: WorkflowStatus; doc?: Partial<WorkflowVersionRecord['doc']> }): Promise<WorkflowVersionRecord | undefined>;
}

export interface RunCacheTable {
  create(rec: Omit<RunCacheRecord, 'id'>): Promise<IdempotentResult<RunCacheRecord>>;
  get(id: string, account: AccountScope): Promise<RunCacheRecord | undefined>;
  list(account: string, page: PageRequest): Promise<RunCacheRecord[]>;
  update(id: string, patch: { name?: string; status?: RunCacheRecord['status']; doc?: Partial<RunCacheRecord['doc']> }): Promise<boolean>;
}

export interface ConfigurationTable {
  /** 'exists' when the account has a live configuration of that name. */
  create(rec: Omit<ConfigurationRecord, 'id'>): Promise<IdempotentResult<ConfigurationRecord> | 'exists'>;
  get(name: string, account: AccountScope): Promise<ConfigurationRecord | undefined>;
  byId(id: string): Promise<ConfigurationRecord | undefined>;
  list(account: string, page: PageRequest): Promise<ConfigurationRecord[]>;
  setStatus(id: string, status: ConfigurationRecord['status']): Promise<boolean>;
}

export interface ShareTable {
  /** 'exists' when the workflow is already shared (PENDING or ACTIVE) with that subscriber. */
  create(rec: Omit<ShareRecord, 'seq'>): Promise<ShareRecord | 'exists'>;
  get(id: string): Promise<ShareRecord | undefined>;
  /** Shares an account made (`owner`) or was offered (`subscriber`), newest first; DELETED ones are not listed. */
  list(filter: { owner?: string; subscriber?: string; resourceArns?: string[]; statuses?: ShareStatus[] }, page: PageRequest): Promise<ShareRecord[]>;
  /** Moves a share from one of `from` to `to`; false when it was in none of them. */
  setStatus(id: string, from: readonly ShareStatus[], to: ShareStatus, at: number): Promise<boolean>;
  /** Whether `subscriber` holds an ACTIVE share of the workflow. */
  activeFor(workflowId: string, subscriber: string): Promise<boolean>;
}

export interface RunGroupTable {
  create(rec: Omit<RunGroupRecord, 'id'>): Promise<IdempotentResult<RunGroupRecord>>;
  get(id: string, account: AccountScope): Promise<RunGroupRecord | undefined>;
  list(filter: { account: AccountScope; name?: string }, page: PageRequest): Promise<RunGroupRecord[]>;
  update(id: string, patch: RunGroupLimits & { name?: string }): Promise<boolean>;
  /** Deletes the group unless one of its runs is not finished ('active'). */
  delete(id: string): Promise<'deleted' | 'missing' | 'active'>;
}

export type RunGroupLimits = Partial<Pick<RunGroupRecord, 'maxCpus' | 'maxRuns' | 'maxDuration' | 'maxGpus'>>;

export interface RunTable {
  /** Inserts a run unless its client token was used; 'quota' when the run quota has no room even after evicting. */
  insert(run: NewRun, maxRuns: number): Promise<IdempotentResult<RunRecord> | 'quota'>;
  get(id: string, account: AccountScope): Promise<RunRecord | undefined>;
  list(filter: RunFilter, page: PageRequest): Promise<RunRecord[]>;
  /** Runs in these statuses; with `owner`, only those that instance's executor runs (several instances share the store). */
  listInStatus(statuses: readonly RunStatus[], owner?: string): Promise<RunRecord[]>;
  /** Applies reported changes in order (late or backward ones are ignored) and the task updates. */
  applyTransitions(changes: RunTransition[], tasks: TaskUpdate[]): Promise<AppliedTransition[]>;
  /** Those of the runs that are CANCELLED (by any instance). */
  cancelledAmong(runIds: string[]): Promise<string[]>;
  /** Those of the runs an executor is running (STARTING, RUNNING, STOPPING), on any instance. */
  activeAmong(runIds: string[]): Promise<string[]>;
  /** Cancels each listed run that is still cancellable. */
  cancel(runIds: string[], at: number): Promise<{ runId: string; previous?: RunStatus; cancelled: boolean }[]>;
  delete(id: string): Promise<'deleted' | 'missing' | RunStatus>;
  /** Queued runs in start order (highest priority first, then oldest), skipping the given groups. */
  queued(limit: number, excludeGroups: string[]): Promise<RunRecord[]>;
  /** PENDING → STARTING for those of the runs still PENDING, recording `owner` as the instance that runs them; returns their ids. */
  markStarting(runIds: string[], owner?: string): Promise<string[]>;
  /** Active runs: `total` those of `owner` when given (each instance caps its own executor), `byGroup` over every instance. */
  countActive(owner?: string): Promise<{ total: number; byGroup: Map<string, number> }>;
  /** Tells `listener` of every run that became DELETED (by any path), once that is committed. */
  onDeleted(listener: (runId: string) => void): void;
  /** CPUs held by each run group's active runs: per run, the CPUs of its open tasks, at least 1. */
  activeCpusByGroup(): Promise<Map<string, number>>;
}

export interface TaskTable {
  list(runId: string, filter: { status?: TaskStatus }, page: PageRequest): Promise<TaskRecord[]>;
  get(runId: string, taskId: string): Promise<TaskRecord | undefined>;
}

export interface TagTable {
  get(type: TaggableType, id: string, account: string): Promise<Tags | undefined>;
  set(type: TaggableType, id: string, tags: Tags): Promise<boolean>;
}

export interface BatchTable {
  create(rec: NewBatch): Promise<IdempotentResult<BatchRecord>>;
  get(id: string, account: AccountScope): Promise<BatchRecord | undefined>;
  list(filter: BatchFilter, page: PageRequest): Promise<BatchRecord[]>;
  idsInStatus(statuses: readonly BatchStatus[]): Promise<string[]>;
  /** The batches in a status with their accounts only (no settings read or parsed): cheap to ask often. */
  ownersInStatus(status: BatchStatus): Promise<{ id: string; accountId: string }[]>;
  /** Applies a named transition of the batch state machine atomically. */
  transition(id: string, name: BatchTransitionName, args: BatchTransitionArgs): Promise<BatchTransitionResult>;
  /** Tells `listener` of every batch transition, wherever it was made, once it is committed. */
  onTransition(listener: (move: BatchMove) => void): void;
  /** Removes the batch record at once (only in a deletable status); its entries go later, through purgeDeleted. */
  delete(id: string): Promise<'deleted' | 'missing' | BatchStatus>;
  /** Deletes up to `limit` entries of deleted batches; false when none are left. */
  purgeDeleted(limit: number): Promise<boolean>;
}

/**
 * The event outbox (docs/events.md): every run and batch status change, committed with the change.
 * Each sink (a webhook, the events file) reads it from its own durable cursor.
 */
export interface EventTable {
  /** Up to `limit` events after `seq`, oldest first. */
  after(seq: number, limit: number): Promise<OutboxEvent[]>;
  /** Each sink's cursor; a sink not seen before starts at the newest event (it is not sent the past). */
  cursors(sinks: readonly string[]): Promise<Map<string, number>>;
  /** The sequence number of the newest event (0 when there is none). */
  newest(): Promise<number>;
  /** Records that `sink` delivered every event up to `seq`. */
  advance(sink: string, seq: number): Promise<void>;
  /** Forgets the cursors of sinks no longer configured, so they hold nothing back. */
  dropCursorsExcept(sinks: readonly string[]): Promise<string[]>;
  /** Deletes up to `limit` events every sink has delivered (all of them up to `upTo`); returns how many. */
  prune(upTo: number, limit: number): Promise<number>;
}

export interface OutboxEvent {
  seq: number;
  kind: 'run' | 'batch';
  resourceId: string;
  accountId: string;
  status: string;
  at: number;
  /** What the event says besides its status (docs/events.md): a batch as it was at the change, a run as it is now. */
  facts: Record<string, string | number | null>;
}

/** Figures for metrics, each a read of a few rows (kept by the store as the data changes). */
export interface StatsTable {
  /** Runs (or batches) per status, deleted ones included. */
  statusCounts(kind: 'run' | 'batch'): Promise<Map<string, number>>;
  /** Batch entries accepted but not yet submitted, over every batch. */
  submissionBacklog(): Promise<number>;
  /** A small read of the database: the store answers. */
  ping(): Promise<void>;
}

export interface BatchEntryTable {
  /** Removes every entry of a batch whose ingest starts again. */
  clear(batchId: string): Promise<void>;
  /**
   * Inserts entries, ignoring one whose runSettingId is already present (in the batch or earlier in
   * `entries`); returns how many were new and the seqs of those ignored, in order.
   */
  insert(batchId: string, entries: NewEntry[]): Promise<{ added: number; ignored: number[] }>;
  /** The seq under which each of `runSettingIds` is stored (the first entry of that id); ids not stored are absent. */
  firstSeqOf(batchId: string, runSettingIds: readonly string[]): Promise<Map<string, number>>;
  nextUnsubmitted(batchId: string, limit: number): Promise<NewEntry[]>;
  /**
   * Records start outcomes and creates the runs, only while the batch is SUBMITTING. The run quota is
   * checked in the same transaction as the inserts it guards: a run outcome past the room left is
   * recorded as `quota.failure` instead.
   */
  submit(batchId: string, outcomes: SubmissionOutcome[], at: number, quota: RunQuota): Promise<{ applied: boolean; runs: RunRecord[] }>;
  list(batchId: string, filter: EntryFilter, page: PageRequest): Promise<BatchEntryRecord[]>;
  /** One step of CancelRunBatch's walker; `done` once every entry has been looked at (the batch is then CANCELLED). */
  cancelStep(batchId: string, limit: number, at: number): Promise<{ done: boolean; cancelledActive: string[] }>;
  /** One step of DeleteRunBatch's walker; `done` once every run was handled (the batch is then RUNS_DELETED or RUNS_DELETE_FAILED). */
  deleteRunsStep(batchId: string, limit: number): Promise<{ done: boolean }>;
}

/** The account's "maximum runs" quota as one submission step applies it. */
export interface RunQuota {
  account: string;
  maxRuns: number;
  failure: { reason: string; message: string };
}

/** What a run's references are read through (workflow, its version and shares, run group, cache, configuration). */
export interface ReferenceStore {
  workflows: Pick<WorkflowTable, 'get'>;
  versions: Pick<WorkflowVersionTable, 'get'>;
  shares: Pick<ShareTable, 'activeFor'>;
  runGroups: Pick<RunGroupTable, 'get'>;
  runCaches: Pick<RunCacheTable, 'get'>;
  configurations: Pick<ConfigurationTable, 'get'>;
}

/** The few reads and writes the scheduler needs. */
export interface SchedulerStore extends ReferenceStore, StoreTiming {
  runs: Pick<RunTable, 'countActive' | 'activeCpusByGroup' | 'queued' | 'markStarting' | 'listInStatus'>;
  runGroups: Pick<RunGroupTable, 'get' | 'list'>;
  tasks: Pick<TaskTable, 'list'>;
}

/** What the run-event applier writes. */
export interface RunEventStore extends StoreTiming {
  runs: Pick<RunTable, 'applyTransitions'>;
}

/** What the batch pipeline (ingest, submission, walkers) reads and writes. */
export interface BatchPipelineStore extends ReferenceStore, StoreTiming {
  batches: Pick<BatchTable, 'get' | 'idsInStatus' | 'ownersInStatus' | 'transition' | 'purgeDeleted'>;
  entries: BatchEntryTable;
}

export type TaggableType = 'workflow' | 'run' | 'runGroup' | 'runBatch' | 'workflowVersion' | 'runCache' | 'configuration';
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
  account: string;
  name?: string;
  runGroupId?: string;
  batchId?: string;
  status?: RunStatus;
}

export interface BatchFilter {
  account: string;
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

export interface AppliedTransition {
  runId: string;
  status: RunStatus;
  previous: RunStatus;
}
