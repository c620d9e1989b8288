import { CANCELLABLE_RUN_STATUSES, type BatchEntryRecord, type RunRecord } from '../../domain/model.js';
import type { BatchEntryTable, EntryFilter, NewEntry, NewRun, PageRequest, RunQuota, SubmissionOutcome } from '../store.js';
import type { PgBatchState } from './batch-state.js';
import { idStr, isCanonicalId, opt, type Row } from '../sql-common.js';
import type { PgDatabase } from './database.js';
import type { PgRuns } from './runs.js';

/**
 * A batch's entries (one per runSettingId) and the three steps that walk them: submission, which
 * claims an entry in the same transaction that creates its run, and the cancel and delete walkers,
 * which advance a durable cursor on the batch.
 */
export class PgBatchEntries implements BatchEntryTable {
  constructor(private db: PgDatabase, private runs: PgRuns, private state: PgBatchState) {}

  async clear(batchId: string) {
    await this.db.prepared('DELETE FROM batch_entries WHERE batch_id = ?').run(batchId);
  }

  async insert(batchId: string, entries: NewEntry[]) {
    if (!entries.length) return { added: 0, ignored: [] };
    // One statement per chunk. The unique (batch_id, run_setting_id) index finds duplicates: rows are
    // inserted in order, so the first entry of an id is kept and a later one (in the batch or this
    // chunk) is skipped; the seqs not returned were duplicates.
    const inserted = await this.db.prepared(`INSERT INTO batch_entries (batch_id, seq, run_setting_id, setting, byte_start, byte_end)
        SELECT ?::bigint, u.seq, u.rsid, u.setting, u.bs, u.be FROM unnest(?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::bigint[]) WITH ORDINALITY AS u(seq, rsid, setting, bs, be, n)
        ORDER BY u.n ON CONFLICT DO NOTHING RETURNING seq`).pluck().all(batchId, entries.map((e) => e.seq), entries.map((e) => e.runSettingId),
      entries.map((e) => e.setting ?? null), entries.map((e) => e.start ?? null), entries.map((e) => e.end ?? null)) as number[];
    const added = new Set(inserted);
    return { added: added.size, ignored: entries.filter((e) => !added.has(e.seq)).map((e) => e.seq) };
  }

  async firstSeqOf(batchId: string, runSettingIds: readonly string[]) {
    const found = new Map<string, number>();
    if (!runSettingIds.length) return found;
    // One statement for any number of ids: the list goes in as one array parameter.
    const rows = await this.db.prepared(`SELECT run_setting_id, seq FROM batch_entries
                   WHERE batch_id = ? AND run_setting_id = ANY(?::text[])`).all(batchId, [...runSettingIds]) as Row[];
    for (const r of rows) found.set(r.run_setting_id, r.seq);
    return found;
  }

  async nextUnsubmitted(batchId: string, limit: number) {
    const rows = await this.db.prepared(`SELECT seq, run_setting_id, setting, byte_start, byte_end FROM batch_entries
                   WHERE batch_id = ? AND submission_status IS NULL ORDER BY seq LIMIT ?`).all(batchId, limit) as Row[];
    return rows.map((r): NewEntry => ({ seq: r.seq, runSettingId: r.run_setting_id, setting: opt(r.setting), start: opt(r.byte_start), end: opt(r.byte_end) }));
  }

