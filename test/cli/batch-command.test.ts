// `omicsd batch …` (src/cli/batch-command.ts) run as a user runs it, as child processes of the
// built CLI against real servers this file starts: sample sheets in (inline and settings-file
// routes, typed columns, problems reported by line), watch's exit codes, failures, retry, export,
// the listing commands, and a 100,000-row sheet started with a small heap.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  CancelRunBatchCommand, GetRunCommand, ListBatchCommand, paginateListBatch,
  type GetRunCommandOutput, type OmicsClient, type RunBatchListItem,
} from '@aws-sdk/client-omics';
import { parse as parseCsv } from 'csv-parse/sync';
import { FsObjectStore, parseS3Uri } from '../../src/objectstore/index.js';
import { getBatch, submitted, waitBatch, waitBatchStatus } from '../support/batches.js';
import { clientCli, clientCliOk, showCli, writeSampleSheet, type ClientCliResult } from '../support/batch-cli.js';
import { ROLE } from '../support/client.js';
import { allBatchEntries, allRuns } from '../support/lists.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

/** The workflow's inputs: a required string, and optional ones of each type a sheet column can have. */
const INPUTS = {
  msg: { type: 'string', inputBinding: { position: 1 } },
  n: { type: 'int?' },
  flag: { type: 'boolean?' },
  ratio: { type: 'float?' },
  opts: { type: 'Any?' },
  reads: { type: 'File?' },
};
const OUT = 's3://out/cli/';
const UPLOAD = 's3://inputs/up/';
const fail = (reason: string, runningMs = 10) => ({ outcome: 'FAILED', failureReason: reason, runningMs });

let server: RunningServer;
let client: OmicsClient;
let workflowId: string;
let dir: string;

