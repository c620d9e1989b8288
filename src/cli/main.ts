#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addBackupCommand } from './backup-command.js';
import { addEnginesCommand } from './engines-command.js';
import { addLogsCommand } from './logs-command.js';
import { addS3Command } from './s3-command.js';
import { addServeCommand } from './serve-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('omicsd')
  .description('A self-hosted AWS HealthOmics workflows service centred on run batches')
  .version(pkg.version, '-V, --version', 'print the version');
addServeCommand(program);
addS3Command(program);
addLogsCommand(program);
addBackupCommand(program);
addEnginesCommand(program);

program.parseAsync().catch((err) => {
  process.stderr.write(`omicsd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
