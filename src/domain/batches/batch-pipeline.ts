import type { Logger } from 'pino';
import type { Executor } from '../../executors/executor.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { ObjectChangedError, ObjectNotFoundError, parseS3Uri } from '../../objectstore/object-store.js';
import { LeaseLostError, type BatchEntryTable, type BatchPipelineStore, type NewEntry, type SubmissionOutcome } from '../../store/store.js';
import type { Coordinator } from '../cluster/coordinator.js';
import type { EventLoopShare } from '../event-loop-share.js';
import { ServiceError, validationError } from '../errors.js';
import { Loop } from '../loop.js';
import type { BatchRecord } from '../model.js';
import { runQuotaFailure } from '../quotas.js';
import { RunReferences } from '../runs/run-references.js';
import { BatchRunInput, InlineSetting } from '../run-settings.js';
import type { RunService } from '../runs/run-service.js';
import type { Scheduler } from '../runs/scheduler.js';
import type { StartRunRate } from '../cluster/start-run-rate.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseInput } from '../validation.js';
import { StepSizer } from '../step-sizer.js';
import { effectiveRunRequest } from './effective-settings.js';
import { BatchFailure, TRANSIENT, ingestBatch, settingsChanged } from './ingest.js';
import type { Telemetry } from '../telemetry.js';

/** Entries one submission turn reads (one byte-range read of a settings file); they commit in time-sized slices. */
const SUBMIT_CHUNK = 1000;
const WALK_CHUNK = 500;
const PURGE_CHUNK = 1000;
const INGEST_ATTEMPTS = 3;
const MAX_READ_BYTES = 16 * 1024 * 1024;

export interface BatchPipelineDeps {
  store: BatchPipelineStore;
  objects: ObjectStore;
  runs: RunService;
  scheduler: Scheduler;
  executor: Executor;
  rate: StartRunRate;
  /** Leases on each batch's work when several instances share the store. */
  coordinator: Coordinator;
  maxRuns: number;
  share: EventLoopShare;
  log: Logger;
  telemetry?: Telemetry;
}

/**
 * The asynchronous half of a batch (docs/batches.md): ingest (CREATING → PENDING → SUBMITTING, or
 * FAILED), submission at the StartRun rate (SUBMITTING → INPROGRESS), and the cancel and delete
 * walkers. Every step reads its work from the store and commits its result there, so a restart
 * resumes where the last commit was. With several instances on one store, a batch's work is done by
 * the instance holding its lease (`batch:<id>`), and each write of that work is fenced by the lease:
 * an instance that lost it (stalled past its lease, then resumed) writes nothing.
 */
export class BatchPipeline {
  private ingestLoop: Loop;
  private submitLoop: Loop;
  private walkLoop: Loop;
  private rotation = 0;
  private ingestFailures = new Map<string, number>();
  private slices: StepSizer;

  constructor(private deps: BatchPipelineDeps) {
    // An asynchronous store (PostgreSQL) holds the event loop only for this side's work: slices take their most.
    this.slices = deps.store.synchronous ? new StepSizer(10, 500) : StepSizer.fixed(500);
    this.ingestLoop = new Loop('batch-ingest', () => this.ingestStep(), deps.share, deps.log);
    this.submitLoop = new Loop('batch-submit', () => this.submitStep(), deps.share, deps.log);
    this.walkLoop = new Loop('batch-cancel-delete', () => this.walkStep(), deps.share, deps.log);
  }

  start() {
    this.ingestLoop.start();
    this.submitLoop.start();
    this.walkLoop.start();
  }

  wake() {
    this.ingestLoop.wake();
    this.submitLoop.wake();
    this.walkLoop.wake();
  }

  async stop() {
    await Promise.all([this.ingestLoop.stop(), this.submitLoop.stop(), this.walkLoop.stop()]);
  }

  private async ingestStep(): Promise<boolean> {
    const { store, coordinator } = this.deps;
    const now = Date.now();
    for (const id of await store.batches.idsInStatus(['CREATING'])) await store.batches.transition(id, 'beginIngest', { at: now });
    for (const id of await store.batches.idsInStatus(['PENDING'])) {
      if (!(await coordinator.claim(leaseOf(id)))) continue;
      await this.ingest(id);
      return true;
    }
    return false;
  }