before(async () => {
  // Fast simulated runs, unthrottled submission and API: nothing here waits on a rate.
  server = await startServer(['--sim-run-ms', '50', '--start-run-rate', '0', '--api-rate', '0']);
  client = server.client;
  workflowId = await createWorkflow(client, { name: 'cli-wf', definitionZip: definitionZip({ 'main.cwl': cwlTool('echo', { inputs: INPUTS }) }) },
    { minDelay: 0.05, maxDelay: 0.2 });
  dir = tempDir('omicsd-cli-batch-');
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

/** `omicsd <args> --endpoint <the server>`. */
const cli = (args: string[], o: Parameters<typeof clientCli>[1] = {}) => clientCli([...args, '--endpoint', server.url], o);
const cliOk = (args: string[], code = 0) => clientCliOk([...args, '--endpoint', server.url], code);

/** `batch start` of `sheet` with the workflow, role, output and data dir of this file's server. */
const startArgs = (sheet: string, ...more: string[]) => [
  'batch', 'start', '--workflow-id', workflowId, '--role-arn', ROLE, '--output-uri', OUT, '--data-dir', server.dataDir, '--sample-sheet', sheet, ...more,
];

/** Starts a batch from `sheet`; returns its id (the one line on stdout). */
async function start(sheet: string, ...more: string[]): Promise<string> {
  const r = await cliOk(startArgs(sheet, ...more));
  assert.match(r.stdout, /^\d+\n$/, showCli(startArgs(sheet, ...more), r));
  return r.stdout.trim();
}

const sheetPath = (name: string) => path.join(dir, name);
const ids = (entries: RunBatchListItem[]) => entries.map((e) => e.runSettingId!);
const getRun = (id: string) => client.send(new GetRunCommand({ id }));

/** GetRun of every run of `entries` (16 at a time), by run id. */
async function runsOf(entries: RunBatchListItem[]): Promise<Map<string, GetRunCommandOutput>> {
  const out = new Map<string, GetRunCommandOutput>();
  const withRuns = entries.filter((e) => e.runId);
  for (let i = 0; i < withRuns.length; i += 16) {
    await Promise.all(withRuns.slice(i, i + 16).map(async (e) => out.set(e.runId!, await getRun(e.runId!))));
  }
  return out;
}

/** Batches with this name (ListBatch's name filter, every page). */
async function batchesNamed(name: string) {
  const items = [];
  for await (const page of paginateListBatch({ client, pageSize: 100 }, { name })) items.push(...(page.items ?? []));
  return items;
}

/** The embedded object store of the server's data dir (read beside the running server, as `omicsd s3` does). */
const store = () => new FsObjectStore(path.join(server.dataDir, 'objects'));

/** The last progress line `batch watch` printed to (non-TTY) stderr. */
const lastProgress = (r: ClientCliResult) => r.stderr.trim().split('\n').filter((l) => / batch \d+ /.test(l)).at(-1) ?? '';

interface Row {
  runSettingId: string;
  name: string;
  msg: string;
  n: string;
  flag: string;
  ratio: string;
  opts: string;
  reads: string;
  cohort: string;
  project: string;
}

describe('batch start: a sheet of 30 rows goes inline', () => {
  /** An input file given by absolute path, outside the sheet's folder. */
  const OUTSIDE = path.join(tempDir('omicsd-cli-outside-'), 'outside.txt');
  // Every typed column, empty cells (parameter omitted, so the --parameters default applies), quoting,
  // local :file inputs shared by several rows (uploaded once), s3:// file inputs, and tag columns.
  const HEADER = ['runSettingId', 'name', 'msg', 'n:integer', 'flag:boolean', 'ratio:number', 'opts:json', 'reads:file', 'tag:cohort', 'tag:project'];
  const rows: Row[] = Array.from({ length: 30 }, (_, i) => ({
    runSettingId: `sample-${String(i).padStart(2, '0')}`,
    name: i % 5 === 0 ? '' : `run ${i}`,
    msg: i % 7 === 3 ? '' : `hello, "world" ${i}`,
    n: i % 4 === 1 ? '' : String(i * 10 - 50),
    flag: ['true', 'false', 'yes', 'NO'][i % 4],
    ratio: i % 3 === 0 ? '1.5e2' : `${i}.25`,
    opts: i % 2 === 1 ? JSON.stringify({ k: [i, 'x'], nested: { b: true } }) : '',
    reads: ['inputs/a.txt', 'inputs/deep/b.txt', 's3://refs/genome/hg38.fa', '', OUTSIDE][i % 5],
    cohort: i < 15 ? 'A' : 'B',
    project: i % 10 === 0 ? 'special' : '',
  }));
  const expectedParameters = (r: Row) => {
    const p: Record<string, unknown> = { msg: r.msg || 'default message', n: r.n === '' ? 7 : Number(r.n) };
    p.flag = { true: true, false: false, yes: true, no: false }[r.flag.toLowerCase()];
    p.ratio = Number(r.ratio);
    if (r.opts) p.opts = JSON.parse(r.opts);
    // A file outside the sheet's folder is uploaded under its base name.
    if (r.reads) p.reads = r.reads.startsWith('s3://') ? r.reads : `${UPLOAD}${r.reads === OUTSIDE ? 'outside.txt' : r.reads}`;
    return p;
  };
  let batchId: string;

  test('every row becomes one run with the typed parameters, name and tags of its row; batch watch exits 0', async () => {
    const sheet = writeSampleSheet(sheetPath('thirty.csv'), HEADER, rows.length,
      (i) => [rows[i].runSettingId, rows[i].name, rows[i].msg, rows[i].n, rows[i].flag, rows[i].ratio, rows[i].opts, rows[i].reads, rows[i].cohort, rows[i].project]);
    fs.mkdirSync(sheetPath('inputs/deep'), { recursive: true });
    fs.writeFileSync(sheetPath('inputs/a.txt'), 'reads a\n');
    fs.writeFileSync(sheetPath('inputs/deep/b.txt'), 'reads bb\n');
    fs.writeFileSync(OUTSIDE, 'outside\n');

    const args = startArgs(sheet, '--name', 'thirty', '--tags', 'owner=lab', 'purpose=cli-test', '--run-tags', 'project=p1', 'team=omics',
      '--parameters', '{"msg":"default message","n":7}', '--upload-uri', UPLOAD);
    const r = await cliOk(args);
    assert.match(r.stdout, /^\d+\n$/, showCli(args, r));
    batchId = r.stdout.trim();
    // Each distinct local file is uploaded once, under --upload-uri at its path relative to the sheet.
    assert.equal(r.stderr.match(/^upload: /gm)?.length, 3, r.stderr);
    assert.match(r.stderr, /upload: .*inputs\/a\.txt to s3:\/\/inputs\/up\/inputs\/a\.txt \(8 bytes\)/);
    assert.match(r.stderr, /upload: .*inputs\/deep\/b\.txt to s3:\/\/inputs\/up\/inputs\/deep\/b\.txt \(9 bytes\)/);
    const objects = store();
    assert.equal((await objects.head({ bucket: 'inputs', key: 'up/inputs/a.txt' })).size, 8);
    assert.equal((await objects.head({ bucket: 'inputs', key: 'up/inputs/deep/b.txt' })).size, 9);
    assert.equal((await objects.head({ bucket: 'inputs', key: 'up/outside.txt' })).size, 8);

    const watched = await cliOk(['batch', 'watch', batchId, '--interval', '0.05']);
    assert.match(lastProgress(watched), new RegExp(`batch ${batchId} PROCESSED: submitted 30/30 \\(0 failed\\); runs .*completed 30, failed 0, cancelled 0`));

    const batch = await getBatch(client, batchId);
    assert.equal(batch.status, 'PROCESSED');
    assert.equal(batch.name, 'thirty');
    assert.equal(batch.totalRuns, 30);
    assert.deepEqual(batch.tags, { owner: 'lab', purpose: 'cli-test' }, 'an inline batch has no settings-uri tag');
    assert.deepEqual(batch.defaultRunSetting!.parameters, { msg: 'default message', n: 7 });
    assert.deepEqual(batch.defaultRunSetting!.runTags, { project: 'p1', team: 'omics' });

    const entries = await allBatchEntries(client, batchId);
    assert.deepEqual(ids(entries), rows.map((x) => x.runSettingId), 'one entry per row, in the order of the sheet');
    assert.ok(entries.every((e) => e.submissionStatus === 'SUCCESS' && e.runId), JSON.stringify(entries));
    const runs = await runsOf(entries);
    for (const [i, e] of entries.entries()) {
      const row = rows[i];
      const run = runs.get(e.runId!)!;
      assert.equal(run.status, 'COMPLETED');
      assert.deepEqual(run.parameters, expectedParameters(row), `parameters of ${row.runSettingId}`);
      assert.deepEqual(run.tags, { project: row.project || 'p1', team: 'omics', cohort: row.cohort }, `tags of ${row.runSettingId}`);
      assert.equal(run.name, row.name || undefined, `name of ${row.runSettingId}`);
    }
    // The types as JSON sees them, spelled out once.
    const typed = runs.get(entries[5].runId!)!.parameters as Record<string, unknown>;
    assert.equal(typeof typed.n, 'number');
    assert.equal(typeof typed.flag, 'boolean');
    assert.equal(typeof typed.ratio, 'number');
    assert.deepEqual(typed.opts, { k: [5, 'x'], nested: { b: true } });
  });

  test('batch retry of a batch with nothing failed starts nothing', async () => {
    const r = await cliOk(['batch', 'retry', batchId, '--data-dir', server.dataDir]);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`batch ${batchId} has no failed entries: nothing to retry`));
    assert.deepEqual(await batchesNamed('thirty-retry'), []);
  });

  test('batch cancel of a finished batch fails with the API error, exit 1', async () => {
    const r = await cli(['batch', 'cancel', batchId]);
    assert.equal(r.code, 1, showCli(['batch', 'cancel', batchId], r));
    assert.match(r.stderr, /^omicsd: ConflictException: .*PROCESSED/m);
    assert.equal((await getBatch(client, batchId)).status, 'PROCESSED');
  });
});

