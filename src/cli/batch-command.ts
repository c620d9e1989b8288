import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import {
  CancelRunBatchCommand, DeleteBatchCommand, DeleteRunBatchCommand, GetBatchCommand, paginateListBatch,
  type BatchStatus, type OmicsClient,
} from '@aws-sdk/client-omics';
import { stringify } from 'csv-stringify';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createObjectStore } from '../objectstore/index.js';
import { exportRows, EXPORT_COLUMNS } from './batch/export.js';
import { batchFailures, FAILURE_COLUMNS } from './batch/failures.js';
import { retryBatch } from './batch/retry.js';
import { startBatchFromSheet, type BatchDefaults } from './batch/start.js';
import { watchBatch, WATCH_EXIT } from './batch/watch.js';
import { clientCommand, omicsClient, type EndpointOptions } from './client/clients.js';
import { CliError } from './client/errors.js';
import { printList, printRecord, toJson, type OutputFormat } from './client/output.js';
import { dataDirOption, envOption, httpUrl, nonNegative, wholeNumber } from './options.js';

/** `omicsd batch …`: run batches from the terminal, against omicsd or HealthOmics (docs/cli.md). */
export function addBatchCommand(program: Command) {
  const batch = program.command('batch').description('run batches: start one from a sample sheet, watch, inspect, retry, export');

  clientCommand(batch.command('start'))
    .description('start a batch with one run per row of a CSV/TSV sample sheet; prints the batch id')
    .requiredOption('--workflow-id <id>', 'workflow to run')
    .option('--workflow-version-name <name>', 'workflow version')
    .requiredOption('--role-arn <arn>', 'IAM role the runs use')
    .requiredOption('--output-uri <s3uri>', 'where run outputs go (s3://bucket/prefix)')
    .requiredOption('--sample-sheet <file>', 'CSV or TSV (.tsv) file, one row per run (docs/cli.md, "Sample sheets")')
    .option('--run-group-id <id>', 'run group of every run')
    .option('--name <name>', 'batch name')
    .option('--priority <n>', 'default run priority', wholeNumber(0, 100000))
    .addOption(new Option('--storage-type <type>', 'run storage type').choices(['STATIC', 'DYNAMIC']))
    .option('--storage-capacity <gib>', 'run storage capacity (GiB) for STATIC storage', wholeNumber(0, 100000))
    .option('--parameters <json>', 'parameters every run gets (a JSON object, or @FILE); sheet columns override them', jsonObject)
    .option('--tags <key=value...>', 'tags of the batch', keyValues)
    .option('--run-tags <key=value...>', 'tags of every run', keyValues)
    .option('--upload-uri <s3uri>', "where local input files named in the sheet's :file columns are uploaded")
    .option('--settings-uri <s3uri>', 'where the settings file of a sheet over 100 rows goes (default: under --output-uri)')
    .addOption(objectStoreOption())
    .addOption(dataDirOption("data dir of the local omicsd whose embedded store takes uploads (without --s3-endpoint)"))
    .option('--concurrency <n>', 'uploads at once', wholeNumber(1, 64), 8)
    .option('--watch', 'then watch the batch to the end (exit codes as batch watch)')
    .option('--interval <seconds>', 'with --watch: seconds between polls', seconds, 2)
    .action(async (o) => {
      const omics = omicsClient(o);
      const defaults: BatchDefaults = {
        workflowId: o.workflowId, workflowVersionName: o.workflowVersionName, roleArn: o.roleArn, outputUri: o.outputUri,
        runGroupId: o.runGroupId, priority: o.priority, storageType: o.storageType, storageCapacity: o.storageCapacity,
        parameters: o.parameters, runTags: o.runTags,
      };
      const started = await startBatchFromSheet(omics, objectStore(o), {
        defaults, batchName: o.name, tags: o.tags, sampleSheet: o.sampleSheet, settingsUri: o.settingsUri, uploadUri: o.uploadUri,
        concurrency: o.concurrency, objectsWhere: o.s3Endpoint ? `the S3 endpoint ${o.s3Endpoint}` : `the embedded store of ${path.resolve(o.dataDir)}`,
      }, reporter);
      printStarted(o.output, started);
      if (o.watch) process.exitCode = await watch(omics, started.id!, o.interval);
    });

  clientCommand(batch.command('watch'))
    .description('follow a batch to the end: exit 0 if every run COMPLETED, 1 if any failed or was cancelled, 2 on errors')
    .argument('<batchId>')
    .option('--interval <seconds>', 'seconds between polls', seconds, 2)
    .action(async (batchId: string, o) => {
      process.exitCode = await watch(omicsClient(o), batchId, o.interval);
    });

  clientCommand(batch.command('ls'))
    .description('list batches (ListBatch)')
    .addOption(new Option('--status <status>', 'only batches in this status'))
    .option('--name <name>', 'only batches with this name')
    .option('--run-group-id <id>', 'only batches of this run group')
    .option('--max-items <n>', 'stop after this many', wholeNumber(1))
    .action(async (o) => {
      const items = [];
      for await (const page of paginateListBatch({ client: omicsClient(o), pageSize: 100 }, { status: o.status as BatchStatus, name: o.name, runGroupId: o.runGroupId })) {
        items.push(...(page.items ?? []));
        if (o.maxItems !== undefined && items.length >= o.maxItems) break;
      }
      printList(process.stdout, o.output, 'items', items.slice(0, o.maxItems), ['id', 'name', 'status', 'totalRuns', 'workflowId', 'createdAt']);
    });

  clientCommand(batch.command('get'))
    .description('one batch (GetBatch)')
    .argument('<batchId>')
    .action(async (batchId: string, o) => {
      printRecord(process.stdout, o.output, await omicsClient(o).send(new GetBatchCommand({ batchId })));
    });

  for (const [name, description, Op] of [
    ['cancel', 'cancel a batch: its pending entries are not submitted and its runs are cancelled (CancelRunBatch)', CancelRunBatchCommand],
    ['delete-runs', "delete a finished or cancelled batch's runs (DeleteRunBatch)", DeleteRunBatchCommand],
    ['delete', 'delete a finished batch record (DeleteBatch)', DeleteBatchCommand],
  ] as const) {
    clientCommand(batch.command(name))
      .description(description)
      .argument('<batchId>')
      .action(async (batchId: string, o) => {
        await omicsClient(o).send(new (Op as typeof CancelRunBatchCommand)({ batchId }));
        process.stderr.write(`${name}: batch ${batchId} accepted\n`);
      });
  }

  clientCommand(batch.command('failures'))
    .description('each failed submission and failed run of a batch, with its runSettingId, runId, reason and message')
    .argument('<batchId>')
    .option('--include-cancelled', 'cancelled runs too')
    .action(async (batchId: string, o) => {
      const rows = [];
      for await (const { run: _run, ...f } of batchFailures(omicsClient(o), batchId, { includeCancelled: o.includeCancelled })) rows.push(f);
      printList(process.stdout, o.output, 'failures', rows, FAILURE_COLUMNS);
    });

  clientCommand(batch.command('export'), false)
    .description('one row per runSettingId: runId, submission status, run status, failure reason, runOutputUri, start and stop time')
    .argument('<batchId>')
    .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (batchId: string, o) => {
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const rows = exportRows(omicsClient(o), batchId);
      if (o.format === 'csv') {
        const csv = stringify({ header: true, columns: EXPORT_COLUMNS });
        csv.pipe(out);
        for await (const row of rows) if (!csv.write(row)) await new Promise((r) => csv.once('drain', r));
        csv.end();
        await finished(csv);
      } else {
        let first = true;
        out.write('[');
        for await (const row of rows) {
          out.write(`${first ? '\n' : ',\n'}${JSON.stringify(row)}`);
          first = false;
        }
        out.write(first ? ']\n' : '\n]\n');
      }
      if (o.out) {
        (out as NodeJS.WritableStream).end();
        await finished(out as NodeJS.WritableStream);
      }
    });

  clientCommand(batch.command('retry'))
    .description("start a new batch of exactly a batch's failed entries (and cancelled ones with --include-cancelled), with its defaults")
    .argument('<batchId>')
    .option('--include-cancelled', 'retry cancelled runs too')
    .option('--settings <file|s3uri>', "the original entries (a JSON array), when the batch's own settings-file tag does not name them")
    .option('--settings-uri <s3uri>', 'where the settings file of a retry over 100 entries goes')
    .addOption(objectStoreOption())
    .addOption(dataDirOption('data dir of the local omicsd whose embedded store holds settings files (without --s3-endpoint)'))
    .option('--watch', 'then watch the new batch to the end')
    .option('--interval <seconds>', 'with --watch: seconds between polls', seconds, 2)
    .action(async (batchId: string, o) => {
      const omics = omicsClient(o);
      const started = await retryBatch(omics, objectStore(o), batchId,
        { includeCancelled: o.includeCancelled === true, settings: o.settings, settingsUri: o.settingsUri }, reporter);
      if (!started) return;
      printStarted(o.output, started);
      if (o.watch) process.exitCode = await watch(omics, started.id!, o.interval);
    });
}

