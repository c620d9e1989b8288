import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse';
import { SIMULATE_KEY } from '../../domain/runs/parameters.js';

/**
 * A sample sheet (CSV or TSV, one row per run) turned into batch entries (docs/cli.md, "Sample sheets").
 * Every problem is collected with its line number; the caller sends nothing unless there are none.
 */

export type ValueType = 'string' | 'number' | 'integer' | 'boolean' | 'json' | 'file';
const VALUE_TYPES: readonly ValueType[] = ['string', 'number', 'integer', 'boolean', 'json', 'file'];

/** What one row becomes: an InlineSetting of StartRunBatch (and one element of a settings file). */
export interface Entry {
  runSettingId: string;
  name?: string;
  outputUri?: string;
  priority?: number;
  outputBucketOwnerId?: string;
  parameters?: Record<string, unknown>;
  runTags?: Record<string, string>;
}

export interface SheetProblem {
  line: number;
  message: string;
}

export interface TemplateParameter {
  description?: string;
  optional?: boolean;
}

export interface SheetOptions {
  /** The workflow's parameterTemplate; undefined when the workflow has none to check against. */
  template?: Record<string, TemplateParameter>;
  /** Parameters every run gets from defaultRunSetting (they satisfy required parameters). */
  defaultParameters: Record<string, unknown>;
  /** `s3://bucket/prefix/` where local `:file` inputs are uploaded. */
  uploadUri?: string;
}

type Column =
  | { kind: 'id' | 'name' | 'outputUri' | 'priority' | 'outputBucketOwnerId' | 'runGroupId'; header: string }
  | { kind: 'tag'; header: string; key: string }
  | { kind: 'param'; header: string; key: string; type: ValueType };

const MEMBER_COLUMNS = ['name', 'outputUri', 'priority', 'outputBucketOwnerId', 'runGroupId'] as const;
/** Problems reported before giving up on listing more (the count of the rest is still given). */
const MAX_PROBLEMS = 50;

export class SampleSheet {
  readonly problems: SheetProblem[] = [];
  /** Problems not listed once MAX_PROBLEMS were. */
  moreProblems = 0;
  /** Local input files to upload: absolute path → the s3:// URI the parameter names. */
  readonly uploads = new Map<string, string>();
  /** The one run group of a `runGroupId` column (a batch has one: InlineSetting has no runGroupId). */
  runGroupId?: string;
  rows = 0;

  private readonly firstLineOfId = new Map<string, number>();
  private readonly pathOfUri = new Map<string, string>();
  private columns: Column[] = [];
  private runGroupLine = 0;

  constructor(private readonly file: string, private readonly o: SheetOptions) {}