describe('batch start: a sheet of 250 rows goes through a settings file', () => {
  test('the settings file is uploaded and named in the omicsd:settings-uri tag; every entry is submitted', async () => {
    const sheet = writeSampleSheet(sheetPath('cohort-250.csv'), ['runSettingId', 'msg', 'n:integer'], 250, (i) => [`r${i}`, `message ${i}`, i]);
    const args = startArgs(sheet, '--name', 'cohort 250', '--tags', 'owner=lab', '--output', 'json');
    const r = await cliOk(args);
    // --output json prints the StartRunBatch response.
    const started = JSON.parse(r.stdout) as { id: string; arn: string; status: string; uuid: string; tags: Record<string, string> };
    assert.match(started.id, /^\d+$/);
    assert.match(started.arn, new RegExp(`:runBatch/${started.id}$`));
    const settingsUri = started.tags['omicsd:settings-uri'];
    // Under --output-uri, the batch name made safe for a key.
    assert.match(settingsUri, /^s3:\/\/out\/cli\/batch-settings\/cohort_250-[\w-]+\.json$/);
    assert.match(r.stderr, new RegExp(`settings: 250 runs in ${settingsUri.replace(/[.]/g, '\\.')} \\(\\d+ bytes\\)`));

    const b = await waitBatch(client, started.id, (x) => submitted(x) === 250, 60_000, 'all 250 submitted');
    assert.deepEqual(b.tags, { owner: 'lab', 'omicsd:settings-uri': settingsUri });
    assert.equal(b.totalRuns, 250);
    assert.deepEqual(b.submissionSummary, { successfulStartSubmissionCount: 250, failedStartSubmissionCount: 0, pendingStartSubmissionCount: 0 });

    // The settings object is in the embedded store: a JSON array of the 250 entries, in sheet order.
    const loc = parseS3Uri(settingsUri, 'settings');
    const { body } = await store().read(loc);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Buffer));
    const settings = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { runSettingId: string; parameters: object }[];
    assert.equal(settings.length, 250);
    assert.deepEqual(settings[7], { runSettingId: 'r7', parameters: { msg: 'message 7', n: 7 } });
    assert.deepEqual(ids(await allBatchEntries(client, started.id)), settings.map((s) => s.runSettingId));
  });
});

