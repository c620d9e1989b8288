import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { PageTokens } from './api/pagination.js';
import { BatchPipeline } from './domain/batches/batch-pipeline.js';
import { BatchService } from './domain/batches/batch-service.js';
import { EventLoopShare } from './domain/event-loop-share.js';
import { ACTIVE_RUN_STATUSES, isTerminalRunStatus } from './domain/model.js';
import { logBatchLifecycle, logRunFailures } from './domain/lifecycle-log.js';
import { RunEventApplier } from './domain/runs/run-events.js';
import { RunGroupService } from './domain/runs/run-group-service.js';
import { RunService } from './domain/runs/run-service.js';
import { Scheduler } from './domain/runs/scheduler.js';
import { TagService } from './domain/tag-service.js';
import { WorkflowService } from './domain/workflows/workflow-service.js';
import { WorkflowVersionService } from './domain/workflows/version-service.js';
import { RunCacheService } from './domain/caches/run-cache-service.js';
import { ConfigurationService } from './domain/configurations/configuration-service.js';
import { ShareService } from './domain/shares/share-service.js';
import { LinkSigner } from './api/links.js';
import { parseS3Uri } from './objectstore/object-store.js';
import type { Executor } from './executors/executor.js';
import { createLocalExecutor } from './executors/local/index.js';
import { SimulatedExecutor } from './executors/simulated.js';
import { createSlurmExecutor, slurmTools } from './executors/slurm/index.js';
import { EventFormatter } from './events/envelope.js';
import type { EventSink } from './events/event-sink.js';
import { FileSink } from './events/file-sink.js';
import { OutboxRelay } from './events/outbox-relay.js';
import { WebhookSink } from './events/webhook-sink.js';
import { ServiceMetrics } from './metrics/service-metrics.js';
import { createObjectStore } from './objectstore/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { instanceIdOf } from './instance-id.js';
import { Coordinator } from './domain/cluster/coordinator.js';
import { LocalStartRunRate, SharedStartRunRate } from './domain/cluster/start-run-rate.js';
import { RunTakeover } from './domain/cluster/run-takeover.js';
import { CancelFollower } from './domain/cluster/cancel-follower.js';
import { buildApp } from './server/app.js';
import { assertCanListen } from './server/port-check.js';
import { prepareSecurity, type EdgeSecurity } from './server/security.js';
import { openStore, redact } from './store/open-store.js';
import type { Store } from './store/store.js';
import type { Services } from './api/route.js';

const VERSION = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The whole service: store, batch pipeline, scheduler, executor and HTTP surface, started and stopped as one. */
export class OmicsService {
  private constructor(
    readonly url: string,
    private parts: { app: ReturnType<typeof buildApp>; stopWorkers: () => Promise<void>; security: EdgeSecurity; log: Logger },
  ) {}

  static async start(config: Config, log: Logger): Promise<OmicsService> {
    // Credentials and exposure are settled first: a bad credentials file or an unauthenticated
    // non-loopback --host refuses to start before the port or the data dir is touched.
    const security = prepareSecurity(config, log);
    await assertCanListen(config.host, config.port);
    if (config.executor === 'slurm') slurmTools();
    fs.mkdirSync(config.dataDir, { recursive: true });
    const releaseLock = lockDataDir(config.dataDir);
    try {
      return await OmicsService.startLocked(config, log, releaseLock, security);
    } catch (err) {
      releaseLock();
      throw err;
    }
  }

