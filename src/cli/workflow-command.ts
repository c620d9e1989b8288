import fs from 'node:fs';
import path from 'node:path';
import { CreateWorkflowCommand, GetWorkflowCommand, paginateListWorkflows, waitUntilWorkflowActive } from '@aws-sdk/client-omics';
import { InvalidArgumentError, type Command } from 'commander';
import { zipSync } from 'fflate';
import { clientCommand, omicsClient } from './client/clients.js';
import { CliError } from './client/errors.js';
import { printList, printRecord, toJson } from './client/output.js';
import { wholeNumber } from './options.js';

/** The most a definition zip sent inline may hold (CreateWorkflow's definitionZip limit). */
const MAX_ZIP_BYTES = 4 * 1024 * 1024;

/** `omicsd workflow …`: create a workflow from a folder or zip, list and inspect them (docs/cli.md). */
export function addWorkflowCommand(program: Command) {
  const workflow = program.command('workflow').description('workflows: create one from a folder, list, inspect');

  clientCommand(workflow.command('create'))
    .description('create a workflow from a folder of workflow files, a .zip, or one workflow file; prints its id')
    .requiredOption('--name <name>', 'workflow name')
    .requiredOption('--definition <path>', 'folder, .zip or single workflow file')
    .option('--main <file>', 'the main workflow file inside the definition (when it is not found on its own)')
    .option('--description <text>', 'description')
    .option('--wait', 'wait until the workflow is ACTIVE (exit 1 if it FAILED)')
    .option('--wait-seconds <n>', 'with --wait: give up after this long', wholeNumber(1), 300)
    .action(async (o) => {
      const omics = omicsClient(o);
      const created = await omics.send(new CreateWorkflowCommand({
        name: o.name, description: o.description, main: o.main, definitionZip: definitionZip(o.definition),
      }));
      if (o.wait) {
        const waited = await waitUntilWorkflowActive({ client: omics, maxWaitTime: o.waitSeconds, minDelay: 1, maxDelay: 5 }, { id: created.id })
          .catch(async () => {
            const wf = await omics.send(new GetWorkflowCommand({ id: created.id }));
            throw new CliError(`workflow ${created.id} is ${wf.status}${wf.statusMessage ? `: ${wf.statusMessage}` : ''}`);
          });
        if (waited.state !== 'SUCCESS') throw new CliError(`workflow ${created.id} did not become ACTIVE (${waited.state})`);
      }
      process.stdout.write(o.output === 'json' ? toJson(created) : `${created.id}\n`);
    });

  clientCommand(workflow.command('ls'))
    .description('list workflows (ListWorkflows)')
    .option('--name <name>', 'only workflows with this name')
    .action(async (o) => {
      const items = [];
      for await (const page of paginateListWorkflows({ client: omicsClient(o), pageSize: 100 }, { name: o.name })) items.push(...(page.items ?? []));
      printList(process.stdout, o.output, 'items', items, ['id', 'name', 'status', 'type', 'creationTime']);
    });

  clientCommand(workflow.command('get'))
    .description('one workflow (GetWorkflow)')
    .argument('<workflowId>')
    .action(async (id: string, o) => {
      printRecord(process.stdout, o.output, await omicsClient(o).send(new GetWorkflowCommand({ id })));
    });
}

/** The definition as zip bytes: a .zip as it is, a folder's files (recursively, without symlinks), or one file. */
function definitionZip(p: string): Uint8Array {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) throw new InvalidArgumentError(`no such file or folder: ${p}`);
  if (st.isFile() && p.toLowerCase().endsWith('.zip')) return checkSize(fs.readFileSync(p), p);
  const files: Record<string, Uint8Array> = {};
  if (st.isFile()) files[path.basename(p)] = fs.readFileSync(p);
  else {
    for (const entry of fs.readdirSync(p, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const abs = path.join(entry.parentPath, entry.name);
      files[path.relative(p, abs).split(path.sep).join('/')] = fs.readFileSync(abs);
    }
  }
  return checkSize(zipSync(files), p);
}

function checkSize(zip: Uint8Array, p: string) {
  if (zip.length > MAX_ZIP_BYTES) {
    throw new CliError(`the definition from ${p} zips to ${zip.length} bytes; at most ${MAX_ZIP_BYTES} go inline (put it in the object store and use definitionUri)`);
  }
  return zip;
}