describe('batch start: sheets with problems submit nothing', () => {
  const rejected = async (name: string, header: string | null, lines: string[], ...more: string[]) => {
    const sheet = sheetPath(name);
    fs.writeFileSync(sheet, [...(header === null ? [] : [header]), ...lines].join('\n') + (lines.length || header !== null ? '\n' : ''));
    const batchName = `rejected-${name.replace(/\W/g, '_')}`;
    const args = startArgs(sheet, '--name', batchName, ...more);
    const r = await cli(args);
    assert.equal(r.code, 1, showCli(args, r));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^omicsd: the sample sheet has problems; nothing was submitted:\n/);
    assert.deepEqual(await batchesNamed(batchName), [], 'no batch was created');
    // Every problem line is `  <file>:<line>: <message>`.
    const problems = r.stderr.split('\n').slice(1).filter(Boolean);
    for (const p of problems) assert.match(p, new RegExp(`^  (${name.replace(/[.]/g, '\\.')}:\\d+: |… and \\d+ more$)`));
    return problems;
  };
  const onLine = (problems: string[], file: string, line: number) => problems.filter((p) => p.startsWith(`  ${file}:${line}: `));

  test('row problems are each reported with their line; the clean rows are not', async () => {
    const before = (await client.send(new ListBatchCommand({}))).items?.length;
    fs.writeFileSync(sheetPath('present.txt'), 'x');
    const problems = await rejected('rows.csv', 'runSettingId,msg,n:integer,flag:boolean,opts:json,reads:file,outputUri,priority', [
      /* 2 */ 'a,ok,1,true,{},,,',
      /* 3 */ 'b,too,many,columns,here,x,y,z,extra',
      /* 4 */ 'c,fine,2,false,,missing.txt,,',
      /* 5 */ 'a,dup,3,true,,,,',
      /* 6 */ 'd,x,notanint,maybe,{bad,,,',
      /* 7 */ ',noid,1,true,,,,',
      /* 8 */ 'e,local,1,true,,present.txt,http://x/y,high',
      /* 9 */ 'f,fine,3,true,"{""a"": [1, 2]}",,s3://out/f/,7',
    ]);
    assert.equal(onLine(problems, 'rows.csv', 2).length, 0, problems.join('\n'));
    assert.match(onLine(problems, 'rows.csv', 3).join('\n'), /expected 8 columns as in the header, found 9/);
    assert.match(onLine(problems, 'rows.csv', 4).join('\n'), /column "reads:file": no such local file: .*missing\.txt/);
    assert.deepEqual(onLine(problems, 'rows.csv', 5), ['  rows.csv:5: duplicate runSettingId "a" (first on line 2)']);
    const six = onLine(problems, 'rows.csv', 6).join('\n');
    assert.match(six, /column "n:integer": expected a whole number, got "notanint"/);
    assert.match(six, /column "flag:boolean": expected true or false, got "maybe"/);
    assert.match(six, /column "opts:json": expected JSON/);
    assert.deepEqual(onLine(problems, 'rows.csv', 7), ['  rows.csv:7: the runSettingId is empty']);
    const eight = onLine(problems, 'rows.csv', 8).join('\n');
    assert.match(eight, /present\.txt is a local file: give --upload-uri/);
    assert.match(eight, /column "outputUri": expected an s3:\/\/ URI/);
    assert.match(eight, /column "priority": expected a whole number from 0 to 100000, got "high"/);
    assert.equal(onLine(problems, 'rows.csv', 9).length, 0, problems.join('\n'));
    assert.equal(problems.length, 10, problems.join('\n'));
    assert.equal((await client.send(new ListBatchCommand({}))).items?.length, before, 'ListBatch shows no new batch');
  });

  // The reader waits on I/O between rows (the stat of line 3's local :file input), so csv-parse has
  // already failed on line 6 while lines 4 and 5 are still buffered: they must be checked all the same.
  test('a malformed row (an unclosed quote) is reported with its line, and the rows before it are still checked', async () => {
      const problems = await rejected('malformed.csv', 'runSettingId,msg,n:integer,reads:file', [
        /* 2 */ 'a,ok,1,',
        /* 3 */ 'a,dup,2,missing.txt',
        /* 4 */ 'b,x,notanint,',
        /* 5 */ 'c,y,nope,',
        /* 6 */ 'd,"unclosed,3,',
      ]);
      assert.equal(onLine(problems, 'malformed.csv', 2).length, 0, problems.join('\n'));
      assert.match(onLine(problems, 'malformed.csv', 3).join('\n'), /duplicate runSettingId "a" \(first on line 2\)/);
      assert.deepEqual(onLine(problems, 'malformed.csv', 4), ['  malformed.csv:4: column "n:integer": expected a whole number, got "notanint"']);
      assert.deepEqual(onLine(problems, 'malformed.csv', 5), ['  malformed.csv:5: column "n:integer": expected a whole number, got "nope"']);
      // csv-parse names the line where the quoted field began; nothing after it can be read.
      assert.match(onLine(problems, 'malformed.csv', 6).join('\n'), /Quote Not Closed/);
    });

  test('header problems (unknown parameter, unknown type, missing required parameter) stop before the rows', async () => {
    const problems = await rejected('header.csv', 'runSettingId,bogus,n:integer,ratio:float,runSettingId', ['a,1,notanint,1', 'b,2,3,4']);
    assert.ok(problems.length > 0 && problems.every((p) => p.startsWith('  header.csv:1: ')), problems.join('\n'));
    const text = problems.join('\n');
    assert.match(text, /unknown parameter "bogus": the workflow's parameters are flag, msg, n, opts, ratio, reads/);
    assert.match(text, /column "ratio:float": unknown type "float"/);
    assert.match(text, /column "runSettingId" appears twice/);
    assert.match(text, /required parameter "msg" has no column and no default \(--parameters\)/);
  });

  test('a required parameter given by --parameters needs no column; an unknown one is still refused', async () => {
    const problems = await rejected('unknown.csv', 'sample,colour', ['a,red'], '--parameters', '{"msg":"m"}');
    assert.deepEqual(problems, ['  unknown.csv:1: unknown parameter "colour": the workflow\'s parameters are flag, msg, n, opts, ratio, reads']);
  });

  test('an empty sheet, a sheet with no rows, and one with more problems than are listed', async () => {
    assert.deepEqual(await rejected('empty.csv', null, []), ['  empty.csv:1: the sample sheet is empty: it needs a header row and one row per run']);
    assert.deepEqual(await rejected('no-rows.csv', 'runSettingId,msg', []), ['  no-rows.csv:1: the sample sheet has a header but no rows']);
    const many = await rejected('many.csv', 'runSettingId,msg,n:integer', Array.from({ length: 60 }, (_, i) => `r${i},m,x${i}`));
    assert.equal(many.length, 51);
    assert.equal(many[0], '  many.csv:2: column "n:integer": expected a whole number, got "x0"');
    assert.equal(many[49], '  many.csv:51: column "n:integer": expected a whole number, got "x49"');
    assert.equal(many[50], '  … and 10 more');
  });
});