  async submit(batchId: string, outcomes: SubmissionOutcome[], at: number, quota: RunQuota) {
    return this.db.transaction(async () => {
      const b = await this.db.prepared('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'SUBMITTING') return { applied: false, runs: [] as RunRecord[] };
      const wanted = outcomes.filter((o) => 'run' in o).length;
      // The quota is read and the runs inserted in this one transaction: no other writer can take the room meanwhile.
      let room = wanted ? await this.runs.makeRoom(quota.account, wanted, quota.maxRuns) : 0;
      let nextId = room ? await this.db.nextIds('run', room) : 0;
      // Outcomes in order: failures (and runs past the quota's room) then successes, each one statement.
      const failures: { seq: number; reason: string; message: string }[] = [];
      const planned: { seq: number; run: NewRun; id: number }[] = [];
      for (const o of outcomes) {
        const failure = 'failure' in o ? o.failure : room <= 0 ? quota.failure : undefined;
        if (failure) {
          failures.push({ seq: o.seq, ...failure });
          continue;
        }
        planned.push({ seq: o.seq, run: (o as { run: NewRun }).run, id: nextId++ });
        room--;
      }
      const failed = failures.length ? (await this.db.prepared(`UPDATE batch_entries e SET submission_status = 'FAILED', failure_reason = u.reason, failure_message = u.message
          FROM unnest(?::bigint[], ?::text[], ?::text[]) AS u(seq, reason, message)
          WHERE e.batch_id = ? AND e.seq = u.seq AND e.submission_status IS NULL`)
        .run(failures.map((f) => f.seq), failures.map((f) => f.reason), failures.map((f) => f.message), batchId)).changes : 0;
      // The entries are claimed in the same transaction that creates their runs: a replay after a crash finds them taken.
      const claimed = new Set(planned.length ? await this.db.prepared(`UPDATE batch_entries e SET submission_status = 'SUCCESS', run_id = u.run_id, run_uuid = u.uuid
          FROM unnest(?::bigint[], ?::bigint[], ?::text[]) AS u(seq, run_id, uuid)
          WHERE e.batch_id = ? AND e.seq = u.seq AND e.submission_status IS NULL RETURNING e.seq`).pluck()
        .all(planned.map((x) => x.seq), planned.map((x) => x.id), planned.map((x) => x.run.uuid), batchId) as number[] : []);
      const runs = await this.runs.insertRows(planned.filter((x) => claimed.has(x.seq)));
      const ok = runs.length;
      await this.db.prepared(`UPDATE batches SET start_ok = start_ok + ?, start_failed = start_failed + ?, start_pending = start_pending - ?, runs_pending = runs_pending + ? WHERE id = ?`)
        .run(ok, failed, ok + failed, ok, batchId);
      await this.runs.addLiveRuns(quota.account, ok);
      if ((await this.state.apply(batchId, 'allSubmitted', { at })).moved) await this.state.apply(batchId, 'allRunsFinished', { at });
      return { applied: true, runs };
    });
  }

  async list(batchId: string, filter: EntryFilter, page: PageRequest) {
    // Each filter has its own index, so a page costs the same at the end of a 100,000-entry batch as at the start.
    if (filter.runId !== undefined && !isCanonicalId(filter.runId)) return [];
    const where = filter.submissionStatus ? 'submission_status = @status'
      : filter.runSettingId ? 'run_setting_id = @rsid'
      : filter.runId ? 'run_id = @runId'
      : 'submission_status IS NOT NULL';
    const rows = await this.db.prepared(`SELECT seq, run_setting_id, submission_status, run_id, run_uuid, failure_reason, failure_message
        FROM batch_entries WHERE batch_id = @batchId AND seq > @after AND ${where}
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
  private async entriesWithRuns(batchId: string, limit: number) {
    const cursor = (await this.db.prepared('SELECT op_cursor FROM batches WHERE id = ?').get(batchId) as Row).op_cursor as number;
    return await this.db.prepared(`SELECT e.seq, e.run_id, e.submission_status, r.status AS run_status FROM batch_entries e LEFT JOIN runs r ON r.id = e.run_id
                   WHERE e.batch_id = ? AND e.seq >= ? AND e.run_id IS NOT NULL ORDER BY e.seq LIMIT ?`).all(batchId, cursor, limit) as Row[];
  }

  private async advanceCursor(batchId: string, rows: Row[], counters: string, ok: number, failed: number) {
    const cursor = rows.length ? rows[rows.length - 1].seq + 1 : 0;
    await this.db.prepared(`UPDATE batches SET ${counters}, op_cursor = GREATEST(op_cursor, ?) WHERE id = ?`).run(ok, failed, cursor, batchId);
  }

  async cancelStep(batchId: string, limit: number, at: number) {
    return this.db.transaction(async () => {
      const b = await this.db.prepared('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'STOPPING') return { done: true, cancelledActive: [] as string[] };
      const rows = await this.entriesWithRuns(batchId, limit);
      const cancelledActive: string[] = [];
      let ok = 0;
      let failed = 0;
      for (const e of rows) {
        if (e.submission_status !== 'SUCCESS' || !CANCELLABLE_RUN_STATUSES.includes(e.run_status)) continue;
        const res = await this.runs.cancelRow(e.run_id, at);
        if (res.cancelled) {
          ok++;
          await this.db.prepared(`UPDATE batch_entries SET submission_status = 'CANCEL_SUCCESS' WHERE batch_id = ? AND seq = ?`).run(batchId, e.seq);
          if (res.previous !== 'PENDING') cancelledActive.push(String(e.run_id));
        } else {
          failed++;
          await this.db.prepared(`UPDATE batch_entries SET submission_status = 'CANCEL_FAILED', failure_reason = 'ConflictException', failure_message = ? WHERE batch_id = ? AND seq = ?`)
            .run(`Run ${e.run_id} is in status ${res.previous ?? 'DELETED'} and cannot be cancelled`, batchId, e.seq);
        }
      }
      await this.advanceCursor(batchId, rows, 'cancel_ok = cancel_ok + ?, cancel_failed = cancel_failed + ?', ok, failed);
      const done = rows.length < limit;
      if (done) await this.state.apply(batchId, 'cancelWalked', { at });
      return { done, cancelledActive };
    });
  }

  async deleteRunsStep(batchId: string, limit: number) {
    return this.db.transaction(async () => {
      const b = await this.db.prepared('SELECT status FROM batches WHERE id = ?').get(batchId) as Row | undefined;
      if (!b || b.status !== 'RUNS_DELETING') return { done: true };
      const rows = await this.entriesWithRuns(batchId, limit);
      let ok = 0;
      let failed = 0;
      for (const e of rows) {
        if (e.submission_status === 'DELETE_SUCCESS') continue;
        const res = await this.runs.deleteRow(e.run_id);
        if (res === 'deleted' || res === 'missing') {
          ok++;
          await this.db.prepared(`UPDATE batch_entries SET submission_status = 'DELETE_SUCCESS', failure_reason = NULL, failure_message = NULL WHERE batch_id = ? AND seq = ?`).run(batchId, e.seq);
        } else {
          failed++;
          await this.db.prepared(`UPDATE batch_entries SET submission_status = 'DELETE_FAILED', failure_reason = 'ConflictException', failure_message = ? WHERE batch_id = ? AND seq = ?`)
            .run(`Run ${e.run_id} is in status ${res} and cannot be deleted`, batchId, e.seq);
        }
      }
      await this.advanceCursor(batchId, rows, 'delete_ok = delete_ok + ?, delete_failed = delete_failed + ?', ok, failed);
      const done = rows.length < limit;
      if (done) {
        const at = Date.now();
        if (!(await this.state.apply(batchId, 'runsDeleteFailed', { at })).moved) await this.state.apply(batchId, 'runsDeleted', { at });
      }
      return { done };
    });
  }
}
