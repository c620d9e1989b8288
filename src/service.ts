import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { PageTokens } from './api/pagination.js';
import { BatchEngine } from './domain/batches/batch-engine.js';
import { BatchService } from './domain/batches/batch-service.js';
import { ACTIVE_RUN_STATUSES, isTerminalRunStatus } from './domain/model.js';
import { RunEventApplier } from './domain/run-events.js';
import { RunService } from './domain/runs.js';
import { Scheduler } from './domain/scheduler.js';
import { TokenBucket } from './domain/token-bucket.js';
import { Turns } from './domain/turns.js';
import { WorkflowService } from './domain/workflows.js';
import type { Executor } from './executors/executor.js';
import { createLocalExecutor } from './executors/local/index.js';
import { SimulatedExecutor } from './executors/simulated.js';
import { createObjectStore } from './objectstore/index.js';
import { buildApp } from './server/app.js';
import { openStore } from './store/open-store.js';

/** The whole service: store, engines and HTTP surface, started and stopped as one. */
export class OmicsService {
  private constructor(
    readonly url: string,
    private parts: { app: ReturnType<typeof buildApp>; stopWorkers: () => Promise<void> },
  ) {}

  static async start(config: Config, log: Logger): Promise<OmicsService> {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const store = openStore(config);
    const objects = createObjectStore({ dataDir: config.dataDir, s3Endpoint: config.s3Endpoint, region: config.region });
    const tokens = new PageTokens(await store.getSecret('page-tokens', () => randomBytes(32).toString('hex')));
    const bucket = new TokenBucket(config.startRunRate, config.startRunBurst);

    const turns = new Turns();
    let scheduler: Scheduler | undefined;
    const applier = new RunEventApplier(store, log, (applied) => {
      if (applied.some((a) => isTerminalRunStatus(a.status))) scheduler?.kick();
    }, turns);
    const executor: Executor = config.executor === 'local'
      ? createLocalExecutor({ reporter: applier, store, objects, dataDir: config.dataDir, engines: config.engines, log })
      : new SimulatedExecutor(applier, config.simRunMs);
    scheduler = new Scheduler(store, executor, config.maxConcurrentRuns, turns, log);
    const runs = new RunService(store, config, bucket, scheduler, executor);
    const workflows = new WorkflowService(store, objects, log);
    const engine = new BatchEngine({ store, objects, runs, scheduler, executor, bucket, maxRuns: config.maxRuns, turns, log });
    const batches = new BatchService(store, objects, engine, config);

    await workflows.recover();
    executor.recover(await store.listRunsInStatus([...ACTIVE_RUN_STATUSES]));
    engine.start();
    scheduler.start();

    const app = buildApp({ config, store, runs, workflows, batches, tokens }, log);
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    log.info({ dataDir: path.resolve(config.dataDir), executor: executor.name }, 'omicsd started');
    return new OmicsService(`http://${host}:${port}`, {
      app,
      stopWorkers: async () => {
        await engine.stop();
        await scheduler!.stop();
        await executor.close();
        await applier.flush();
        await objects.close();
        await store.close();
      },
    });
  }

  /** Stops accepting, lets requests in flight finish, then leaves the store consistent. */
  async stop() {
    await this.parts.app.close();
    await this.parts.stopWorkers();
  }
}