describe('batch watch: exit codes', () => {
  test('0 when every entry COMPLETED (batch start --watch, a TSV sheet named by its sample column)', async () => {
    // Written as a spreadsheet may save it: a byte-order mark and CRLF line ends.
    const sheet = sheetPath('tsv-batch.tsv');
    fs.writeFileSync(sheet, `\ufeff${['sample\tmsg\tn:integer', ...[0, 1, 2].map((i) => `S${i}\ttab, separated ${i}\t${i}`)].join('\r\n')}\r\n`);
    const args = startArgs(sheet, '--watch', '--interval', '0.05');
    const r = await cliOk(args);
    const id = r.stdout.trim();
    assert.match(id, /^\d+$/);
    assert.match(lastProgress(r), new RegExp(`batch ${id} PROCESSED: submitted 3/3 .*completed 3, failed 0`));
    const entries = await allBatchEntries(client, id);
    assert.deepEqual(ids(entries), ['S0', 'S1', 'S2']);
    assert.deepEqual((await getRun(entries[1].runId!)).parameters, { msg: 'tab, separated 1', n: 1 });
  });

  test('1 when some runs fail (and when the batch was cancelled: see batch cancel below)', async () => {
    const sheet = writeSampleSheet(sheetPath('some-fail.csv'), ['runSettingId', 'msg', '__omicsd_simulate:json'], 4,
      (i) => [`f${i}`, 'm', i % 2 ? JSON.stringify(fail(`boom ${i}`)) : '']);
    const started = await cli(startArgs(sheet, '--watch', '--interval', '0.05'));
    assert.equal(started.code, 1, showCli(['batch', 'start', '--watch'], started));
    const id = started.stdout.trim();
    assert.match(lastProgress(started), /PROCESSED: submitted 4\/4 \(0 failed\); runs .*completed 2, failed 2, cancelled 0/);
    const watched = await cli(['batch', 'watch', id, '--interval', '0.05']);
    assert.equal(watched.code, 1, showCli(['batch', 'watch', id], watched));
    assert.match(lastProgress(watched), /completed 2, failed 2/);
  });

  test('2 for an unknown batch id, and for an endpoint nothing listens on', async () => {
    const unknown = await cli(['batch', 'watch', '987654321', '--interval', '0.05']);
    assert.equal(unknown.code, 2, showCli(['batch', 'watch', '987654321'], unknown));
    assert.match(unknown.stderr, /^omicsd: ResourceNotFoundException: /m);

    // A port that was just free: connections are refused.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const args = ['batch', 'watch', '1', '--interval', '0.05', '--endpoint', `http://127.0.0.1:${port}`];
    const down = await clientCli(args);
    assert.equal(down.code, 2, showCli(args, down));
    assert.match(down.stderr, /^omicsd: .*ECONNREFUSED/m);
  });
});

