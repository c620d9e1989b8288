#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addBackupCommand } from './backup-command.js';
import { addBatchCommand } from './batch-command.js';
import { describeError } from './client/errors.js';
import { addEnginesCommand } from './engines-command.js';
import { addLogsCommand } from './logs-command.js';
import { addRunCommand } from './run-command.js';
import { addS3Command } from './s3-command.js';
import { addServeCommand } from './serve-command.js';
import { addWorkflowCommand } from './workflow-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

// The SDK warns that releases from 2027 will need Node 22; the versions this package pins run on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command('omicsd')
  .description('A self-hosted AWS HealthOmics workflows service centred on run batches')
  .version(pkg.version, '-V, --version', 'print the version');
addServeCommand(program);
addS3Command(program);
addLogsCommand(program);
addBackupCommand(program);
addEnginesCommand(program);
addWorkflowCommand(program);
addBatchCommand(program);
addRunCommand(program);

program.parseAsync().catch((err) => {
  process.stderr.write(`omicsd: ${describeError(err)}\n`);
  process.exit((err as { exitCode?: number }).exitCode ?? 1);
});
