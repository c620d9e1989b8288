import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  GetBatchCommand, StartRunBatchCommand,
  type GetRunResponse, type InlineSetting, type OmicsClient, type StartRunBatchCommandInput, type StartRunBatchResponse,
} from '@aws-sdk/client-omics';
import { copyFileToStore, parseS3Uri, type ObjectStore } from '../../objectstore/index.js';
import { readJsonArrayElements } from '../../settings/json-array-reader.js';
import { CliError } from '../client/errors.js';
import { batchFailures } from './failures.js';
import type { Entry } from './sample-sheet.js';
import { SettingsWriter } from './settings-writer.js';
import { defaultSettingsUri, SETTINGS_URI_TAG, type Reporter } from './start.js';

/** The tag a retry batch carries: the id of the batch it retries. */
export const RETRY_OF_TAG = 'omicsd:retry-of';

export interface RetryOptions {
  includeCancelled: boolean;
  /** The original entries, when the batch's own tag does not name them: a local JSON array file or an s3:// URI. */
  settings?: string;
  settingsUri?: string;
}

/**
 * Starts a new batch of exactly the failed entries (and cancelled ones when asked) of `batchId`, with
 * its defaults. Entries come from the original settings (the batch's settings-file tag, or
 * `--settings`); without them, a failed run's settings are read back from GetRun, which can't
 * recover an entry that never became a run (docs/cli.md, "batch retry").
 */
export async function retryBatch(
  omics: OmicsClient,
  objects: () => ObjectStore,
  batchId: string,
  o: RetryOptions,
  report: Reporter,
): Promise<StartRunBatchResponse | undefined> {
  const batch = await omics.send(new GetBatchCommand({ batchId }));
  const source = o.settings ?? batch.tags?.[SETTINGS_URI_TAG];
  let store: ObjectStore | undefined;
  const objectStore = () => (store ??= objects());
  const settings = await SettingsWriter.create();
  try {
    // The runSettingIds still without settings; without a source, a failed run's entry is built from the
    // GetRun answer the failures walk already has.
    const failed = new Set<string>();
    for await (const f of batchFailures(omics, batchId, { includeCancelled: o.includeCancelled })) {
      if (!source && f.run) await settings.add(entryOf(f.runSettingId, f.run, batch.defaultRunSetting?.outputUri));
      else failed.add(f.runSettingId);
    }
    if (failed.size === 0 && settings.count === 0) {
      report.info(`batch ${batchId} has no failed${o.includeCancelled ? ' or cancelled' : ''} entries: nothing to retry`);
      return undefined;
    }
    if (source) await copyOriginalEntries(source, objectStore, failed, settings);
    await settings.finish();
    const missing = [...failed];
    if (missing.length > 0) {
      throw new CliError(`${missing.length} failed entries have no settings to retry them with (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}): `
        + (source ? `they are not in ${source}` : 'they never became runs, and an inline batch keeps no copy of its entries; give the original entries with --settings FILE'));
    }
    const tags: Record<string, string> = { ...batch.tags, [RETRY_OF_TAG]: batchId };
    delete tags[SETTINGS_URI_TAG];
    const input: StartRunBatchCommandInput = {
      batchName: `${batch.name ?? `batch-${batchId}`}`.slice(0, 58) + '-retry',
      requestId: randomUUID(),
      tags,
      defaultRunSetting: batch.defaultRunSetting,
      batchRunSettings: { inlineSettings: settings.head as InlineSetting[] },
    };
    if (!settings.fitsInline) {
      const uri = o.settingsUri ?? defaultSettingsUri(batch.defaultRunSetting?.outputUri ?? missingOutputUri(), input.batchName);
      await copyFileToStore(objectStore(), settings.file, uri);
      input.batchRunSettings = { s3UriSettings: uri };
      input.tags = { ...tags, [SETTINGS_URI_TAG]: uri };
    }
    report.info(`retrying ${settings.count} entries of batch ${batchId}`);
    return await omics.send(new StartRunBatchCommand(input));
  } finally {
    await settings.dispose();
    await store?.close();
  }
}

function missingOutputUri(): never {
  throw new CliError('the batch has no default outputUri: give --settings-uri for the retry batch\'s settings file');
}

/** Streams the original settings file and keeps the entries still in `failed` (removing each one found). */
async function copyOriginalEntries(source: string, objects: () => ObjectStore, failed: Set<string>, out: SettingsWriter) {
  const body = source.startsWith('s3://') ? (await objects().read(parseS3Uri(source, 'settings'))).body : createReadStream(source);
  try {
    for await (const text of readJsonArrayElements(body)) {
      const entry = JSON.parse(text) as Entry;
      if (typeof entry?.runSettingId === 'string' && failed.delete(entry.runSettingId)) await out.add(entry);
    }
  } finally {
    (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
}

/** A failed run's entry, read back from the run: its name, priority, outputUri and merged parameters and tags. */
function entryOf(runSettingId: string, run: GetRunResponse, defaultOutputUri: string | undefined): Entry {
  const entry: Entry = { runSettingId };
  if (run.name !== undefined) entry.name = run.name;
  if (run.priority !== undefined) entry.priority = run.priority;
  if (run.outputUri !== undefined && run.outputUri !== defaultOutputUri) entry.outputUri = run.outputUri;
  if (run.parameters !== undefined) entry.parameters = run.parameters as Record<string, unknown>;
  if (run.tags !== undefined && Object.keys(run.tags).length > 0) entry.runTags = run.tags;
  return entry;
}