describe('batch failures and batch retry', () => {
  test('inline batch, 5 of 30 runs failed: failures lists them, retry starts exactly those 5', async () => {
    const failing = new Set([3, 8, 13, 21, 29]);
    const sheet = writeSampleSheet(sheetPath('retry-30.csv'), ['runSettingId', 'msg', 'n:integer', '__omicsd_simulate:json', 'tag:row'], 30,
      (i) => [`x${i}`, `m${i}`, i, failing.has(i) ? JSON.stringify(fail(`boom ${i}`)) : '', String(i)]);
    const id = await start(sheet, '--name', 'retry-30', '--tags', 'owner=lab', '--parameters', '{"n":1}');
    const watched = await cli(['batch', 'watch', id, '--interval', '0.05']);
    assert.equal(watched.code, 1, showCli(['batch', 'watch', id], watched));
    const failedIds = [...failing].map((i) => `x${i}`);

    const f = await cliOk(['batch', 'failures', id, '--output', 'json']);
    const failures = (JSON.parse(f.stdout) as { failures: { runSettingId: string; runId: string; stage: string; reason: string; message: string }[] }).failures;
    assert.deepEqual(failures.map((x) => x.runSettingId), failedIds);
    const entries = await allBatchEntries(client, id);
    for (const x of failures) {
      const i = x.runSettingId.slice(1);
      assert.deepEqual(x, { runSettingId: `x${i}`, runId: entries.find((e) => e.runSettingId === x.runSettingId)!.runId, stage: 'FAILED', reason: `boom ${i}`, message: `boom ${i}` });
    }
    const table = await cliOk(['batch', 'failures', id]);
    const tableLines = table.stdout.trimEnd().split('\n');
    assert.match(tableLines[0], /^runSettingId\s+runId\s+stage\s+reason\s+message$/);
    assert.equal(tableLines.length, 6);
    const text = await cliOk(['batch', 'failures', id, '--output', 'text']);
    assert.deepEqual(text.stdout.trimEnd().split('\n').map((l) => l.split('\t')), failures.map((x) => [x.runSettingId, x.runId, x.stage, x.reason, x.message]));

    const r = await cliOk(['batch', 'retry', id, '--data-dir', server.dataDir]);
    assert.match(r.stdout, /^\d+\n$/);
    assert.match(r.stderr, new RegExp(`retrying 5 entries of batch ${id}`));
    const retryId = r.stdout.trim();
    const original = await getBatch(client, id);
    const retry = await getBatch(client, retryId);
    assert.deepEqual(retry.tags, { owner: 'lab', 'omicsd:retry-of': id });
    assert.equal(retry.name, 'retry-30-retry');
    assert.equal(retry.totalRuns, 5);
    assert.deepEqual(retry.defaultRunSetting, original.defaultRunSetting, 'the original defaults');
    await waitBatchStatus(client, retryId, ['PROCESSED'], 30_000);
    const retried = await allBatchEntries(client, retryId);
    assert.deepEqual(ids(retried), failedIds);
    // Each retried run was started with what the original entry said (read back from its failed run).
    const before = await runsOf(entries.filter((e) => failing.has(Number(e.runSettingId!.slice(1)))));
    const now = await runsOf(retried);
    for (const e of retried) {
      const old = before.get(entries.find((x) => x.runSettingId === e.runSettingId)!.runId!)!;
      const run = now.get(e.runId!)!;
      assert.deepEqual(run.parameters, old.parameters);
      assert.deepEqual(run.tags, old.tags);
      assert.equal(run.status, 'FAILED', 'the same plan fails again');
    }
  });

  let mixedId: string;
  const MIXED_FAILING = (i: number) => i % 2 === 0 && i < 230;

  test('settings-file batch of 250: 115 failed runs and 1 failed submission are retried from the tagged settings file', async () => {
    const header = ['runSettingId', 'msg', 'outputUri', '__omicsd_simulate:json'];
    // Row 101's outputUri passes the sheet's check (an s3:// URI) but not omicsd's: its StartRun fails.
    const sheet = writeSampleSheet(sheetPath('mixed-250.csv'), header, 250,
      (i) => [`m${i}`, `msg ${i}`, i === 101 ? 's3://out/a/../b' : '', MIXED_FAILING(i) ? JSON.stringify(fail(`bad ${i}`)) : '']);
    mixedId = await start(sheet, '--name', 'mixed');
    const watched = await cli(['batch', 'watch', mixedId, '--interval', '0.1']);
    assert.equal(watched.code, 1, showCli(['batch', 'watch', mixedId], watched));
    assert.match(lastProgress(watched), /PROCESSED: submitted 250\/250 \(1 failed\); runs .*completed 134, failed 115, cancelled 0/);

    const f = JSON.parse((await cliOk(['batch', 'failures', mixedId, '--output', 'json'])).stdout) as { failures: { runSettingId: string; stage: string; reason?: string; message?: string; runId?: string }[] };
    // Failed submissions first, then failed runs, each in entry order.
    assert.deepEqual(f.failures[0].runSettingId, 'm101');
    assert.equal(f.failures[0].stage, 'submission');
    assert.equal(f.failures[0].reason, 'ValidationException');
    assert.match(f.failures[0].message!, /outputUri/);
    assert.equal(f.failures[0].runId, undefined);
    const expected = Array.from({ length: 250 }, (_, i) => i).filter(MIXED_FAILING).map((i) => `m${i}`);
    assert.deepEqual(f.failures.slice(1).map((x) => x.runSettingId), expected);
    assert.ok(f.failures.slice(1).every((x) => x.stage === 'FAILED'));

    const r = await cliOk(['batch', 'retry', mixedId, '--data-dir', server.dataDir]);
    const retryId = r.stdout.trim();
    const retry = await waitBatch(client, retryId, (b) => b.totalRuns === 116, 30_000, 'totalRuns 116');
    // 116 entries are more than go inline: the retry has its own settings file, and says what it retries.
    const retryUri = retry.tags!['omicsd:settings-uri'];
    assert.match(retryUri, /^s3:\/\/out\/cli\/batch-settings\/mixed-retry-[\w-]+\.json$/);
    assert.equal(retry.tags!['omicsd:retry-of'], mixedId);
    assert.notEqual(retryUri, (await getBatch(client, mixedId)).tags!['omicsd:settings-uri']);
    await waitBatchStatus(client, retryId, ['PROCESSED'], 60_000);
    const retried = await allBatchEntries(client, retryId);
    assert.deepEqual(new Set(ids(retried)), new Set(['m101', ...expected]));
    assert.equal(retried.length, 116);
    // m101 came from the settings file with its own outputUri (it never became a run to read back), and fails the same way.
    const m101 = retried.find((e) => e.runSettingId === 'm101')!;
    assert.equal(m101.submissionStatus, 'FAILED');
    assert.match(m101.submissionFailureMessage!, /outputUri/);
  });

  test('batch export: one row per runSettingId, matching ListRunsInBatch and GetRun, as CSV and JSON', async () => {
    const entries = await allBatchEntries(client, mixedId);
    const runs = await runsOf(entries);
    const out = path.join(dir, 'export.csv');
    const csvRun = await cliOk(['batch', 'export', mixedId, '--format', 'csv', '--out', out]);
    assert.equal(csvRun.stdout, '');
    const csv = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const jsonRun = await cliOk(['batch', 'export', mixedId, '--format', 'json']);
    const json = JSON.parse(jsonRun.stdout) as Record<string, string | undefined>[];

    const columns = ['runSettingId', 'runId', 'submissionStatus', 'submissionFailureReason', 'runStatus', 'failureReason', 'runOutputUri', 'startTime', 'stopTime'];
    assert.deepEqual(Object.keys(csv[0]), columns);
    assert.equal(csv.length, 250);
    assert.equal(json.length, 250);
    assert.equal(new Set(csv.map((r) => r.runSettingId)).size, 250, 'every runSettingId once');
    assert.deepEqual(csv.map((r) => r.runSettingId), ids(entries));
    for (const [i, e] of entries.entries()) {
      const run = e.runId ? runs.get(e.runId) : undefined;
      const want = {
        runSettingId: e.runSettingId, runId: e.runId, submissionStatus: e.submissionStatus, submissionFailureReason: e.submissionFailureReason,
        runStatus: run?.status, failureReason: run?.failureReason, runOutputUri: run?.runOutputUri,
        startTime: run?.startTime?.toISOString(), stopTime: run?.stopTime?.toISOString(),
      };
      assert.deepEqual(json[i], JSON.parse(JSON.stringify(want)), `json row ${i}`);
      assert.deepEqual(csv[i], Object.fromEntries(columns.map((c) => [c, want[c as keyof typeof want] ?? ''])), `csv row ${i}`);
    }
    const bad = json.find((r) => r.runSettingId === 'm101')!;
    assert.deepEqual(bad, { runSettingId: 'm101', submissionStatus: 'FAILED', submissionFailureReason: 'ValidationException' });
    assert.equal(json.filter((r) => r.runStatus === 'FAILED').length, 115);
    assert.equal(json.filter((r) => r.runStatus === 'COMPLETED').length, 134);
  });

  test('inline batch with a failed submission: retry needs the original entries, and takes them from --settings FILE', async () => {
    const rows = [
      { runSettingId: 'v1', parameters: { msg: 'one' } },
      { runSettingId: 'v2', outputUri: 's3:///no-bucket', parameters: { msg: 'two', n: 2 } },
      { runSettingId: 'v3', parameters: { msg: 'three' } },
    ];
    const sheet = writeSampleSheet(sheetPath('inline-submission.csv'), ['runSettingId', 'outputUri', 'msg', 'n:integer'], rows.length,
      (i) => [rows[i].runSettingId, rows[i].outputUri ?? '', rows[i].parameters.msg, (rows[i].parameters as { n?: number }).n ?? '']);
    const id = await start(sheet, '--name', 'inline-submission');
    await waitBatchStatus(client, id, ['PROCESSED'], 30_000);

    const without = await cli(['batch', 'retry', id, '--data-dir', server.dataDir]);
    assert.equal(without.code, 1, showCli(['batch', 'retry', id], without));
    assert.match(without.stderr, /omicsd: 1 failed entries have no settings to retry them with \(v2\): they never became runs.*--settings FILE/);
    assert.deepEqual(await batchesNamed('inline-submission-retry'), []);

    const settings = path.join(dir, 'inline-submission.json');
    fs.writeFileSync(settings, JSON.stringify(rows));
    const r = await cliOk(['batch', 'retry', id, '--settings', settings, '--data-dir', server.dataDir]);
    const retryId = r.stdout.trim();
    const retry = await waitBatchStatus(client, retryId, ['PROCESSED'], 30_000);
    assert.equal(retry.tags!['omicsd:retry-of'], id);
    assert.equal(retry.totalRuns, 1);
    const [entry] = await allBatchEntries(client, retryId);
    assert.equal(entry.runSettingId, 'v2');
    assert.equal(entry.submissionStatus, 'FAILED');
    assert.match(entry.submissionFailureMessage!, /outputUri.*s3:\/\/\/no-bucket.*the bucket name is missing/);
  });
});

