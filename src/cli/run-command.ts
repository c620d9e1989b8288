import { CancelRunCommand, GetRunCommand, paginateListRuns, type RunStatus } from '@aws-sdk/client-omics';
import { Option, type Command } from 'commander';
import { clientCommand, logsClient, omicsClient } from './client/clients.js';
import { printList, printRecord } from './client/output.js';
import { printRunLog } from './client/run-logs.js';
import { wholeNumber } from './options.js';

const RUN_STATUSES = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'DELETED', 'CANCELLED', 'FAILED'];

/** `omicsd run …`: runs from the terminal, against omicsd or HealthOmics (docs/cli.md). */
export function addRunCommand(program: Command) {
  const run = program.command('run').description('runs: list, inspect, cancel, read their logs');

  clientCommand(run.command('ls'))
    .description('list runs (ListRuns)')
    .addOption(new Option('--status <status>', 'only runs in this status').choices(RUN_STATUSES))
    .option('--name <name>', 'only runs with this name')
    .option('--run-group-id <id>', 'only runs of this run group')
    .option('--batch-id <id>', 'only runs of this batch')
    .option('--max-items <n>', 'stop after this many', wholeNumber(1))
    .action(async (o) => {
      const items = [];
      const filters = { status: o.status as RunStatus, name: o.name, runGroupId: o.runGroupId, batchId: o.batchId };
      for await (const page of paginateListRuns({ client: omicsClient(o), pageSize: 100 }, filters)) {
        items.push(...(page.items ?? []));
        if (o.maxItems !== undefined && items.length >= o.maxItems) break;
      }
      printList(process.stdout, o.output, 'items', items.slice(0, o.maxItems), ['id', 'name', 'status', 'workflowId', 'creationTime', 'startTime', 'stopTime']);
    });

  clientCommand(run.command('get'))
    .description('one run (GetRun)')
    .argument('<runId>')
    .action(async (id: string, o) => {
      printRecord(process.stdout, o.output, await omicsClient(o).send(new GetRunCommand({ id })));
    });

  clientCommand(run.command('cancel'), false)
    .description('cancel a run (CancelRun)')
    .argument('<runId>')
    .action(async (id: string, o) => {
      await omicsClient(o).send(new CancelRunCommand({ id }));
      process.stderr.write(`cancel: run ${id} accepted\n`);
    });

  clientCommand(run.command('logs'), false)
    .description("print a run's engine log, read through the endpoint's log API (CloudWatch Logs GetLogEvents)")
    .argument('<runId>')
    .option('-f, --follow', 'keep printing until the run ends')
    .addOption(new Option('--stream <stream>', 'engine log or run log stream').choices(['engine', 'run']).default('engine'))
    .action(async (id: string, o) => {
      await printRunLog(omicsClient(o), logsClient(o), id, process.stdout, { follow: o.follow === true, stream: o.stream });
    });
}