const reporter = { info: (line: string) => process.stderr.write(`${line}\n`) };

function printStarted(format: OutputFormat, started: { id?: string }) {
  process.stdout.write(format === 'json' ? toJson(started) : `${started.id}\n`);
}

async function watch(omics: OmicsClient, batchId: string, intervalSeconds: number) {
  try {
    return await watchBatch(omics, batchId, { intervalMs: intervalSeconds * 1000, tty: process.stderr.isTTY === true, out: process.stderr });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message, WATCH_EXIT.error);
  }
}

const objectStoreOption = () => envOption('--s3-endpoint <url>', 'S3-compatible endpoint for uploads instead of the embedded store', 'S3_ENDPOINT').argParser(httpUrl);
const objectStore = (o: EndpointOptions & { dataDir: string; s3Endpoint?: string }) => () =>
  createObjectStore({ dataDir: o.dataDir, s3Endpoint: o.s3Endpoint, region: o.region });

function seconds(v: string) {
  const n = nonNegative(v);
  if (n < 0.05) throw new InvalidArgumentError(`expected at least 0.05 seconds, got "${v}"`);
  return n;
}

function keyValues(v: string, previous: Record<string, string> = {}) {
  const eq = v.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError(`expected KEY=VALUE, got "${v}"`);
  return { ...previous, [v.slice(0, eq)]: v.slice(eq + 1) };
}

function jsonObject(v: string) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v);
  } catch (err) {
    throw new InvalidArgumentError(`expected a JSON object or @FILE: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}
