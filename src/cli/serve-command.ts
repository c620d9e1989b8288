import type { Command } from 'commander';
import { defaultConfig, type Config, type ExecutorName } from '../config.js';
import { OmicsService } from '../service.js';
import { createLogger, type LogFormat } from './logger.js';
import { accountId, allowedHost, checkDatabaseUrl, collectPaths, collectUrls, envOption, httpUrl, linkExpiry, LOG_LEVELS, nonNegative, positive, wholeNumber } from './options.js';

/** `omicsd serve`: runs the service until SIGTERM or SIGINT (docs/operations.md). */
export function addServeCommand(program: Command) {
  program
    .command('serve')
    .description('run the service')
    .addOption(envOption('--host <host>', 'address to listen on (anything but loopback needs --credentials)', 'HOST').default('127.0.0.1'))
    .addOption(envOption('--port <port>', 'port to listen on (0 picks a free one)', 'PORT').default(8080).argParser(wholeNumber(0, 65535)))
    .addOption(envOption('--data-dir <dir>', 'where everything durable lives', 'DATA_DIR').default('./.omicsd'))
    .addOption(envOption('--database-url <url>', 'store (default: SQLite file in the data dir): sqlite:PATH or postgres://USER@HOST:PORT/DB', 'DATABASE_URL'))
    .addOption(envOption('--lease-seconds <n>', 'with PostgreSQL: how long another instance waits before taking over the work of one that stopped heartbeating (1 to 300)', 'LEASE_SECONDS').default(10).argParser(wholeNumber(1, 300)))
    .addOption(envOption('--executor <name>', 'how runs execute', 'EXECUTOR').choices(['local', 'slurm', 'simulated']).default('local'))
    .addOption(envOption('--sim-run-ms <ms>', 'how long a simulated run stays RUNNING', 'SIM_RUN_MS').default(2000).argParser(wholeNumber(0)))
    .addOption(envOption('--start-run-rate <n>', 'StartRun calls per second per account (0 = unlimited)', 'START_RUN_RATE').default(10).argParser(nonNegative))
    .addOption(envOption('--start-run-burst <n>', 'StartRun bucket size (default: the rate)', 'START_RUN_BURST').argParser(wholeNumber(1)))
    .addOption(envOption('--max-concurrent-runs <n>', 'runs executing at once (0 = unlimited; default: cores for local, unlimited for simulated)', 'MAX_CONCURRENT_RUNS').argParser(wholeNumber(0)))
    .addOption(envOption('--max-runs <n>', 'account quota of runs kept (0 = unlimited)', 'MAX_RUNS').default(100000).argParser(wholeNumber(0)))
    .addOption(envOption('--region <region>', 'region used in ARNs', 'REGION').default('us-east-1'))
    .addOption(envOption('--account-id <id>', 'account id used in ARNs (12 digits)', 'ACCOUNT_ID').default('123456789012').argParser(accountId))
    .addOption(envOption('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// URIs (default: embedded store in the data dir)', 'S3_ENDPOINT').argParser(httpUrl))
    .addOption(envOption('--engine-cwl <cmd>', 'CWL engine command (default: cwltool on PATH)', 'ENGINE_CWL'))
    .addOption(envOption('--engine-toil-cwl <cmd>', 'alternative CWL engine command, used when --engine-cwl is absent (default: toil-cwl-runner on PATH)', 'ENGINE_TOIL_CWL'))
    .addOption(envOption('--engine-wdl <cmd>', 'WDL engine command (default: miniwdl or toil-wdl-runner on PATH)', 'ENGINE_WDL'))
    .addOption(envOption('--engine-nextflow <cmd>', 'Nextflow command (default: nextflow on PATH)', 'ENGINE_NEXTFLOW'))
    .addOption(envOption('--slurm-partition <name>', 'Slurm partition of every run\'s job (--executor slurm; default: the cluster\'s default)', 'SLURM_PARTITION'))
    .addOption(envOption('--slurm-account <name>', 'Slurm account every run\'s job is charged to', 'SLURM_ACCOUNT'))
    .addOption(envOption('--slurm-sbatch-args <args>', 'further sbatch options for every run\'s job, e.g. "--time=24:00:00 --qos=long"', 'SLURM_SBATCH_ARGS'))
    .addOption(envOption('--slurm-submit-rate <n>', 'sbatch calls per second at most', 'SLURM_SUBMIT_RATE').default(10).argParser(positive))
    .addOption(envOption('--slurm-poll-interval <seconds>', 'how often one squeue call asks after all of omicsd\'s jobs', 'SLURM_POLL_INTERVAL').default(5).argParser(positive))
    .addOption(envOption('--slurm-toil-steps', 'Toil engines submit each workflow step as its own Slurm job instead of running all steps in the run\'s job', 'SLURM_TOIL_STEPS'))
    .addOption(envOption('--unsafe-run-tools-unsandboxed', 'UNSAFE: run workflow engines and their tools without the bubblewrap sandbox, as omicsd\'s own user (docs/runs.md, "Sandbox")', 'UNSAFE_RUN_TOOLS_UNSANDBOXED'))
    .addOption(envOption('--credentials <file>', 'JSON file of access keys; every request must then be SigV4-signed with one (re-read on SIGHUP)', 'CREDENTIALS'))
    .addOption(envOption('--insecure-no-auth', 'allow a non-loopback --host without --credentials (anyone who reaches the port can do anything)', 'INSECURE_NO_AUTH'))
    .addOption(envOption('--link-expiry <seconds>', 'how long presigned definition and readme links work (1 to 604800 seconds)', 'LINK_EXPIRY').default(900).argParser(linkExpiry))
    .addOption(envOption('--api-rate <n>', 'requests per second per account, all operations together (0 = unlimited)', 'API_RATE').default(1000).argParser(nonNegative))
    .addOption(envOption('--local-input-root <dir>', 'a folder run inputs may name by local path (e.g. a shared cluster filesystem); repeatable. Default: none, inputs are s3:// URIs only', 'LOCAL_INPUT_ROOT').argParser(collectPaths))
    .addOption(envOption('--allowed-host <name[:port]>', 'another name clients may call omicsd by (Host / Origin check); repeatable', 'ALLOWED_HOST').argParser(allowedHost))
    .addOption(envOption('--event-webhook <url>', 'POST every run and batch status change (EventBridge-shaped JSON) to this URL; repeatable', 'EVENT_WEBHOOK').argParser(collectUrls))
    .addOption(envOption('--event-webhook-secret <secret>', 'sign each webhook POST with HMAC-SHA256 of this secret (header X-Omicsd-Signature; prefer the environment variable)', 'EVENT_WEBHOOK_SECRET'))
    .addOption(envOption('--events-file <file>', 'append every event as a JSON line here (default: events.ndjson in the data dir)', 'EVENTS_FILE'))
    .addOption(envOption('--no-events-file', 'do not write the events file', 'NO_EVENTS_FILE'))
    .addOption(envOption('--log-level <level>', 'log level (logs go to stderr)', 'LOG_LEVEL').choices(LOG_LEVELS).default('info'))
    .addOption(envOption('--log-format <format>', 'json lines, or pretty (human-readable) lines (default: pretty on a terminal, else json)', 'LOG_FORMAT').choices(['json', 'pretty']))
    .action(async (o) => {
      const config: Config = defaultConfig({
        host: o.host, port: o.port, dataDir: o.dataDir, databaseUrl: o.databaseUrl === undefined ? undefined : checkDatabaseUrl(o.databaseUrl), executor: o.executor as ExecutorName,
        simRunMs: o.simRunMs, startRunRate: o.startRunRate, startRunBurst: o.startRunBurst, region: o.region,
        accountId: o.accountId, s3Endpoint: o.s3Endpoint, maxRuns: o.maxRuns, logLevel: o.logLevel,
        engines: { cwl: o.engineCwl, toilCwl: o.engineToilCwl, wdl: o.engineWdl, nextflow: o.engineNextflow },
        credentialsFile: o.credentials, insecureNoAuth: o.insecureNoAuth === true, allowedHosts: o.allowedHost ?? [],
        apiRate: o.apiRate, linkExpirySeconds: o.linkExpiry, leaseSeconds: o.leaseSeconds, localInputRoots: o.localInputRoot ?? [],
        unsafeRunToolsUnsandboxed: o.unsafeRunToolsUnsandboxed === true,
        eventWebhooks: o.eventWebhook ?? [], eventWebhookSecret: o.eventWebhookSecret,
        eventsFile: o.eventsFile === false ? null : o.eventsFile,
        slurm: {
          partition: o.slurmPartition, account: o.slurmAccount, sbatchArgs: o.slurmSbatchArgs, submitRate: o.slurmSubmitRate,
          pollMs: Math.round(o.slurmPollInterval * 1000), toilSteps: o.slurmToilSteps === true,
        },
        ...(o.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: o.maxConcurrentRuns } : {}),
      });
      const log = createLogger(config.logLevel, o.logFormat as LogFormat | undefined);
      // Handlers go in before anything can be announced: a signal that lands between the "listening"
      // line and their installation would otherwise kill the process with the default action.
      let stopRequested: string | undefined;
      let stop = (signal: string) => void (stopRequested ??= signal);
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // SIGHUP re-reads --credentials (docs/security.md); until the service is up it is only noted,
      // never the default action (which would kill the process).
      let reload = () => log.info('SIGHUP before the service started: the credentials file is read at start anyway');
      process.on('SIGHUP', () => reload());
      const service = await OmicsService.start(config, log);
      reload = () => service.reloadCredentials();
      let stopping = false;
      stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: finishing requests in flight; running engines are left to run and re-attached at the next start');
        service.stop().then(() => {
          log.info('stopped');
          process.exit(0);
        }, (err) => {
          log.error({ err }, 'stop failed');
          process.exit(1);
        });
      };
      if (stopRequested) return stop(stopRequested);
      process.stdout.write(`omicsd listening on ${service.url}\n`);
    });
}
