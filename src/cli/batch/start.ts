import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  GetWorkflowCommand, GetWorkflowVersionCommand, StartRunBatchCommand,
  type InlineSetting, type OmicsClient, type StartRunBatchCommandInput, type StartRunBatchResponse,
} from '@aws-sdk/client-omics';
import { copyFileToStore, type ObjectStore } from '../../objectstore/index.js';
import { CliError } from '../client/errors.js';
import { eachLimited } from '../pool.js';
import { SampleSheet, type TemplateParameter } from './sample-sheet.js';
import { SettingsWriter } from './settings-writer.js';

/** The batch-wide settings of `omicsd batch start` (docs/cli.md). */
export interface BatchDefaults {
  workflowId: string;
  workflowVersionName?: string;
  roleArn: string;
  outputUri: string;
  runGroupId?: string;
  priority?: number;
  storageType?: string;
  storageCapacity?: number;
  parameters?: Record<string, unknown>;
  runTags?: Record<string, string>;
}

export interface StartBatchOptions {
  defaults: BatchDefaults;
  batchName?: string;
  tags?: Record<string, string>;
  sampleSheet: string;
  /** Where the settings file of a sheet over 100 rows goes; derived from outputUri when absent. */
  settingsUri?: string;
  uploadUri?: string;
  /** Upload concurrency for local inputs. */
  concurrency: number;
  /** Where uploads go, in words (the embedded store of a data dir, or an S3 endpoint), for error hints. */
  objectsWhere: string;
}

/** The tag that records a batch's settings file, so that `batch retry` can read its entries back. */
export const SETTINGS_URI_TAG = 'omicsd:settings-uri';

export interface Reporter {
  info(line: string): void;
}

/**
 * Reads and checks the whole sheet, uploads its local inputs and (over 100 rows) its settings
 * file, then starts the batch. Nothing is uploaded or started while any row has a problem.
 */
export async function startBatchFromSheet(
  omics: OmicsClient,
  objects: () => ObjectStore,
  o: StartBatchOptions,
  report: Reporter,
): Promise<StartRunBatchResponse> {
  const template = await workflowTemplate(omics, o.defaults);
  if (!template) report.info(`workflow ${o.defaults.workflowId} has no parameter template: parameter names are not checked`);
  const sheet = new SampleSheet(o.sampleSheet, { template, defaultParameters: o.defaults.parameters ?? {}, uploadUri: o.uploadUri });
  const settings = await SettingsWriter.create();
  try {
    for await (const entry of sheet.entries()) await settings.add(entry);
    await settings.finish();
    if (sheet.problems.length > 0) {
      const name = path.basename(o.sampleSheet);
      const lines = sheet.problems.map((p) => `  ${name}:${p.line}: ${p.message}`);
      if (sheet.moreProblems > 0) lines.push(`  … and ${sheet.moreProblems} more`);
      throw new CliError(`the sample sheet has problems; nothing was submitted:\n${lines.join('\n')}`);
    }
    const runGroupId = batchRunGroup(o.defaults.runGroupId, sheet.runGroupId);
    let store: ObjectStore | undefined;
    const objectStore = () => (store ??= objects());
    try {
      if (sheet.uploads.size > 0) await uploadInputs(objectStore(), sheet.uploads, o.concurrency, report);
      const input: StartRunBatchCommandInput = {
        batchName: o.batchName,
        requestId: randomUUID(),
        tags: o.tags,
        defaultRunSetting: { ...o.defaults, runGroupId } as StartRunBatchCommandInput['defaultRunSetting'],
        batchRunSettings: { inlineSettings: settings.head as InlineSetting[] },
      };
      if (!settings.fitsInline) {
        const uri = o.settingsUri ?? defaultSettingsUri(o.defaults.outputUri, o.batchName);
        const info = await copyFileToStore(objectStore(), settings.file, uri);
        report.info(`settings: ${settings.count} runs in ${uri} (${info.size} bytes)`);
        input.batchRunSettings = { s3UriSettings: uri };
        input.tags = { ...o.tags, [SETTINGS_URI_TAG]: uri };
      }
      try {
        return await omics.send(new StartRunBatchCommand(input));
      } catch (err) {
        // The usual cause: the server reads another store than the one the files went to.
        if (store && (err as Error).name === 'ResourceNotFoundException') {
          throw new CliError(`${(err as Error).name}: ${(err as Error).message} (the files went to ${o.objectsWhere}; is that the store the server reads? See --data-dir and --s3-endpoint)`);
        }
        throw err;
      }
    } finally {
      await store?.close();
    }
  } finally {
    await settings.dispose();
  }
}

/** The parameter template runs are checked against: the version's when one is named. */
export async function workflowTemplate(omics: OmicsClient, d: { workflowId: string; workflowVersionName?: string }) {
  const out = d.workflowVersionName
    ? await omics.send(new GetWorkflowVersionCommand({ workflowId: d.workflowId, versionName: d.workflowVersionName }))
    : await omics.send(new GetWorkflowCommand({ id: d.workflowId }));
  return out.parameterTemplate as Record<string, TemplateParameter> | undefined;
}

function batchRunGroup(option: string | undefined, column: string | undefined) {
  if (option !== undefined && column !== undefined && option !== column) {
    throw new CliError(`--run-group-id ${option} differs from the sample sheet's runGroupId column (${column})`);
  }
  return option ?? column;
}

/** `<outputUri>/batch-settings/<name>-<time>.json`: beside the batch's outputs, never overwriting an earlier one. */
export function defaultSettingsUri(outputUri: string, name = 'batch') {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${outputUri.replace(/\/+$/, '')}/batch-settings/${name.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.json`;
}

async function uploadInputs(store: ObjectStore, uploads: Map<string, string>, concurrency: number, report: Reporter) {
  const failures = await eachLimited(uploads, concurrency, async ([file, uri]) => {
    const info = await copyFileToStore(store, file, uri);
    report.info(`upload: ${file} to ${uri} (${info.size} bytes)`);
  });
  if (failures.length > 0) {
    const lines = failures.map(({ item, error }) => `  ${item[0]}: ${(error as Error).message}`);
    throw new CliError(`${failures.length} of ${uploads.size} inputs could not be uploaded; nothing was submitted:\n${lines.join('\n')}`);
  }
}
