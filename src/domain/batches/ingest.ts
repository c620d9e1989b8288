import type { Logger } from 'pino';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { ObjectChangedError, ObjectNotFoundError, parseS3Uri } from '../../objectstore/object-store.js';
import {
  ElementLocator, JsonArrayFormatError, describePosition, findJsonSyntaxError, readJsonArrayElementsWithOffsets, type LocatedElement,
} from '../../settings/json-array-reader.js';
import type { BatchEntryTable, NewEntry } from '../../store/store.js';
import type { BatchRecord } from '../model.js';
import { P_TEXT } from '../validation.js';

export const MAX_RUNS_PER_BATCH = 100_000;
const FLUSH_ROWS = 1000;
const FLUSH_BYTES = 4 * 1024 * 1024;
/** Longest failureReason: lists in it are cut to fit. */
export const MAX_FAILURE_REASON = 1000;
/** How many entries without a valid runSettingId, duplicated ids, and entries per duplicated id are named. */
const NAMED = 5;

/** A batch-level failure with the text GetBatch shows as failureReason. */
/**
 * A batch-level failure. `reason` is the documented failureReason text, exactly (clients match on it);
 * the message says what is wrong and where, and becomes GetBatch's statusMessage (docs/batches.md).
 */
export class BatchFailure extends Error {
  constructor(readonly reason: string, detail?: string) {
    super(detail ?? reason);
  }
}

export const INVALID_JSON = 'Invalid JSON format in run configurations';
export const TRANSIENT = 'There was a transient error in the service. Retry the batch.';
const NOT_OBJECTS = 'the settings file must be a JSON array of objects';

/**
 * The category code a batch failure carries in its event (docs/events.md): the text names the
 * category, as the documented failureReason templates do.
 */
export function failureCategory(reason: string): 'VALIDATION_EXCEPTION' | 'S3_CONFIGURATION_CHANGED' | 'INTERNAL_SERVER_ERROR' {
  if (reason === TRANSIENT) return 'INTERNAL_SERVER_ERROR';
  if (reason.startsWith('Expected s3UriConfigs etag:')) return 'S3_CONFIGURATION_CHANGED';
  return 'VALIDATION_EXCEPTION';
}

export const settingsChanged = (expected: string | undefined, actual: string) =>
  `Expected s3UriConfigs etag: ${expected} but was: ${actual}. s3UriConfigs have changed since calling StartRunBatch`;

const validRunSettingId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 128 && P_TEXT.test(v);

/** `an object`, `a string`, … for a parsed JSON value. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'object': return 'an object';
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'a boolean';
    default: return typeof v;
  }
}

/** A value quoted for a message, long strings shortened. */
function quote(v: string, max = 64): string {
  return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
}

