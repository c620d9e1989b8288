import { createHmac } from 'node:crypto';
import { failureCategory } from '../domain/batches/ingest.js';
import { arnOf, versionArnOf } from '../domain/ids.js';
import type { OutboxEvent } from '../store/store.js';

/** An event as EventBridge delivers it (docs/events.md). */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': 'RunBatch Status Change' | 'Run Status Change';
  source: 'aws.omics';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, string>;
}

/**
 * An outbox event as the sinks see it: the key they keep in order (its batch, else its run), and its
 * EventBridge form and JSON text, each made once, when a sink first asks (the metrics never do).
 */
export class FormattedEvent {
  private made: EventBridgeEvent | undefined;
  private text: string | undefined;

  constructor(readonly source: OutboxEvent, private formatter: EventFormatter) {}

  get seq() {
    return this.source.seq;
  }

  get orderKey() {
    const e = this.source;
    if (e.kind === 'batch') return `batch:${e.resourceId}`;
    return e.facts.batchId != null ? `batch:${e.facts.batchId}` : `run:${e.resourceId}`;
  }

  get event(): EventBridgeEvent {
    return (this.made ??= this.formatter.build(this.source));
  }

  get json(): string {
    return (this.text ??= JSON.stringify(this.event));
  }
}

/** Members whose value is present, as strings (EventBridge's HealthOmics details are all strings). */
function strings(members: Record<string, string | number | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(members)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

/**
 * Turns outbox rows into EventBridge events.
 */
export class EventFormatter {
  constructor(private region: string, private idSecret: string) {}

  /**
   * An HMAC of what the event is (its place in the outbox, resource, status and time) under the
   * store's secret, in UUID v4 layout: a redelivered event keeps its id, and an event that took the
   * place of one lost with the last commits before a power loss gets another.
   */
  eventId(e: Pick<OutboxEvent, 'seq' | 'kind' | 'resourceId' | 'status' | 'at'>): string {
    const h = createHmac('sha256', this.idSecret).update(`${e.seq}:${e.kind}:${e.resourceId}:${e.status}:${e.at}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  format(e: OutboxEvent): FormattedEvent {
    return new FormattedEvent(e, this);
  }

  build(e: OutboxEvent): EventBridgeEvent {
    const ctx = { region: this.region, accountId: e.accountId };
    const f = e.facts;
    const time = new Date(e.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const base = { version: '0' as const, id: this.eventId(e), source: 'aws.omics' as const, account: e.accountId, time, region: this.region };
    if (e.kind === 'batch') {
      const arn = arnOf(ctx, 'runBatch', e.resourceId);
      // A shared workflow's ARNs name the account that owns it (docs/shares.md).
      const owner = { region: this.region, accountId: f.workflowOwnerId != null ? String(f.workflowOwnerId) : e.accountId };
      const failed = e.status === 'FAILED' && f.failureReason != null;
      const detail = strings({
        omicsVersion: '1.0.0', arn, batchId: e.resourceId, status: e.status, uuid: f.uuid, batchName: f.name, totalRuns: f.totalRuns,
        failureReason: failed ? failureCategory(String(f.failureReason)) : undefined,
        failureMessage: failed ? (f.failureDetail ?? f.failureReason) : undefined,
        successfulStartSubmissionCount: f.startOk, failedStartSubmissionCount: f.startFailed, pendingStartSubmissionCount: f.startPending,
        pendingRunCount: f.pending, startingRunCount: f.starting, runningRunCount: f.running, stoppingRunCount: f.stopping,
        completedRunCount: f.completed, failedRunCount: f.failed, cancelledRunCount: f.cancelled, deletedRunCount: f.deleted,
        workflowId: f.workflowId, workflowArn: f.workflowId != null ? arnOf(owner, 'workflow', f.workflowId) : undefined,
        workflowVersionArn: f.workflowId != null && f.workflowVersionName != null ? versionArnOf(owner, String(f.workflowId), String(f.workflowVersionName)) : undefined,
        workflowOwnerId: f.workflowOwnerId ?? undefined,
        runCache: f.cacheId != null ? `arn:aws:omics:${this.region}:${e.accountId}:runCache/${f.cacheId}` : undefined,
        runCacheBehavior: f.cacheId != null ? f.cacheBehavior : undefined,
      });
      return { ...base, 'detail-type': 'RunBatch Status Change', resources: [arn], detail };
    }
    const arn = arnOf(ctx, 'run', e.resourceId);
    // The documented members (omicsVersion, arn, status), then omicsd's own: which batch entry made
    // the run, and why it failed.
    const detail = strings({
      omicsVersion: '1.0.0', arn, status: e.status, runId: e.resourceId, runName: f.name, workflowId: f.workflowId, runGroupId: f.runGroupId,
      batchId: f.batchId, runSettingId: f.runSettingId,
      failureReason: e.status === 'FAILED' ? f.failureReason : undefined, statusMessage: e.status === 'FAILED' ? f.statusMessage : undefined,
    });
    return { ...base, 'detail-type': 'Run Status Change', resources: [arn], detail };
  }
}