  private async ingest(id: string) {
    const { store, log } = this.deps;
    const fence = <T>(fn: () => Promise<T>) => this.deps.coordinator.fence(leaseOf(id), fn);
    const batch = await store.batches.get(id, null);
    if (!batch || batch.status !== 'PENDING') return;
    try {
      const totalRuns = await ingestBatch(batch, fencedEntries(store.entries, fence), this.deps.objects, log, () => this.deps.share.turn(),
        (bytes) => this.deps.telemetry?.settingsBytesRead(bytes));
      if ((await fence(() => store.batches.transition(id, 'finishIngest', { at: Date.now(), totalRuns }))).moved) this.submitLoop.wake();
      this.ingestFailures.delete(id);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.info({ batchId: id }, 'another instance took over reading this batch');
      } else if (err instanceof BatchFailure) {
        await fence(() => store.batches.transition(id, 'fail', { at: Date.now(), failureReason: err.reason, failureDetail: err.message }));
      } else {
        const n = (this.ingestFailures.get(id) ?? 0) + 1;
        this.ingestFailures.set(id, n);
        log.warn({ err, batchId: id, attempt: n }, 'reading the batch run list failed');
        if (n >= INGEST_ATTEMPTS) {
          this.ingestFailures.delete(id);
          await fence(() => store.batches.transition(id, 'fail', { at: Date.now(), failureReason: TRANSIENT }));
        } else {
          await this.ingestLoop.sleep(500 * n);
        }
      }
    }
  }

  private async submitStep(): Promise<boolean> {
    const { store, rate } = this.deps;
    const owners = await store.batches.ownersInStatus('SUBMITTING');
    if (!owners.length) return false;
    // One chunk per turn and batches take turns, so a 100,000-run batch does not starve a small one.
    let waitMs = Infinity;
    let claimed = 0;
    for (let tried = 0; tried < owners.length; tried++) {
      const { id, accountId } = owners[this.rotation++ % owners.length];
      if (!(await this.deps.coordinator.claim(leaseOf(id)))) continue;
      claimed++;
      const batch = await store.batches.get(id, null);
      if (batch?.status !== 'SUBMITTING') continue;
      // Each account draws on its own StartRun bucket, for no more entries than the batch has left:
      // tokens held by the submitter are tokens a concurrent StartRun of the account cannot have.
      const want = Math.max(1, Math.min(SUBMIT_CHUNK, batch.submission.pendingStartSubmissionCount));
      const { granted, at, msUntilNext } = await rate.take(accountId, want);
      if (granted === 0) {
        this.deps.telemetry?.startRunThrottled('batch');
        waitMs = Math.min(waitMs, msUntilNext);
        continue;
      }
      let used = 0;
      try {
        used = await this.submitChunk(batch, granted, at);
      } catch (err) {
        if (!(err instanceof LeaseLostError)) throw err;
        this.deps.log.info({ batchId: id }, 'another instance took over submitting this batch');
      } finally {
        await rate.giveBack(accountId, granted - used);
      }
      return true;
    }
    // Every submitting batch is another instance's: look again after the poll period, not at once.
    if (!claimed) return false;
    if (waitMs < Infinity) await this.submitLoop.sleep(Math.max(5, waitMs));
    return true;
  }

  /**
   * Submits up to `limit` entries of one batch, admitted by StartRun tokens granted at `admittedAt`;
   * returns how many tokens it used.
   */
  private async submitChunk(batch: BatchRecord, limit: number, admittedAt: number): Promise<number> {
    const { store } = this.deps;
    const batchId = batch.id;
    const found = await store.entries.nextUnsubmitted(batchId, limit);
    if (!found.length) return 0;
    let entries: NewEntry[];
    let texts: string[];
    try {
      ({ entries, texts } = await this.entryTexts(batch, found));
    } catch (err) {
      if (!(err instanceof ObjectChangedError) && !(err instanceof ObjectNotFoundError)) throw err;
      // The settings file changed under a submitting batch: the runs already created stay, the rest never start.
      const actual = err instanceof ObjectChangedError ? err.actual : 'none (the object was deleted)';
      await this.deps.coordinator.fence(leaseOf(batchId), () =>
        store.batches.transition(batchId, 'fail', { at: Date.now(), failureReason: settingsChanged(batch.s3Etag, actual) }));
      return 0;
    }
    // The batch's account sees its own workflows and run groups only.
    const refs = new RunReferences(store, batch.accountId);
    let used = 0;
    while (used < entries.length) {
      // Each slice is its own transaction, sized to hold the event loop briefly; reads wait between them.
      if (used > 0) await this.deps.share.turn();
      const n = this.slices.size();
      const slice = entries.slice(used, used + n);
      const applied = await this.slices.measure(slice.length,
        () => this.submitSlice(batch, slice, texts.slice(used, used + n), refs, admittedAt));
      used += slice.length;
      if (!applied) break;
    }
    return used;
  }

  /** Submits these entries in one transaction; false when the batch stopped SUBMITTING (e.g. cancelled). */
  private async submitSlice(batch: BatchRecord, entries: NewEntry[], texts: string[], refs: RunReferences, admittedAt: number): Promise<boolean> {
    const { store, runs, maxRuns } = this.deps;
    const batchId = batch.id;
    const outcomes: SubmissionOutcome[] = [];
    for (const [i, e] of entries.entries()) {
      try {
        const setting = parseInput(InlineSetting, parseEntry(texts[i]));
        const request = parseInput(BatchRunInput, effectiveRunRequest(batch.defaultRunSetting, setting));
        const entry = { batchId, runSettingId: e.runSettingId, admittedAt };
        outcomes.push({ seq: e.seq, run: await runs.prepare(batch.accountId, request, refs, entry, batch.startedBy) });
      } catch (err) {
        // A store or system error (it carries a code: SQLITE_BUSY, ECONNRESET, …) is the step's, and the
        // step is retried; anything else that goes wrong with one entry fails that entry alone.
        if (typeof (err as { code?: unknown }).code === 'string') throw err;
        if (!(err instanceof ServiceError)) this.deps.log.error({ err, batchId, seq: e.seq, runSettingId: e.runSettingId }, 'a batch entry could not be submitted');
        outcomes.push({ seq: e.seq, failure: err instanceof ServiceError ? { reason: err.type, message: err.message }
          : { reason: 'InternalServerException', message: 'omicsd could not submit this run setting; see its log' } });
      }
    }
    const res = await this.deps.coordinator.fence(leaseOf(batchId), () =>
      store.entries.submit(batchId, outcomes, Date.now(), { account: batch.accountId, maxRuns, failure: runQuotaFailure(maxRuns) }));
    if (res.runs.length) this.deps.scheduler.wake();
    return res.applied;
  }

  /**
   * The JSON text of each entry. Inline entries carry it; settings-file entries are read back by byte
   * range from the object pinned to the ETag recorded at acceptance, at most MAX_READ_BYTES at a time.
   */
  private async entryTexts(batch: BatchRecord, found: NewEntry[]): Promise<{ entries: NewEntry[]; texts: string[] }> {
    if (found[0].setting !== undefined) return { entries: found, texts: found.map((e) => e.setting!) };
    const start = found[0].start!;
    let n = 1;
    while (n < found.length && found[n].end! - start <= MAX_READ_BYTES) n++;
    const entries = found.slice(0, n);
    const end = entries[n - 1].end!;
    const { body } = await this.deps.objects.read(parseS3Uri(batch.s3Uri!, 's3UriSettings'), { ifMatch: batch.s3Etag, range: { start, end } });
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c));
    const buf = Buffer.concat(chunks);
    if (buf.length !== end - start) throw new Error(`short read of ${batch.s3Uri}: ${buf.length} of ${end - start} bytes`);
    return { entries, texts: entries.map((e) => buf.toString('utf8', e.start! - start, e.end! - start)) };
  }

  /** One step of each cancel and delete walker, and of the purge of deleted batches' entries. */
  private async walkStep(): Promise<boolean> {
    const { store, executor, coordinator } = this.deps;
    let more = false;
    for (const id of await store.batches.idsInStatus(['STOPPING'])) {
      if (!(await coordinator.claim(leaseOf(id)))) continue;
      const step = await fenceOrSkip(() => coordinator.fence(leaseOf(id), () => store.entries.cancelStep(id, WALK_CHUNK, Date.now())));
      if (!step) continue;
      for (const runId of step.cancelledActive) executor.cancel(runId);
      if (step.cancelledActive.length) this.deps.scheduler.wake();
      more ||= !step.done;
    }
    for (const id of await store.batches.idsInStatus(['RUNS_DELETING'])) {
      if (!(await coordinator.claim(leaseOf(id)))) continue;
      const step = await fenceOrSkip(() => coordinator.fence(leaseOf(id), () => store.entries.deleteRunsStep(id, WALK_CHUNK)));
      more ||= step !== undefined && !step.done;
    }
    more ||= await store.batches.purgeDeleted(PURGE_CHUNK);
    return more;
  }
}

/** The lease that covers a batch's ingest, submission and walkers. */
const leaseOf = (batchId: string) => `batch:${batchId}`;

/** A fenced step's result, or undefined when another instance took the lease meanwhile. */
async function fenceOrSkip<T>(step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof LeaseLostError) return undefined;
    throw err;
  }
}

/** The entry writes of an ingest, each fenced by the batch's lease. */
function fencedEntries(entries: BatchEntryTable, fence: <T>(fn: () => Promise<T>) => Promise<T>): Pick<BatchEntryTable, 'clear' | 'insert' | 'firstSeqOf'> {
  return {
    clear: (batchId) => fence(() => entries.clear(batchId)),
    insert: (batchId, list) => fence(() => entries.insert(batchId, list)),
    firstSeqOf: (batchId, ids) => entries.firstSeqOf(batchId, ids),
  };
}

/** An entry's JSON; text that stopped being JSON, or nests too deeply, fails that entry alone. */
function parseEntry(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw validationError('The run setting is not valid JSON');
  }
  if (nestsDeeperThan(value)) throw validationError(`The run setting nests deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}