describe('batch ls, get, cancel, delete-runs, delete', () => {
  test('ls and get: json is the API shape; table and text show the same values', async () => {
    const sheet = writeSampleSheet(sheetPath('listing.csv'), ['runSettingId', 'msg'], 2, (i) => [`l${i}`, 'm']);
    const id = await start(sheet, '--name', 'listing');
    const b = await waitBatchStatus(client, id, ['PROCESSED'], 30_000);

    const ls = JSON.parse((await cliOk(['batch', 'ls', '--output', 'json'])).stdout) as { items: Record<string, unknown>[] };
    const api = JSON.parse(JSON.stringify((await client.send(new ListBatchCommand({}))).items));
    assert.deepEqual(new Set(ls.items.map((x) => x.id)), new Set(api.map((x: { id: string }) => x.id)));
    assert.deepEqual(ls.items.find((x) => x.id === id), api.find((x: { id: string }) => x.id === id));
    const named = JSON.parse((await cliOk(['batch', 'ls', '--name', 'listing', '--output', 'json'])).stdout) as { items: { id: string }[] };
    assert.deepEqual(named.items.map((x) => x.id), [id]);
    const limited = JSON.parse((await cliOk(['batch', 'ls', '--max-items', '2', '--output', 'json'])).stdout) as { items: unknown[] };
    assert.equal(limited.items.length, 2);

    const table = (await cliOk(['batch', 'ls', '--name', 'listing'])).stdout.trimEnd().split('\n');
    assert.match(table[0], /^id\s+name\s+status\s+totalRuns\s+workflowId\s+createdAt$/);
    assert.equal(table.length, 2);
    assert.deepEqual(table[1].split(/\s{2,}/), [id, 'listing', 'PROCESSED', '2', workflowId, b.creationTime!.toISOString()]);
    const text = (await cliOk(['batch', 'ls', '--name', 'listing', '--output', 'text'])).stdout;
    assert.equal(text, `${[id, 'listing', 'PROCESSED', '2', workflowId, b.creationTime!.toISOString()].join('\t')}\n`);

    const got = JSON.parse((await cliOk(['batch', 'get', id, '--output', 'json'])).stdout);
    const { $metadata: _, ...apiBatch } = await getBatch(client, id);
    assert.deepEqual(got, JSON.parse(JSON.stringify(apiBatch)));
    const getText = (await cliOk(['batch', 'get', id, '--output', 'text'])).stdout;
    const fields = new Map(getText.trimEnd().split('\n').map((l) => l.split('\t') as [string, string]));
    assert.equal(fields.get('id'), id);
    assert.equal(fields.get('status'), 'PROCESSED');
    assert.equal(fields.get('totalRuns'), '2');
    assert.deepEqual(JSON.parse(fields.get('submissionSummary')!), apiBatch.submissionSummary);
    const getTable = (await cliOk(['batch', 'get', id])).stdout;
    assert.match(getTable, new RegExp(`^id\\s+${id}$`, 'm'));
    assert.match(getTable, /^status\s+PROCESSED$/m);
  });

  test('with no AWS credentials anywhere the client signs with its placeholder key and still reaches omicsd', async () => {
    const r = await cli(['batch', 'ls', '--output', 'json', '--max-items', '1'], { credentials: false });
    assert.equal(r.code, 0, showCli(['batch', 'ls'], r));
    assert.equal((JSON.parse(r.stdout) as { items: unknown[] }).items.length, 1);
  });

  test('cancel stops a running batch (watch then exits 1); failures and retry --include-cancelled; delete-runs; delete', async () => {
    const sheet = writeSampleSheet(sheetPath('long.csv'), ['runSettingId', 'msg'], 3, (i) => [`c${i}`, 'm']);
    const params = path.join(dir, 'long-params.json');
    fs.writeFileSync(params, JSON.stringify({ __omicsd_simulate: { runningMs: 600_000 } }));
    const id = await start(sheet, '--name', 'long', '--parameters', `@${params}`);
    await waitBatch(client, id, (b) => b.runSummary?.runningRunCount === 3, 30_000, '3 runs RUNNING');

    const cancel = await cliOk(['batch', 'cancel', id]);
    assert.equal(cancel.stdout, '');
    assert.equal(cancel.stderr, `cancel: batch ${id} accepted\n`);
    const watched = await cli(['batch', 'watch', id, '--interval', '0.05']);
    assert.equal(watched.code, 1, showCli(['batch', 'watch', id], watched));
    assert.match(lastProgress(watched), new RegExp(`batch ${id} CANCELLED: .*cancelled 3`));
    assert.ok((await allRuns(client, { batchId: id })).every((r) => r.status === 'CANCELLED'));

    assert.deepEqual(JSON.parse((await cliOk(['batch', 'failures', id, '--output', 'json'])).stdout), { failures: [] });
    const withCancelled = JSON.parse((await cliOk(['batch', 'failures', id, '--include-cancelled', '--output', 'json'])).stdout) as { failures: { runSettingId: string; stage: string }[] };
    assert.deepEqual(withCancelled.failures.map((f) => [f.runSettingId, f.stage]), [['c0', 'CANCELLED'], ['c1', 'CANCELLED'], ['c2', 'CANCELLED']]);
    const none = await cliOk(['batch', 'retry', id, '--data-dir', server.dataDir]);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /has no failed entries: nothing to retry/);
    const retryId = (await cliOk(['batch', 'retry', id, '--include-cancelled', '--data-dir', server.dataDir])).stdout.trim();
    // Its runs would take 10 minutes: cancel it (CancelRunBatch is a conflict until the batch is past CREATING).
    await eventually(() => client.send(new CancelRunBatchCommand({ batchId: retryId })).then(() => true), 30_000, `batch ${retryId} cancelled`);
    assert.deepEqual(ids(await allBatchEntries(client, retryId)), ['c0', 'c1', 'c2']);
    assert.equal((await getBatch(client, retryId)).tags!['omicsd:retry-of'], id);

    const delRuns = await cliOk(['batch', 'delete-runs', id]);
    assert.equal(delRuns.stderr, `delete-runs: batch ${id} accepted\n`);
    await waitBatchStatus(client, id, ['RUNS_DELETED'], 30_000);
    assert.deepEqual(await allRuns(client, { batchId: id }), []);
    const del = await cliOk(['batch', 'delete', id]);
    assert.equal(del.stderr, `delete: batch ${id} accepted\n`);
    const gone = await cli(['batch', 'get', id]);
    assert.equal(gone.code, 1, showCli(['batch', 'get', id], gone));
    assert.match(gone.stderr, /^omicsd: ResourceNotFoundException: /m);
    await waitBatchStatus(client, retryId, ['CANCELLED'], 30_000);
  });
});

