import { CANCELLABLE_RUN_STATUSES, type BatchEntryRecord, type RunRecord } from '../../domain/model.js';
import type { BatchEntryTable, EntryFilter, NewEntry, NewRun, PageRequest, RunQuota, SubmissionOutcome } from '../store.js';
import type { SqliteBatchState } from './batch-state.js';
import { idStr, opt, type Row } from '../sql-common.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteRuns } from './runs.js';

/**
 * A batch's entries (one per runSettingId) and the three steps that walk them: submission, which
 * claims an entry in the same transaction that creates its run, and the cancel and delete walkers,
 * which advance a durable cursor on the batch.
 */
export class SqliteBatchEntries implements BatchEntryTable {
  constructor(private db: SqliteDatabase, private runs: SqliteRuns, private state: SqliteBatchState) {}

  async clear(batchId: string) {
    this.db.prepared('DELETE FROM batch_entries WHERE batch_id = ?').run(batchId);
  }

  async insert(batchId: string, entries: NewEntry[]) {
    return this.db.transaction(() => {
      const ins = this.db.prepared('INSERT OR IGNORE INTO batch_entries (batch_id, seq, run_setting_id, setting, byte_start, byte_end) VALUES (?, ?, ?, ?, ?, ?)');
      let added = 0;
      const ignored: number[] = [];
      for (const e of entries) {
        // The unique (batch_id, run_setting_id) index finds duplicates: an insert that changed nothing was one.
        if (ins.run(batchId, e.seq, e.runSettingId, e.setting ?? null, e.start ?? null, e.end ?? null).changes) added++;
        else ignored.push(e.seq);
      }
      return { added, ignored };
    });
  }

  async firstSeqOf(batchId: string, runSettingIds: readonly string[]) {
    const found = new Map<string, number>();
    if (!runSettingIds.length) return found;
    // One statement for any number of ids: the list goes in as a JSON array (no bound-variable limit).
    const rows = this.db.prepared(`SELECT run_setting_id, seq FROM batch_entries INDEXED BY batch_entries_setting
                   WHERE batch_id = ? AND run_setting_id IN (SELECT value FROM json_each(?))`).all(batchId, JSON.stringify(runSettingIds)) as Row[];
    for (const r of rows) found.set(r.run_setting_id, r.seq);
    return found;
  }

  async nextUnsubmitted(batchId: string, limit: number) {
    const rows = this.db.prepared(`SELECT seq, run_setting_id, setting, byte_start, byte_end FROM batch_entries INDEXED BY batch_entries_status
                   WHERE batch_id = ? AND submission_status IS NULL ORDER BY seq LIMIT ?`).all(batchId, limit) as Row[];
    return rows.map((r): NewEntry => ({ seq: r.seq, runSettingId: r.run_setting_id, setting: opt(r.setting), start: opt(r.byte_start), end: opt(r.byte_end) }));
  }