  problem(line: number, message: string) {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line, message });
    else this.moreProblems++;
  }

  /** Streams the sheet's entries; rows with problems are recorded in `problems` and not yielded. */
  async *entries(): AsyncGenerator<Entry> {
    const delimiter = /\.(tsv|tab)$/i.test(this.file) ? '\t' : ',';
    const source = createReadStream(this.file);
    const parser = parse({ delimiter, bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true });
    // Records reach us through `records`, which ends (rather than fails) when the parse fails: the rows
    // parsed before a malformed one are still checked, and the parse error is reported after them.
    const records = new PassThrough({ objectMode: true });
    let failure: (Error & { lines?: number; syscall?: string }) | undefined;
    const stop = (err: Error) => {
      failure ??= err;
      records.end();
    };
    source.on('error', stop);
    parser.on('error', stop);
    parser.on('end', () => records.end());
    parser.on('data', (r) => {
      if (!records.write(r)) parser.pause();
    });
    records.on('drain', () => parser.resume());
    source.pipe(parser);
    let header = true;
    try {
      for await (const { record, info } of records as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (header) {
          header = false;
          this.readHeader(record, info.lines);
          if (this.problems.length > 0) return;
          continue;
        }
        this.rows++;
        if (record.length !== this.columns.length) {
          this.problem(info.lines, `expected ${this.columns.length} columns as in the header, found ${record.length}`);
          continue;
        }
        const entry = await this.readRow(record, info.lines);
        if (entry) yield entry;
      }
    } finally {
      source.destroy();
      parser.destroy();
      records.destroy();
    }
    if (failure) {
      if (failure.syscall) throw new Error(`cannot read the sample sheet: ${failure.message}`);
      // csv-parse names the line of a malformed row (an unclosed quote); nothing after it can be read reliably.
      this.problem(failure.lines ?? 0, failure.message);
      return;
    }
    if (header) this.problem(1, 'the sample sheet is empty: it needs a header row and one row per run');
    else if (this.rows === 0) this.problem(1, 'the sample sheet has a header but no rows');
  }

  private readHeader(cells: string[], line: number) {
    const seen = new Set<string>();
    const hasRunSettingId = cells.includes('runSettingId');
    for (const header of cells) {
      if (header === '') {
        this.problem(line, 'a column has an empty header');
        continue;
      }
      if (seen.has(header)) this.problem(line, `column "${header}" appears twice`);
      seen.add(header);
      this.columns.push(this.column(header, hasRunSettingId, line));
    }
    if (!this.columns.some((c) => c.kind === 'id')) {
      this.problem(line, 'no runSettingId (or sample) column: each run needs an id unique in the batch');
    }
    const template = this.o.template;
    if (!template) return;
    const valid = Object.keys(template).sort();
    // The simulated executor's plan is no workflow input, and omicsd exempts it from the template check too.
    const unknown = this.columns.filter((c) => c.kind === 'param' && c.key !== SIMULATE_KEY && !Object.hasOwn(template, c.key));
    for (const c of unknown) {
      this.problem(line, `unknown parameter "${(c as { key: string }).key}": the workflow's parameters are ${valid.length ? valid.join(', ') : '(none)'}`);
    }
    const given = new Set(this.columns.flatMap((c) => (c.kind === 'param' ? [c.key] : [])));
    for (const [name, p] of Object.entries(template)) {
      if (p.optional !== true && !given.has(name) && !Object.hasOwn(this.o.defaultParameters, name)) {
        this.problem(line, `required parameter "${name}" has no column and no default (--parameters)`);
      }
    }
  }

  private column(header: string, hasRunSettingId: boolean, line: number): Column {
    if (header === 'runSettingId') return { kind: 'id', header };
    // `sample` names the runs when there is no runSettingId column; a workflow input called `sample` still gets it.
    if (header === 'sample' && !hasRunSettingId) return { kind: 'id', header };
    if ((MEMBER_COLUMNS as readonly string[]).includes(header)) return { kind: header as (typeof MEMBER_COLUMNS)[number], header };
    if (header.startsWith('tag:')) {
      const key = header.slice(4);
      if (key === '' || key.length > 128) this.problem(line, `column "${header}": a tag key is 1 to 128 characters`);
      return { kind: 'tag', header, key };
    }
    const colon = header.lastIndexOf(':');
    if (colon > 0) {
      const type = header.slice(colon + 1) as ValueType;
      if (VALUE_TYPES.includes(type)) return { kind: 'param', header, key: header.slice(0, colon), type };
      this.problem(line, `column "${header}": unknown type "${type}" (one of ${VALUE_TYPES.join(', ')})`);
      return { kind: 'param', header, key: header.slice(0, colon), type: 'string' };
    }
    return { kind: 'param', header, key: header, type: 'string' };
  }

  private async readRow(cells: string[], line: number): Promise<Entry | undefined> {
    const before = this.problems.length + this.moreProblems;
    const entry: Entry = { runSettingId: '' };
    const parameters: Record<string, unknown> = {};
    const tags: Record<string, string> = {};
    for (let i = 0; i < this.columns.length; i++) {
      const c = this.columns[i];
      const v = cells[i] ?? '';
      const bad = (message: string): undefined => void this.problem(line, `column "${c.header}": ${message}`);
      switch (c.kind) {
        case 'id':
          entry.runSettingId = v;
          if (c.header === 'sample' && this.o.template && Object.hasOwn(this.o.template, 'sample') && v !== '') parameters.sample = v;
          break;
        case 'name':
          if (v === '') break;
          if (v.length > 128) bad('a run name is at most 128 characters');
          entry.name = v;
          break;
        case 'outputUri':
          if (v === '') break;
          if (!v.startsWith('s3://') || v.length > 750) bad(`expected an s3:// URI of at most 750 characters, got "${v}"`);
          entry.outputUri = v;
          break;
        case 'priority':
          if (v === '') break;
          if (!/^\d+$/.test(v) || Number(v) > 100000) bad(`expected a whole number from 0 to 100000, got "${v}"`);
          entry.priority = Number(v);
          break;
        case 'outputBucketOwnerId':
          if (v === '') break;
          if (!/^\d{12}$/.test(v)) bad(`expected a 12-digit account id, got "${v}"`);
          entry.outputBucketOwnerId = v;
          break;
        case 'runGroupId':
          if (v === '') break;
          if (this.runGroupId === undefined) {
            this.runGroupId = v;
            this.runGroupLine = line;
          } else if (v !== this.runGroupId) {
            bad(`"${v}" differs from "${this.runGroupId}" on line ${this.runGroupLine}: every run of a batch is in the batch's one run group`);
          }
          break;
        case 'tag':
          if (v === '') break;
          if (v.length > 256) bad('a tag value is at most 256 characters');
          tags[c.key] = v;
          break;
        case 'param': {
          if (v === '') break;
          const value = await this.value(v, c.type, bad);
          if (value !== undefined) parameters[c.key] = value;
        }
      }
    }
    const id = entry.runSettingId;
    if (id === '') this.problem(line, 'the runSettingId is empty');
    else if (id.length > 128) this.problem(line, 'a runSettingId is at most 128 characters');
    else {
      const first = this.firstLineOfId.get(id);
      if (first !== undefined) this.problem(line, `duplicate runSettingId "${id}" (first on line ${first})`);
      else this.firstLineOfId.set(id, line);
    }
    if (this.o.template) {
      for (const [name, p] of Object.entries(this.o.template)) {
        const hasColumn = this.columns.some((c) => c.kind === 'param' && c.key === name);
        if (p.optional !== true && hasColumn && !(name in parameters) && !Object.hasOwn(this.o.defaultParameters, name)) {
          this.problem(line, `required parameter "${name}" is empty and has no default (--parameters)`);
        }
      }
    }
    if (this.problems.length + this.moreProblems > before) return undefined;
    if (Object.keys(parameters).length > 0) entry.parameters = parameters;
    if (Object.keys(tags).length > 0) entry.runTags = tags;
    return entry;
  }

  /** A cell as the JSON value its column's type says; undefined (and a problem) when it is not one. */
  private async value(v: string, type: ValueType, bad: (m: string) => undefined): Promise<unknown> {
    switch (type) {
      case 'string':
        return v;
      case 'number':
        if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v) && Number.isFinite(Number(v))) return Number(v);
        return bad(`expected a number, got "${v}"`);
      case 'integer':
        if (/^-?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
        return bad(`expected a whole number, got "${v}"`);
      case 'boolean': {
        const b = { true: true, false: false, yes: true, no: false }[v.toLowerCase()];
        if (b !== undefined) return b;
        return bad(`expected true or false, got "${v}"`);
      }
      case 'json':
        try {
          return JSON.parse(v);
        } catch {
          return bad(`expected JSON (a list like ["a","b"], an object, a number…), got ${JSON.stringify(v.slice(0, 80))}`);
        }
      case 'file':
        return this.localFile(v, bad);
    }
  }

  /** `s3://` URIs pass through; a local path (relative to the sheet) is uploaded under --upload-uri. */
  private async localFile(v: string, bad: (m: string) => undefined): Promise<string | undefined> {
    if (v.startsWith('s3://')) {
      if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/./.test(v)) return bad(`expected s3://bucket/key, got "${v}"`);
      return v;
    }
    const abs = path.resolve(path.dirname(this.file), v);
    const known = this.uploads.get(abs);
    if (known) return known;
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) return bad(`no such local file: ${abs}`);
    if (!this.o.uploadUri) return bad(`${v} is a local file: give --upload-uri s3://bucket/prefix/ for where local inputs go`);
    const rel = path.relative(path.dirname(this.file), abs);
    const key = rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(abs) : rel.split(path.sep).join('/');
    const uri = `${this.o.uploadUri.replace(/\/?$/, '/')}${key}`;
    const other = this.pathOfUri.get(uri);
    if (other) return bad(`${abs} and ${other} would both be uploaded to ${uri}; rename one or keep both under the sheet's folder`);
    this.pathOfUri.set(uri, abs);
    this.uploads.set(abs, uri);
    return uri;
  }
}