describe('batch start: a 100,000-row sheet with bounded memory', () => {
  // Measured on Node 20 (2 cores) with this sheet: the CLI's live heap peaks at about 27 MB (about
  // 21 MB of it the SDK and the CLI itself, the rest mostly the set of runSettingIds kept to find
  // duplicates); with --max-old-space-size=28 or less it runs out of memory, at 32 it completes
  // (GC-bound, ~14 s), at 64 it completes in ~3 s. 64 MB is twice the smallest limit that works,
  // far below what holding 100,000 entries (or the 8 MB settings file) in memory would need.
  const HEAP_MB = 64;

  test(`batch start under --max-old-space-size=${HEAP_MB}: the batch gets all 100,000 entries, then is cancelled`, async (t) => {
    // A server of its own, submitting slowly: this test is about the sheet and the settings file, not runs.
    const big = await startServer(['--start-run-rate', '1', '--sim-run-ms', '50']);
    t.after(() => big.stop());
    const wf = await createWorkflow(big.client, { name: 'big' }, { minDelay: 0.05, maxDelay: 0.2 });
    const sheet = writeSampleSheet(sheetPath('big.csv'), ['runSettingId', 'msg', 'n:integer'], 100_000,
      (i) => `s${String(i).padStart(6, '0')},message number ${i},${i}`);
    const args = ['batch', 'start', '--workflow-id', wf, '--role-arn', ROLE, '--output-uri', OUT, '--data-dir', big.dataDir,
      '--sample-sheet', sheet, '--name', 'big', '--endpoint', big.url];
    const r = await clientCli(args, { nodeArgs: [`--max-old-space-size=${HEAP_MB}`] });
    assert.equal(r.code, 0, showCli(args, r));
    const id = r.stdout.trim();
    assert.match(r.stderr, /settings: 100000 runs in s3:\/\/out\/cli\/batch-settings\/big-/);
    const b = await waitBatch(big.client, id, (x) => x.totalRuns === 100_000, 60_000, 'totalRuns 100000');
    assert.match(b.tags!['omicsd:settings-uri'], /^s3:\/\/out\/cli\/batch-settings\/big-/);
    const cancel = await clientCliOk(['batch', 'cancel', id, '--endpoint', big.url]);
    assert.equal(cancel.stderr, `cancel: batch ${id} accepted\n`);
    const done = await waitBatchStatus(big.client, id, ['CANCELLED'], 60_000);
    assert.equal(done.totalRuns, 100_000);
    assert.ok(submitted(done) < 100_000, 'cancelled long before all were submitted');
  });
});