  private static async startLocked(config: Config, log: Logger, releaseLock: () => void, security: EdgeSecurity): Promise<OmicsService> {
    const store = await openStore(config);
    const objects = createObjectStore({ dataDir: config.dataDir, s3Endpoint: config.s3Endpoint, region: config.region });
    const tokens = new PageTokens(await store.getSecret('page-tokens', () => randomBytes(32).toString('hex')));
    const share = new EventLoopShare();
    // Several instances may share a PostgreSQL store: each has its own id, leases and a share of one StartRun bucket.
    const instance = {
      id: instanceIdOf(config.dataDir), host: os.hostname(), pid: process.pid, version: VERSION, startedAt: Date.now(),
      dataDir: path.resolve(config.dataDir), executor: config.executor,
    };
    const coordinator = new Coordinator(store.coordination, instance, config.leaseSeconds * 1000, share, log);
    const rate = store.coordination ? new SharedStartRunRate(store.coordination, config.startRunRate, config.startRunBurst)
      : new LocalStartRunRate(config.startRunRate, config.startRunBurst);
    const metrics = new ServiceMetrics(store.stats);
    let scheduler: Scheduler | undefined;
    let follower: CancelFollower | undefined;
    const logFailures = logRunFailures(store, log);
    const applier = new RunEventApplier(store, log, (applied) => {
      const finished = applied.filter((a) => isTerminalRunStatus(a.status));
      if (finished.length) {
        scheduler?.wake();
        follower?.finished(finished.map((a) => a.runId));
      }
      logFailures(applied);
    }, share);
    logBatchLifecycle(store, log);
    const engineOptions = {
      reporter: applier, workflows: store.workflows, versions: store.versions, caches: store.runCaches, runs: store.runs, objects, dataDir: config.dataDir, engines: config.engines, log,
      unsafeRunToolsUnsandboxed: config.unsafeRunToolsUnsandboxed, sandboxReadOnly: config.localInputRoots,
    };
    const engineExecutor: Executor = config.executor === 'local' ? createLocalExecutor(engineOptions)
      : config.executor === 'slurm' ? createSlurmExecutor({ ...engineOptions, slurm: config.slurm })
        : new SimulatedExecutor(applier, config.simRunMs);
    // Sharing the store, a run may be cancelled through another instance: this one follows the store.
    if (store.coordination) follower = new CancelFollower(engineExecutor, store.runs, share, log);
    const executor: Executor = follower ?? engineExecutor;
    // Slurm jobs outlive the instance that submitted them: another instance takes them over.
    const takeover = store.coordination && executor.adopt
      ? new RunTakeover(store.coordination, store.runs, executor as Executor & Required<Pick<Executor, 'adopt'>>, instance, config.leaseSeconds * 1000, share, log)
      : undefined;
    store.runs.onDeleted((runId) => executor.forget(runId));
    scheduler = new Scheduler(store, executor, applier, config.maxConcurrentRuns, share, log, store.coordination ? instance.id : undefined);
    // Buckets each account may name, from the credentials file (read again on SIGHUP).
    const bucketScope = (account: string) => security.credentials?.bucketsOf(account);
    const runs = new RunService(store, config, rate, scheduler, executor, bucketScope, metrics);
    const workflows = new WorkflowService(store, objects, log, bucketScope);
    const versions = new WorkflowVersionService(store, objects, log, bucketScope);
    const pipeline = new BatchPipeline({ store, objects, runs, scheduler, executor, rate, coordinator, maxRuns: config.maxRuns, share, log, telemetry: metrics });
    const relay = new OutboxRelay(store.events, eventSinks(config, metrics, share, log), new EventFormatter(config.region, await store.getSecret('event-ids', () => randomBytes(32).toString('hex'))), share, log,
      undefined, coordinator.shared ? () => coordinator.claim('events') : undefined);
    const batches = new BatchService(store, objects, pipeline, log, bucketScope);
    const stopWorkers = async () => {
      await pipeline.stop();
      await scheduler!.stop();
      await takeover?.stop();
      await executor.close();
      await applier.flush();
      await relay.stop();
      await coordinator.stop();
      await objects.close();
      await store.close();
    };
    try {
      return await OmicsService.run({ config, log, security, store, metrics, relay, workflows, versions, executor, pipeline, scheduler, coordinator, takeover, services: {
        config, runs, workflows, batches, runGroups: new RunGroupService(store), tags: new TagService(store, config.region), tokens,
        versions, runCaches: new RunCacheService(store, bucketScope), configurations: new ConfigurationService(store),
        shares: new ShareService(store, config.region),
        links: new LinkSigner(await store.getSecret('links', () => randomBytes(32).toString('hex')), config.linkExpirySeconds),
        presign: objects.presignGet ? (uri) => objects.presignGet!(parseS3Uri(uri, 'uri'), config.linkExpirySeconds) : undefined,
      }, stopWorkers: async () => {
        await stopWorkers();
        releaseLock();
      } });
    } catch (err) {
      // Whatever started before the failure stops again: nothing runs on after a failed start.
      await stopWorkers().catch((stopErr) => log.warn({ err: stopErr }, 'stopping after a failed start'));
      throw err;
    }
  }