  async submit(batchId: string, outcomes: SubmissionOutcome[], at: number, quota: RunQuota) {
    return this.db.transaction(() => {
      const b = this.db.prepared('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'SUBMITTING') return { applied: false, runs: [] as RunRecord[] };
      const wanted = outcomes.filter((o) => 'run' in o).length;
      // The quota is read and the runs inserted in this one transaction: no other writer can take the room meanwhile.
      let room = wanted ? this.runs.makeRoom(quota.account, wanted, quota.maxRuns) : 0;
      let nextId = room ? this.db.nextIds('run', room) : 0;
      const runs: RunRecord[] = [];
      const markOk = this.db.prepared(`UPDATE batch_entries SET submission_status = 'SUCCESS', run_id = ?, run_uuid = ? WHERE batch_id = ? AND seq = ? AND submission_status IS NULL`);
      const markFailed = this.db.prepared(`UPDATE batch_entries SET submission_status = 'FAILED', failure_reason = ?, failure_message = ? WHERE batch_id = ? AND seq = ? AND submission_status IS NULL`);
      let ok = 0;
      let failed = 0;
      for (const o of outcomes) {
        const failure = 'failure' in o ? o.failure : room <= 0 ? quota.failure : undefined;
        if (failure) {
          failed += markFailed.run(failure.reason, failure.message, batchId, o.seq).changes;
          continue;
        }
        const run = (o as { run: NewRun }).run;
        // The entry is claimed in the same transaction that creates its run: a replay after a crash finds it taken.
        if (markOk.run(nextId, run.uuid, batchId, o.seq).changes === 0) continue;
        runs.push(this.runs.insertRow(run, nextId++));
        room--;
        ok++;
      }
      this.db.prepared(`UPDATE batches SET start_ok = start_ok + ?, start_failed = start_failed + ?, start_pending = start_pending - ?, runs_pending = runs_pending + ? WHERE id = ?`)
        .run(ok, failed, ok + failed, ok, batchId);
      this.runs.addLiveRuns(quota.account, ok);
      if (this.state.apply(batchId, 'allSubmitted', { at }).moved) this.state.apply(batchId, 'allRunsFinished', { at });
      return { applied: true, runs };
    });
  }

  async list(batchId: string, filter: EntryFilter, page: PageRequest) {
    // Each filter has its own index, so a page costs the same at the end of a 100,000-entry batch as at the start.
    const [index, where] = filter.submissionStatus ? ['batch_entries_status', 'submission_status = @status']
      : filter.runSettingId ? ['batch_entries_setting', 'run_setting_id = @rsid']
      : filter.runId ? ['batch_entries_run', 'run_id = @runId']
      : ['', 'submission_status IS NOT NULL'];
    const rows = this.db.prepared(`SELECT seq, run_setting_id, submission_status, run_id, run_uuid, failure_reason, failure_message
        FROM batch_entries ${index ? `INDEXED BY ${index}` : ''} WHERE batch_id = @batchId AND seq > @after AND ${where}
        ORDER BY seq LIMIT @limit`).all({
      batchId, after: page.after ?? -1, limit: page.limit, status: filter.submissionStatus ?? null,
      rsid: filter.runSettingId ?? null, runId: filter.runId ?? null,
    }) as Row[];
    return rows.map((r): BatchEntryRecord => ({
      seq: r.seq, runSettingId: r.run_setting_id, submissionStatus: r.submission_status, runId: idStr(r.run_id), runUuid: opt(r.run_uuid),
      failureReason: opt(r.failure_reason), failureMessage: opt(r.failure_message),
    }));
  }

  /** Entries at or after the batch's walker cursor that got a run, with the run's status. */
  private entriesWithRuns(batchId: string, limit: number) {
    const cursor = (this.db.prepared('SELECT op_cursor FROM batches WHERE id = ?').get(batchId) as Row).op_cursor as number;
    return this.db.prepared(`SELECT e.seq, e.run_id, e.submission_status, r.status AS run_status FROM batch_entries e LEFT JOIN runs r ON r.id = e.run_id
                   WHERE e.batch_id = ? AND e.seq >= ? AND e.run_id IS NOT NULL ORDER BY e.seq LIMIT ?`).all(batchId, cursor, limit) as Row[];
  }

  private advanceCursor(batchId: string, rows: Row[], counters: string, ok: number, failed: number) {
    const cursor = rows.length ? rows[rows.length - 1].seq + 1 : 0;
    this.db.prepared(`UPDATE batches SET ${counters}, op_cursor = max(op_cursor, ?) WHERE id = ?`).run(ok, failed, cursor, batchId);
  }

  async cancelStep(batchId: string, limit: number, at: number) {
    return this.db.transaction(() => {
      const b = this.db.prepared('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'STOPPING') return { done: true, cancelledActive: [] as string[] };
      const rows = this.entriesWithRuns(batchId, limit);
      const cancelledActive: string[] = [];
      let ok = 0;
      let failed = 0;
      for (const e of rows) {
        if (e.submission_status !== 'SUCCESS' || !CANCELLABLE_RUN_STATUSES.includes(e.run_status)) continue;
        const res = this.runs.cancelRow(e.run_id, at);
        if (res.cancelled) {
          ok++;
          this.db.prepared(`UPDATE batch_entries SET submission_status = 'CANCEL_SUCCESS' WHERE batch_id = ? AND seq = ?`).run(batchId, e.seq);
          if (res.previous !== 'PENDING') cancelledActive.push(String(e.run_id));
        } else {
          failed++;
          this.db.prepared(`UPDATE batch_entries SET submission_status = 'CANCEL_FAILED', failure_reason = 'ConflictException', failure_message = ? WHERE batch_id = ? AND seq = ?`)
            .run(`Run ${e.run_id} is in status ${res.previous ?? 'DELETED'} and cannot be cancelled`, batchId, e.seq);
        }
      }
      this.advanceCursor(batchId, rows, 'cancel_ok = cancel_ok + ?, cancel_failed = cancel_failed + ?', ok, failed);
      const done = rows.length < limit;
      if (done) this.state.apply(batchId, 'cancelWalked', { at });
      return { done, cancelledActive };
    });
  }

  async deleteRunsStep(batchId: string, limit: number) {
    return this.db.transaction(() => {
      const b = this.db.prepared('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'RUNS_DELETING') return { done: true };
      const rows = this.entriesWithRuns(batchId, limit);
      let ok = 0;
      let failed = 0;
      for (const e of rows) {
        if (e.submission_status === 'DELETE_SUCCESS') continue;
        const res = this.runs.deleteRow(e.run_id);
        if (res === 'deleted' || res === 'missing') {
          ok++;
          this.db.prepared(`UPDATE batch_entries SET submission_status = 'DELETE_SUCCESS', failure_reason = NULL, failure_message = NULL WHERE batch_id = ? AND seq = ?`).run(batchId, e.seq);
        } else {
          failed++;
          this.db.prepared(`UPDATE batch_entries SET submission_status = 'DELETE_FAILED', failure_reason = 'ConflictException', failure_message = ? WHERE batch_id = ? AND seq = ?`)
            .run(`Run ${e.run_id} is in status ${res} and cannot be deleted`, batchId, e.seq);
        }
      }
      this.advanceCursor(batchId, rows, 'delete_ok = delete_ok + ?, delete_failed = delete_failed + ?', ok, failed);
      const done = rows.length < limit;
      if (done) {
        const at = Date.now();
        if (!this.state.apply(batchId, 'runsDeleteFailed', { at }).moved) this.state.apply(batchId, 'runsDeleted', { at });
      }
      return { done };
    });
  }
}
