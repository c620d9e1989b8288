import type { Logger } from 'pino';
import type { Executor } from '../../executors/executor.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import type { NewEntry, Store, SubmissionOutcome } from '../../store/store.js';
import { ObjectChangedError, parseS3Uri } from '../../objectstore/object-store.js';
import type { BatchRecord } from '../model.js';
import { BatchRunInput, InlineSetting } from '../../api/shapes.js';
import { parseInput } from '../../api/validation.js';
import { ServiceError, quotaExceeded, validationError } from '../errors.js';
import { Lookups } from '../lookups.js';
import { Loop } from '../loop.js';
import type { RunService } from '../runs.js';
import type { Scheduler } from '../scheduler.js';
import type { TokenBucket } from '../token-bucket.js';
import type { Turns } from '../turns.js';
import { effectiveRunRequest } from './effective-settings.js';
import { BatchFailure, TRANSIENT, ingestBatch, settingsChanged } from './ingest.js';

const SUBMIT_CHUNK = 200;
const OP_CHUNK = 500;
const PURGE_CHUNK = 1000;
const INGEST_ATTEMPTS = 3;
const MAX_READ_BYTES = 16 * 1024 * 1024;

export interface BatchEngineDeps {
  store: Store;
  objects: ObjectStore;
  runs: RunService;
  scheduler: Scheduler;
  executor: Executor;
  bucket: TokenBucket;
  maxRuns: number;
  turns: Turns;
  log: Logger;
}

/**
 * The asynchronous half of a batch: ingest (CREATING/PENDING → SUBMITTING or FAILED), submission at
 * the StartRun rate (SUBMITTING → INPROGRESS), and the cancel and delete walkers. Every step reads
 * its work from the store and commits its result there, so a restart resumes where the last commit was.
 */
export class BatchEngine {
  private ingestLoop: Loop;
  private submitLoop: Loop;
  private opsLoop: Loop;
  private rotation = 0;
  private ingestFailures = new Map<string, number>();

  constructor(private d: BatchEngineDeps) {
    this.ingestLoop = new Loop('batch-ingest', () => this.ingestStep(), d.turns, d.log);
    this.submitLoop = new Loop('batch-submit', () => this.submitStep(), d.turns, d.log);
    this.opsLoop = new Loop('batch-cancel-delete', () => this.opsStep(), d.turns, d.log);
  }

  start() {
    this.ingestLoop.start();
    this.submitLoop.start();
    this.opsLoop.start();
  }

  wake() {
    this.ingestLoop.wake();
    this.submitLoop.wake();
    this.opsLoop.wake();
  }

  async stop() {
    await Promise.all([this.ingestLoop.stop(), this.submitLoop.stop(), this.opsLoop.stop()]);
  }

  private async ingestStep(): Promise<boolean> {
    const { store, log } = this.d;
    for (const id of await store.batchIdsInStatus(['CREATING'])) await store.transitionBatch(id, ['CREATING'], 'PENDING');
    const [id] = await store.batchIdsInStatus(['PENDING']);
    if (!id) return false;
    const batch = await store.getBatch(id);
    if (!batch || batch.status !== 'PENDING') return true;
    try {
      const total = await ingestBatch(batch, store, this.d.objects, log);
      if (await store.finishIngest(id, total)) this.submitLoop.wake();
      this.ingestFailures.delete(id);
    } catch (err) {
      if (err instanceof BatchFailure) {
        await store.failBatch(id, ['PENDING'], err.message, Date.now());
      } else {
        const n = (this.ingestFailures.get(id) ?? 0) + 1;
        this.ingestFailures.set(id, n);
        log.warn({ err, batchId: id, attempt: n }, 'reading the batch run list failed');
        if (n >= INGEST_ATTEMPTS) {
          this.ingestFailures.delete(id);
          await store.failBatch(id, ['PENDING'], TRANSIENT, Date.now());
        } else {
          await this.ingestLoop.sleep(500 * n);
        }
      }
    }
    return true;
  }

