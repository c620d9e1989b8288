import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Telemetry } from '../domain/telemetry.js';
import type { FormattedEvent } from '../events/envelope.js';
import type { EventSink } from '../events/event-sink.js';
import type { StatsTable } from '../store/store.js';

/** A run's final statuses (a later DELETED is not a second end). */
const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * omicsd's Prometheus metrics (docs/operations.md, "Health and metrics"). A scrape reads a few rows the store
 * keeps current (status counts, the submission backlog), never the runs themselves; run creations
 * and durations come from the event stream, as an in-process sink of the outbox relay.
 */
export class ServiceMetrics implements Telemetry, EventSink {
  readonly name = 'metrics';
  readonly durable = false;
  readonly registry = new Registry();
  private http: Histogram<'operation' | 'code'>;
  private submitted: Counter;
  private durations: Histogram<'workflow_id' | 'status'>;
  private throttled: Counter<'source'>;
  private ingestBytes: Counter;
  private webhookAttempts: Counter<'result'>;
  /** The outbox relay's backlog per sink, once it is running. */
  sinkBacklog: (() => Promise<Map<string, number>>) | undefined;

  constructor(stats: StatsTable) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const byStatus = (name: string, help: string, kind: 'run' | 'batch') => new Gauge({
      name, help, labelNames: ['status'], registers,
      async collect() {
        const counts = await stats.statusCounts(kind);
        this.reset();
        for (const [status, n] of counts) this.set({ status }, n);
      },
    });
    byStatus('omicsd_runs', 'Runs stored, by status (deleted runs are kept as DELETED)', 'run');
    byStatus('omicsd_batches', 'Batches stored, by status', 'batch');
    new Gauge({
      name: 'omicsd_batch_submission_backlog', help: 'Batch entries accepted but not yet submitted as runs, over all submitting batches', registers,
      async collect() {
        this.set(await stats.submissionBacklog());
      },
    });
    this.submitted = new Counter({ name: 'omicsd_runs_submitted_total', help: 'Runs created (by StartRun or a batch) since omicsd started', registers });
    this.durations = new Histogram({
      name: 'omicsd_run_duration_seconds', help: 'Time from a run\'s start to its end, by workflow and final status', labelNames: ['workflow_id', 'status'], registers,
      buckets: [10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200],
    });
    this.http = new Histogram({
      name: 'omicsd_http_request_duration_seconds', help: 'API requests, by operation and HTTP status code', labelNames: ['operation', 'code'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    });
    this.throttled = new Counter({
      name: 'omicsd_start_run_throttled_total', help: 'StartRun tokens not available: StartRun calls refused (source=StartRun), batch submission steps made to wait (source=batch)',
      labelNames: ['source'], registers,
    });
    this.ingestBytes = new Counter({ name: 'omicsd_batch_ingest_bytes_total', help: 'Bytes of run settings read while ingesting batches', registers });
    const metrics = this;
    new Gauge({
      name: 'omicsd_event_sink_backlog', help: 'Events made but not yet taken by a sink (the events file, each webhook); they stay in the store until taken',
      labelNames: ['sink'], registers,
      async collect() {
        this.reset();
        for (const [sink, n] of (await metrics.sinkBacklog?.()) ?? []) this.set({ sink }, n);
      },
    });
    this.webhookAttempts = new Counter({ name: 'omicsd_event_webhook_attempts_total', help: 'Event POSTs to webhooks, by result (delivered, failed)', labelNames: ['result'], registers });
  }

  observeRequest(operation: string, code: number, seconds: number) {
    this.http.observe({ operation, code: String(code) }, seconds);
  }

  webhookAttempt(ok: boolean) {
    this.webhookAttempts.inc({ result: ok ? 'delivered' : 'failed' });
  }

  startRunThrottled(source: 'StartRun' | 'batch') {
    this.throttled.inc({ source });
  }

  settingsBytesRead(bytes: number) {
    this.ingestBytes.inc(bytes);
  }

  async deliver(events: FormattedEvent[]) {
    for (const { source: e } of events) {
      if (e.kind !== 'run') continue;
      // A run is PENDING only when it is created.
      if (e.status === 'PENDING') this.submitted.inc();
      else if (FINAL.has(e.status) && e.facts.startTime != null && e.facts.stopTime != null) {
        this.durations.observe({ workflow_id: String(e.facts.workflowId), status: e.status }, (Number(e.facts.stopTime) - Number(e.facts.startTime)) / 1000);
      }
    }
  }

  metrics() {
    return this.registry.metrics();
  }

  get contentType() {
    return this.registry.contentType;
  }
}