/** `0, 3 and 2 more` */
function indexList(indexes: number[], total: number): string {
  const more = total - indexes.length;
  return indexes.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** What is wrong with an entry's runSettingId, by its index. */
function badIdText(index: number, id: unknown): string {
  if (id === undefined) return `entry ${index} has no runSettingId`;
  if (typeof id === 'string') return `entry ${index} has an invalid runSettingId ${quote(id)} (1 to 128 printable characters)`;
  return `entry ${index} has an invalid runSettingId: ${kindOf(id)} instead of a string`;
}

interface Duplicated {
  id: string;
  /** Indexes (0-based) named: the first entry of the id, then its first duplicates. */
  indexes: number[];
  /** All entries of the id seen so far. */
  total: number;
}

/**
 * What breaks the unique-runSettingId rule, kept in bounded memory: the first few entries without a
 * valid id and the first few duplicated ids are named; beyond those only counts are kept (a
 * duplicated id is told apart from the next one by the seq of its first entry, a number).
 */
class UniquenessReport {
  private readonly badIds: string[] = [];
  private badIdCount = 0;
  private readonly duplicated = new Map<number, Duplicated>(); // by the seq of the id's first entry
  private readonly otherDuplicated = new Set<number>();

  badId(index: number, id: unknown): void {
    if (this.badIds.length < NAMED) this.badIds.push(badIdText(index, id));
    this.badIdCount++;
  }

  /** Entries that insert ignored (their runSettingId was stored before): `firstSeq` is the seq of the stored one. */
  duplicate(id: string, seq: number, firstSeq: number): void {
    const named = this.duplicated.get(firstSeq);
    if (named) {
      if (named.indexes.length < NAMED) named.indexes.push(seq - 1);
      named.total++;
    } else if (this.duplicated.size < NAMED) {
      this.duplicated.set(firstSeq, { id, indexes: [firstSeq - 1, seq - 1], total: 2 });
    } else {
      this.otherDuplicated.add(firstSeq);
    }
  }

  /** The details after `Expected n unique runSettingIds but there were m`, naming as much as fits in `room` characters. */
  text(room: number): string {
    const dups = [...this.duplicated.values()].sort((x, y) => x.indexes[0] - y.indexes[0]);
    for (let badShown = this.badIds.length, dupShown = dups.length; ; ) {
      const parts = this.badIds.slice(0, badShown);
      if (this.badIdCount > badShown) parts.push(`and ${this.badIdCount - badShown} more ${this.badIdCount - badShown === 1 ? 'entry' : 'entries'} without a valid runSettingId`);
      if (dups.length) {
        const named = dups.slice(0, dupShown).map((d) => `${quote(d.id, 128)} (entries ${indexList(d.indexes, d.total)})`);
        const more = dups.length - dupShown + this.otherDuplicated.size;
        parts.push(`duplicated: ${named.join(', ')}${more > 0 ? `${named.length ? ' and' : ''} ${more} more` : ''}`);
      }
      const text = parts.join('; ');
      if (text.length <= room || (badShown === 0 && dupShown === 0)) return text.length <= room ? text : `${text.slice(0, room - 1)}…`;
      if (dupShown > 0 && (dupShown >= badShown || badShown === 0)) dupShown--;
      else badShown--;
    }
  }

  get empty(): boolean {
    return this.badIdCount === 0 && this.duplicated.size === 0;
  }
}

/** The settings-file text for a problem at a place in the file. */
const invalidJson = (detail: string) => new BatchFailure(INVALID_JSON, `${INVALID_JSON}: ${detail}`.slice(0, MAX_FAILURE_REASON));

function formatFailure(err: JsonArrayFormatError): BatchFailure {
  if (err.found !== undefined) {
    return invalidJson(`${NOT_OBJECTS}; found ${err.found}${err.position ? ` at ${describePosition(err.position)}` : ''}`);
  }
  return invalidJson(err.message);
}

/**
 * PENDING: reads the run list (inline, or the settings file streamed and pinned to the ETag recorded
 * at acceptance), stores one entry per element in bounded chunks, and checks the batch-level rules:
 * at most 100,000 entries, every runSettingId present and unique. Starts from scratch when repeated.
 * A failure names what is wrong and where (element index, runSettingId, and for a settings file the
 * byte offset, line and column), within MAX_FAILURE_REASON characters.
 */
export async function ingestBatch(
  batch: BatchRecord,
  entries: Pick<BatchEntryTable, 'clear' | 'insert' | 'firstSeqOf'>,
  objects: ObjectStore,
  log: Logger,
  /** Waits for the ingest's next turn of the event loop; called after each stored chunk, so requests get in between. */
  pause: () => Promise<void> = async () => {},
  /** Told the size of each run setting read (its JSON text, or its bytes in the settings file). */
  countBytes: (bytes: number) => void = () => {},
): Promise<number> {
  await entries.clear(batch.id);
  let count = 0;
  let distinct = 0;
  let buffered: NewEntry[] = [];
  let bytes = 0;
  const report = new UniquenessReport();
  const flush = async () => {
    if (buffered.length) {
      const { added, ignored } = await entries.insert(batch.id, buffered);
      distinct += added;
      if (ignored.length) {
        // Each ignored entry repeats a runSettingId stored before: find where that one is.
        const bySeq = new Map(buffered.map((e) => [e.seq, e.runSettingId]));
        const ids = ignored.map((seq) => bySeq.get(seq)!);
        const first = await entries.firstSeqOf(batch.id, [...new Set(ids)]);
        ignored.forEach((seq, i) => report.duplicate(ids[i], seq, first.get(ids[i]) ?? seq));
      }
    }
    buffered = [];
    bytes = 0;
    await pause();
  };
  /**
   * Stores one entry: its JSON text (inline) or its byte range in the settings file. `notObject`
   * makes the failure for an element that is not an object.
   */
  const accept = async (value: unknown, entry: Omit<NewEntry, 'seq' | 'runSettingId'>, notObject: (kind: string) => BatchFailure) => {
    count++;
    countBytes(entry.setting?.length ?? (entry.end ?? 0) - (entry.start ?? 0));
    if (count > MAX_RUNS_PER_BATCH) return;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notObject(kindOf(value));
    const runSettingId = (value as Record<string, unknown>).runSettingId;
    // An entry without a usable runSettingId is counted but cannot be unique: the batch fails below.
    if (!validRunSettingId(runSettingId)) {
      report.badId(count - 1, runSettingId);
      return;
    }
    buffered.push({ seq: count, runSettingId, ...entry });
    bytes += entry.setting?.length ?? 64;
    if (buffered.length >= FLUSH_ROWS || bytes >= FLUSH_BYTES) await flush();
  };

  if (batch.inlineSettings) {
    for (const entry of batch.inlineSettings) {
      await accept(entry, { setting: JSON.stringify(entry) }, (kind) => new BatchFailure(INVALID_JSON, `${INVALID_JSON}: the run configurations must be objects; element ${count - 1} is ${kind}`));
    }
  } else {
    const loc = parseS3Uri(batch.s3Uri!, 's3UriSettings');
    const locator = new ElementLocator();
    /** Where element (index `count`) begins, or where in it JSON.parse failed. */
    const where = (element: LocatedElement, index = 0) => describePosition(locator.position(element, index));
    try {
      const { body } = await objects.read(loc, { ifMatch: batch.s3Etag });
      for await (const element of readJsonArrayElementsWithOffsets(body, { locator })) {
        if (count >= MAX_RUNS_PER_BATCH) {
          count++; // past the limit the entries are only counted, for the failure message
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(element.text);
        } catch (err) {
          const found = findJsonSyntaxError(element.text);
          throw invalidJson(found ? `${found.problem} at ${where(element, found.index)}`
            : `${(err as Error).message} in the element starting at ${where(element)}`);
        }
        // The entry's text is not copied into the store: submission reads it again from the pinned object.
        await accept(value, { start: element.start, end: element.end }, (kind) => invalidJson(`${NOT_OBJECTS}; element ${count - 1} is ${kind} at ${where(element)}`));
      }
    } catch (err) {
      if (err instanceof ObjectChangedError) {
        throw new BatchFailure(settingsChanged(err.expected, err.actual));
      }
      if (err instanceof JsonArrayFormatError) throw formatFailure(err);
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
  if (distinct !== count) {
    const head = `Expected ${count} unique runSettingIds but there were ${distinct}`;
    throw new BatchFailure(head, report.empty ? head : `${head}: ${report.text(MAX_FAILURE_REASON - head.length - 2)}`);
  }
  log.debug({ batchId: batch.id, count }, 'batch run list ingested');
  return count;
}
