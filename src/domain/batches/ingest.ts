import type { Logger } from 'pino';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { ObjectChangedError, ObjectNotFoundError, parseS3Uri } from '../../objectstore/object-store.js';
import { JsonArrayFormatError, readJsonArrayElementsWithOffsets } from '../../settings/json-array-reader.js';
import type { BatchEntryTable, NewEntry } from '../../store/store.js';
import type { BatchRecord } from '../model.js';
import { P_TEXT } from '../validation.js';

export const MAX_RUNS_PER_BATCH = 100_000;
const FLUSH_ROWS = 1000;
const FLUSH_BYTES = 4 * 1024 * 1024;

/** A batch-level failure with the text GetBatch shows as failureReason. */
export class BatchFailure extends Error {}

export const INVALID_JSON = 'Invalid JSON format in run configurations';
export const TRANSIENT = 'There was a transient error in the service. Retry the batch.';

export const settingsChanged = (expected: string | undefined, actual: string) =>
  `Expected s3UriConfigs etag: ${expected} but was: ${actual}. s3UriConfigs have changed since calling StartRunBatch`;

const validRunSettingId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 128 && P_TEXT.test(v);

/**
 * PENDING: reads the run list (inline, or the settings file streamed and pinned to the ETag recorded
 * at acceptance), stores one entry per element in bounded chunks, and checks the batch-level rules:
 * at most 100,000 entries, every runSettingId present and unique. Starts from scratch when repeated.
 */
export async function ingestBatch(batch: BatchRecord, entries: Pick<BatchEntryTable, 'clear' | 'insert'>, objects: ObjectStore, log: Logger): Promise<number> {
  await entries.clear(batch.id);
  let count = 0;
  let distinct = 0;
  let buffered: NewEntry[] = [];
  let bytes = 0;
  const flush = async () => {
    if (buffered.length) distinct += await entries.insert(batch.id, buffered);
    buffered = [];
    bytes = 0;
  };
  /** Stores one entry: its JSON text (inline) or its byte range in the settings file. */
  const accept = async (value: unknown, entry: Omit<NewEntry, 'seq' | 'runSettingId'>) => {
    count++;
    if (count > MAX_RUNS_PER_BATCH) return;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BatchFailure(INVALID_JSON);
    const runSettingId = (value as Record<string, unknown>).runSettingId;
    // An entry without a usable runSettingId is counted but cannot be unique: the batch fails below.
    if (!validRunSettingId(runSettingId)) return;
    buffered.push({ seq: count, runSettingId, ...entry });
    bytes += entry.setting?.length ?? 64;
    if (buffered.length >= FLUSH_ROWS || bytes >= FLUSH_BYTES) await flush();
  };

  if (batch.inlineSettings) {
    for (const entry of batch.inlineSettings) await accept(entry, { setting: JSON.stringify(entry) });
  } else {
    const loc = parseS3Uri(batch.s3Uri!, 's3UriSettings');
    try {
      const { body } = await objects.read(loc, { ifMatch: batch.s3Etag });
      for await (const element of readJsonArrayElementsWithOffsets(body)) {
        if (count >= MAX_RUNS_PER_BATCH) {
          count++; // past the limit the entries are only counted, for the failure message
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(element.text);
        } catch {
          throw new BatchFailure(INVALID_JSON);
        }
        // The entry's text is not copied into the store: submission reads it again from the pinned object.
        await accept(value, { start: element.start, end: element.end });
      }
    } catch (err) {
      if (err instanceof ObjectChangedError) {
        throw new BatchFailure(settingsChanged(err.expected, err.actual));
      }
      if (err instanceof JsonArrayFormatError) throw new BatchFailure(INVALID_JSON);
      if (err instanceof BatchFailure) throw err;
      if (err instanceof ObjectNotFoundError) {
        throw new BatchFailure(settingsChanged(batch.s3Etag, 'none (the object was deleted)'));
      }
      throw err;
    }
  }
  await flush();
  if (count > MAX_RUNS_PER_BATCH) throw new BatchFailure(`Batch has ${count} runs but ${MAX_RUNS_PER_BATCH} runs is the max.`);
  if (count === 0) throw new BatchFailure('Batch has 0 runs but at least 1 run is required.');
  if (distinct !== count) throw new BatchFailure(`Expected ${count} unique runSettingIds but there were ${distinct}`);
  log.debug({ batchId: batch.id, count }, 'batch run list ingested');
  return count;
}
