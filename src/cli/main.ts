#!/usr/bin/env node
import fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { defaultConfig, type Config, type ExecutorName } from '../config.js';
import { OmicsService } from '../service.js';
import { copyFileToStore, createObjectStore } from '../objectstore/index.js';
import { runLogPath } from '../executors/local/paths.js';

const int = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}`);
  return n;
};
const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
};

/** Every option can also come from the environment as OMICSD_<NAME>. */
const opt = (flags: string, description: string, env: string) => new Option(flags, description).env(`OMICSD_${env}`);

const program = new Command('omicsd').description('A self-hosted AWS HealthOmics workflows service centred on run batches');

program
  .command('serve')
  .description('run the service')
  .addOption(opt('--host <host>', 'address to listen on', 'HOST').default('127.0.0.1'))
  .addOption(opt('--port <port>', 'port to listen on (0 picks a free one)', 'PORT').default(8080).argParser(int(0)))
  .addOption(opt('--data-dir <dir>', 'where everything durable lives', 'DATA_DIR').default('./.omicsd'))
  .addOption(opt('--database-url <url>', 'store (default: SQLite file in the data dir)', 'DATABASE_URL'))
  .addOption(opt('--executor <name>', 'how runs execute', 'EXECUTOR').choices(['local', 'simulated']).default('local'))
  .addOption(opt('--sim-run-ms <ms>', 'how long a simulated run stays RUNNING', 'SIM_RUN_MS').default(2000).argParser(int(0)))
  .addOption(opt('--start-run-rate <n>', 'StartRun calls per second per account (0 = unlimited)', 'START_RUN_RATE').default(10).argParser(num))
  .addOption(opt('--start-run-burst <n>', 'StartRun bucket size (default: the rate)', 'START_RUN_BURST').argParser(int(1)))
  .addOption(opt('--max-concurrent-runs <n>', 'runs executing at once (0 = unlimited; default: cores for local, unlimited for simulated)', 'MAX_CONCURRENT_RUNS').argParser(int(0)))
  .addOption(opt('--max-runs <n>', 'account quota of runs kept (0 = unlimited)', 'MAX_RUNS').default(100000).argParser(int(0)))
  .addOption(opt('--region <region>', 'region used in ARNs', 'REGION').default('us-east-1'))
  .addOption(opt('--account-id <id>', 'account id used in ARNs', 'ACCOUNT_ID').default('123456789012'))
  .addOption(opt('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// URIs (default: embedded store in the data dir)', 'S3_ENDPOINT'))
  .addOption(opt('--engine-cwl <cmd>', 'CWL engine command (default: cwltool on PATH)', 'ENGINE_CWL'))
  .addOption(opt('--engine-toil-cwl <cmd>', 'alternative CWL engine command, used when --engine-cwl is absent (default: toil-cwl-runner on PATH)', 'ENGINE_TOIL_CWL'))
  .addOption(opt('--engine-wdl <cmd>', 'WDL engine command (default: miniwdl or toil-wdl-runner on PATH)', 'ENGINE_WDL'))
  .addOption(opt('--engine-nextflow <cmd>', 'Nextflow command (default: nextflow on PATH)', 'ENGINE_NEXTFLOW'))
  .addOption(opt('--log-level <level>', 'log level (logs go to stderr)', 'LOG_LEVEL').default('info'))
  .action(async (o) => {
    const config: Config = defaultConfig({
      host: o.host, port: o.port, dataDir: o.dataDir, databaseUrl: o.databaseUrl, executor: o.executor as ExecutorName,
      simRunMs: o.simRunMs, startRunRate: o.startRunRate, startRunBurst: o.startRunBurst, region: o.region,
      accountId: o.accountId, s3Endpoint: o.s3Endpoint, maxRuns: o.maxRuns, logLevel: o.logLevel,
      engines: { cwl: o.engineCwl, toilCwl: o.engineToilCwl, wdl: o.engineWdl, nextflow: o.engineNextflow },
      ...(o.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: o.maxConcurrentRuns } : {}),
    });
    if (!/^[0-9]{12}$/.test(config.accountId)) throw new InvalidArgumentError('--account-id must be 12 digits');
    const log = pino({ level: config.logLevel }, pino.destination(2));
    // Handlers go in before anything can be announced: a signal that lands between the "listening"
    // line and their installation would otherwise kill the process with the default action.
    let stopRequested: string | undefined;
    let stop = (signal: string) => void (stopRequested ??= signal);
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    const service = await OmicsService.start(config, log);
    let stopping = false;
    stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      service.stop().then(() => process.exit(0), (err) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      });
    };
    if (stopRequested) return stop(stopRequested);
    process.stdout.write(`omicsd listening on ${service.url}\n`);
  });

const s3 = program.command('s3').description('the object store behind s3:// URIs');
s3.command('cp')
  .description('copy a local file into the object store')
  .argument('<file>', 'local file')
  .argument('<uri>', 's3://bucket/key')
  .addOption(opt('--data-dir <dir>', 'data dir of the embedded store', 'DATA_DIR').default('./.omicsd'))
  .addOption(opt('--s3-endpoint <url>', 'S3-compatible endpoint instead of the embedded store', 'S3_ENDPOINT'))
  .addOption(opt('--region <region>', 'region', 'REGION').default('us-east-1'))
  .action(async (file: string, uri: string, o) => {
    const store = createObjectStore({ dataDir: o.dataDir, s3Endpoint: o.s3Endpoint, region: o.region });
    try {
      const info = await copyFileToStore(store, file, uri);
      process.stdout.write(`${uri} ${info.size} bytes ETag ${info.etag}\n`);
    } finally {
      await store.close();
    }
  });

program
  .command('logs')
  .description("print a run's engine log (runs of the local executor: the engine's stdout and stderr)")
  .argument('<runId>', 'run id')
  .addOption(opt('--data-dir <dir>', 'data dir of the omicsd that ran it', 'DATA_DIR').default('./.omicsd'))
  .option('-f, --follow', 'keep printing what the engine writes (Ctrl-C to stop)')
  .action(async (runId: string, o) => {
    if (!/^[0-9]{1,18}$/.test(runId)) throw new InvalidArgumentError(`${runId} is not a run id`);
    const file = runLogPath(o.dataDir, runId);
    if (!fs.existsSync(file)) {
      throw new Error(`No engine log for run ${runId} in ${o.dataDir} (runs of the simulated executor have none; is --data-dir right?)`);
    }
    let offset = 0;
    const copy = () => new Promise<void>((resolve, reject) => {
      const size = fs.statSync(file).size;
      if (size <= offset) return resolve();
      const s = fs.createReadStream(file, { start: offset, end: size - 1 });
      offset = size;
      s.on('error', reject);
      s.on('end', resolve);
      s.pipe(process.stdout, { end: false });
    });
    await copy();
    if (!o.follow) return;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      await copy();
    }
  });

program.parseAsync().catch((err) => {
  process.stderr.write(`omicsd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