  /** Recovers, starts the background work and listens; a failure leaves stopping to the caller. */
  private static async run(parts: {
    config: Config; log: Logger; security: EdgeSecurity; store: Store; metrics: ServiceMetrics; relay: OutboxRelay; workflows: WorkflowService;
    versions: WorkflowVersionService;
    executor: Executor; pipeline: BatchPipeline; scheduler: Scheduler; coordinator: Coordinator; takeover?: RunTakeover; services: Omit<Services, 'baseUrl'>;
    stopWorkers: () => Promise<void>;
  }): Promise<OmicsService> {
    const { config, log, security, store, metrics, relay, workflows, versions, executor, pipeline, scheduler, coordinator, takeover } = parts;
    await coordinator.start();
    await relay.start();
    metrics.sinkBacklog = () => relay.backlog();

    await workflows.recover();
    await versions.recover();
    // Sharing the store, an instance recovers the runs its own executor was running.
    const active = await store.runs.listInStatus(ACTIVE_RUN_STATUSES, coordinator.shared ? coordinator.instance.id : undefined);
    if (active.length) log.info({ runs: active.length, executor: executor.name }, `recovery: ${active.length} runs were active when omicsd stopped`);
    executor.recover(active);
    const unfinished = await store.batches.idsInStatus(['CREATING', 'PENDING', 'SUBMITTING', 'STOPPING', 'RUNS_DELETING']);
    if (unfinished.length) log.info({ batches: unfinished }, `recovery: resuming ${unfinished.length} batches where their last commit left them`);
    pipeline.start();
    scheduler.start();
    takeover?.start();

    let url = '';
    const services: Services = { ...parts.services, baseUrl: () => url };
    const app = buildApp(services, log, security, {
      sources: {
        version: VERSION,
        instance: coordinator.instance.id,
        metrics,
        // Recovery is done before omicsd listens, so a request that reaches /readyz finds it done; the
        // store is asked each time.
        readiness: async () => {
          await store.stats.ping();
          return { store: undefined, recovery: undefined };
        },
      },
      ui: { region: config.region, authentication: security.credentials !== undefined },
    });
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    url = `http://${host}:${port}`;
    log.info({ dataDir: path.resolve(config.dataDir), executor: executor.name, instance: coordinator.instance.id,
      database: config.databaseUrl ? redact(config.databaseUrl) : 'sqlite' }, 'omicsd started');
    return new OmicsService(url, { app, security, log, stopWorkers: parts.stopWorkers });
  }

  /** SIGHUP: re-reads the --credentials file; a bad file keeps the keys in use (docs/security.md). */
  reloadCredentials() {
    if (this.parts.security.credentials) this.parts.security.credentials.reload();
    else this.parts.log.info('SIGHUP: no --credentials file to re-read (authentication is off)');
  }

  /** Stops accepting, lets requests in flight finish, then leaves the store consistent. */
  async stop() {
    await this.parts.app.close();
    await this.parts.stopWorkers();
  }
}

/** Where events go (docs/events.md): the metrics always; the events file unless turned off; each webhook. */
function eventSinks(config: Config, metrics: ServiceMetrics, share: EventLoopShare, log: Logger): EventSink[] {
  const sinks: EventSink[] = [metrics];
  if (config.eventsFile !== null) sinks.push(new FileSink(config.eventsFile ?? path.join(config.dataDir, 'events.ndjson')));
  if (config.eventWebhookSecret && !config.eventWebhooks.length) log.warn('--event-webhook-secret is set but no --event-webhook is: nothing is signed');
  for (const url of new Set(config.eventWebhooks)) {
    sinks.push(new WebhookSink({ url, secret: config.eventWebhookSecret, userAgent: `omicsd/${VERSION}`, turn: () => share.turn() }, log, (ok) => metrics.webhookAttempt(ok)));
  }
  return sinks;
}