  private async submitStep(): Promise<boolean> {
    const { store, bucket } = this.d;
    const ids = await store.batchIdsInStatus(['SUBMITTING']);
    if (!ids.length) return false;
    const granted = bucket.take(SUBMIT_CHUNK);
    if (granted === 0) {
      await this.submitLoop.sleep(Math.max(5, bucket.msUntilNext()));
      return true;
    }
    // One chunk per turn and batches take turns, so a 100,000-run batch does not starve a small one.
    const batchId = ids[this.rotation++ % ids.length];
    const used = await this.submitChunk(batchId, granted);
    bucket.giveBack(granted - used);
    return true;
  }

  /** Submits up to `limit` entries of one batch; returns how many StartRun tokens it used. */
  async submitChunk(batchId: string, limit: number): Promise<number> {
    const { store, runs, maxRuns } = this.d;
    const batch = await store.getBatch(batchId);
    if (!batch || batch.status !== 'SUBMITTING') return 0;
    const found = await store.nextUnsubmittedEntries(batchId, limit);
    if (!found.length) return 0;
    let entries: NewEntry[];
    let texts: string[];
    try {
      ({ entries, texts } = await this.entryTexts(batch, found));
    } catch (err) {
      const gone = (err as { type?: string }).type === 'ResourceNotFoundException';
      if (!(err instanceof ObjectChangedError) && !gone) throw err;
      // The settings file changed under a submitting batch: the runs already created stay, the rest never start.
      const actual = err instanceof ObjectChangedError ? err.actual : 'none (the object was deleted)';
      await store.failBatch(batchId, ['SUBMITTING'], settingsChanged(batch.s3Etag, actual), Date.now());
      return 0;
    }
    const lookups = new Lookups(store);
    let room = await store.reserveRunSlots(entries.length, maxRuns);
    const outcomes: SubmissionOutcome[] = [];
    for (const [i, e] of entries.entries()) {
      try {
        const setting = parseInput(InlineSetting, parseEntry(texts[i]));
        const request = parseInput(BatchRunInput, effectiveRunRequest(batch.defaultRunSetting, setting));
        const run = await runs.prepare(request, lookups, batchId);
        if (room <= 0) throw quotaExceeded(`The account already has the maximum of ${maxRuns} runs; delete runs to start more`);
        room--;
        outcomes.push({ seq: e.seq, run });
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        outcomes.push({ seq: e.seq, failure: { reason: err.type, message: err.message } });
      }
    }
    const res = await store.submitEntries(batchId, outcomes, Date.now());
    if (res.runs.length) this.d.scheduler.kick();
    return entries.length;
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
    const { body } = await this.d.objects.read(parseS3Uri(batch.s3Uri!, 's3UriSettings'), { ifMatch: batch.s3Etag, range: { start, end } });
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c));
    const buf = Buffer.concat(chunks);
    if (buf.length !== end - start) throw new Error(`short read of ${batch.s3Uri}: ${buf.length} of ${end - start} bytes`);
    return { entries, texts: entries.map((e) => buf.toString('utf8', e.start! - start, e.end! - start)) };
  }

  private async opsStep(): Promise<boolean> {
    const { store, executor } = this.d;
    let more = false;
    for (const id of await store.batchIdsInStatus(['STOPPING'])) {
      const step = await store.cancelBatchStep(id, OP_CHUNK, Date.now());
      for (const runId of step.cancelledActive) executor.cancel(runId);
      if (step.cancelledActive.length) this.d.scheduler.kick();
      more ||= !step.done;
    }
    for (const id of await store.batchIdsInStatus(['RUNS_DELETING'])) {
      const step = await store.deleteRunsStep(id, OP_CHUNK);
      more ||= !step.done;
    }
    more ||= await store.purgeDeletedBatches(PURGE_CHUNK);
    return more;
  }
}

/** An entry's JSON; text that stopped being JSON fails that entry alone. */
function parseEntry(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw validationError('The run setting is not valid JSON');
  }
}
