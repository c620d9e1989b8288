// Property-based fuzzing of the whole HTTP surface (docs/api.md, docs/errors.md, docs/security.md):
// every operation gets malformed JSON, wrong member types, hostile numbers and strings, deep JSON,
// odd path labels, garbage query strings, wrong methods and content types, raw HTTP garbage — signed
// with a real key on a server with --credentials (so that they reach the operations), and raw on a
// server without. Whatever comes in: never a 5xx, every error in the AWS shape, the process alive
// with bounded memory; and afterwards, with valid batches, runs, cancels and deletes interleaved all
// along, the store's invariants hold (read from the SQLite file while the servers run).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CancelRunBatchCommand, CancelRunCommand, CreateRunGroupCommand, CreateWorkflowCommand, DeleteBatchCommand, DeleteRunBatchCommand,
  DeleteRunCommand, GetBatchCommand, GetRunCommand, GetRunGroupCommand, GetRunTaskCommand, GetWorkflowCommand, ListBatchCommand,
  ListRunGroupsCommand, ListRunsCommand, ListRunsInBatchCommand, ListRunTasksCommand, ListTagsForResourceCommand, ListWorkflowsCommand,
  StartRunBatchCommand, StartRunCommand, TagResourceCommand, UntagResourceCommand, UpdateRunGroupCommand, UpdateWorkflowCommand,
  type OmicsClient,
} from '@aws-sdk/client-omics';
import { readStore } from '../support/store.js';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { routes } from '../../src/api/routes.js';
import { ROLE, sdkClient } from '../support/client.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually, sleep } from '../support/wait.js';
import { createWorkflow, cwlTool, cwlZip } from '../support/workflows.js';
import { keyClient, queryString, sign, writeCredentials, type Key } from './helpers.js';
import { prng } from '../support/prng.js';

const SEED = 20261202;
fc.configureGlobal({ seed: SEED, numRuns: 100, endOnFailure: false, includeErrorInReport: true });
/** Cases per property; FUZZ_SCALE=2 doubles them all. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const A: Key = { accessKeyId: 'AKIAFUZZA0000000001', secretAccessKey: 'fuzz-a-secret', accountId: '111111111111' };
const B: Key = { accessKeyId: 'AKIAFUZZB0000000001', secretAccessKey: 'fuzz-b-secret', accountId: '222222222222' };
/** The account of the server without --credentials (`--account-id`, default). */
const OPEN_ACCOUNT = '123456789012';
const RSS_LIMIT_MB = 768;

// ---------------------------------------------------------------------------------------------
// The operations (docs/api.md; checked against src/api's route lists below).

interface Op {
  op: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path template: `{label}` segments. */
  path: string;
  query?: string[];
  /** A valid-looking body, given the ids the servers have. */
  body?: (p: Pool) => Record<string, unknown>;
}

interface Pool {
  account: string;
  workflows: string[];
  runGroups: string[];
  runs: string[];
  batches: string[];
  tasks: string[];
}

const pick = <T>(xs: T[], i: number, fallback: T) => (xs.length ? xs[i % xs.length] : fallback);
const sim = (i: number) => ({ msg: `m${i}`, __omicsd_simulate: { runningMs: (i * 37) % 300, outcome: i % 5 === 0 ? 'FAILED' : 'COMPLETED' } });

const OPS: Op[] = [
  {
    op: 'StartRunBatch', method: 'POST', path: '/runBatch',
    body: (p) => ({
      batchName: 'fuzz', requestId: `fz-${Math.random()}`, tags: { k: 'v' },
      defaultRunSetting: { workflowId: pick(p.workflows, 0, '1000001'), roleArn: ROLE, outputUri: 's3://fuzz/out/', parameters: sim(1), retentionMode: 'REMOVE' },
      batchRunSettings: { inlineSettings: [{ runSettingId: 'a', parameters: { msg: 'x' } }, { runSettingId: 'b', priority: 3 }] },
    }),
  },
  { op: 'GetBatch', method: 'GET', path: '/runBatch/{batchId}' },
  { op: 'ListBatch', method: 'GET', path: '/runBatch', query: ['maxItems', 'startingToken', 'status', 'name', 'runGroupId'] },
  { op: 'CancelRunBatch', method: 'POST', path: '/runBatch/cancel', body: (p) => ({ batchId: pick(p.batches, 0, '1000001') }) },
  { op: 'DeleteRunBatch', method: 'POST', path: '/runBatch/delete', body: (p) => ({ batchId: pick(p.batches, 1, '1000001') }) },
  { op: 'DeleteBatch', method: 'DELETE', path: '/runBatch/{batchId}' },
  { op: 'ListRunsInBatch', method: 'GET', path: '/runBatch/{batchId}/run', query: ['maxItems', 'startingToken', 'submissionStatus', 'runSettingId', 'runId'] },
  {
    op: 'StartRun', method: 'POST', path: '/run',
    body: (p) => ({
      workflowId: pick(p.workflows, 0, '1000001'), roleArn: ROLE, outputUri: 's3://fuzz/run/', parameters: sim(2), requestId: `fz-${Math.random()}`,
      name: 'fuzz-run', priority: 1, storageCapacity: 1200, logLevel: 'ALL', retentionMode: 'REMOVE', storageType: 'STATIC', tags: { a: 'b' },
    }),
  },
  { op: 'GetRun', method: 'GET', path: '/run/{id}', query: ['export'] },
  { op: 'ListRuns', method: 'GET', path: '/run', query: ['name', 'runGroupId', 'batchId', 'startingToken', 'maxResults', 'status'] },
  { op: 'CancelRun', method: 'POST', path: '/run/{id}/cancel' },
  { op: 'DeleteRun', method: 'DELETE', path: '/run/{id}' },
  { op: 'ListRunTasks', method: 'GET', path: '/run/{id}/task', query: ['status', 'startingToken', 'maxResults'] },
  { op: 'GetRunTask', method: 'GET', path: '/run/{id}/task/{taskId}' },
  {
    op: 'CreateWorkflow', method: 'POST', path: '/workflow',
    body: () => ({ name: 'fuzz-wf', definitionZip: Buffer.from(cwlZip()).toString('base64'), requestId: `fz-${Math.random()}`, main: 'main.cwl', engine: 'CWL' }),
  },
  { op: 'GetWorkflow', method: 'GET', path: '/workflow/{id}', query: ['type', 'export', 'workflowOwnerId'] },
  { op: 'GetWorkflowDefinition', method: 'GET', path: '/workflow/{id}/definition' },
  { op: 'ListWorkflows', method: 'GET', path: '/workflow', query: ['type', 'name', 'startingToken', 'maxResults'] },
  { op: 'UpdateWorkflow', method: 'POST', path: '/workflow/{id}', body: () => ({ name: 'fuzz-renamed', description: 'd', storageType: 'DYNAMIC', storageCapacity: 10, readmeMarkdown: '# r' }) },
  { op: 'DeleteWorkflow', method: 'DELETE', path: '/workflow/{id}' },
  { op: 'CreateRunGroup', method: 'POST', path: '/runGroup', body: () => ({ name: 'fuzz-rg', maxCpus: 4, maxRuns: 4, maxDuration: 60, maxGpus: 1, tags: { t: '1' }, requestId: `fz-${Math.random()}` }) },
  { op: 'GetRunGroup', method: 'GET', path: '/runGroup/{id}' },
  { op: 'ListRunGroups', method: 'GET', path: '/runGroup', query: ['name', 'startingToken', 'maxResults'] },
  { op: 'UpdateRunGroup', method: 'POST', path: '/runGroup/{id}', body: () => ({ name: 'fuzz-rg2', maxCpus: 8, maxRuns: 8, maxDuration: 120, maxGpus: 2 }) },
  { op: 'DeleteRunGroup', method: 'DELETE', path: '/runGroup/{id}' },
  {
    op: 'CreateWorkflowVersion', method: 'POST', path: '/workflow/{workflowId}/version',
    body: () => ({ versionName: `v${Math.floor(Math.random() * 1e6)}`, definitionZip: Buffer.from(cwlZip()).toString('base64'), requestId: `fz-${Math.random()}`, description: 'd' }),
  },
  { op: 'GetWorkflowVersion', method: 'GET', path: '/workflow/{workflowId}/version/{versionName}', query: ['type', 'export', 'workflowOwnerId'] },
  { op: 'ListWorkflowVersions', method: 'GET', path: '/workflow/{workflowId}/version', query: ['type', 'workflowOwnerId', 'startingToken', 'maxResults'] },
  { op: 'UpdateWorkflowVersion', method: 'POST', path: '/workflow/{workflowId}/version/{versionName}', body: () => ({ description: 'd2', storageType: 'DYNAMIC', storageCapacity: 10, readmeMarkdown: '# r' }) },
  { op: 'DeleteWorkflowVersion', method: 'DELETE', path: '/workflow/{workflowId}/version/{versionName}' },
  { op: 'CreateRunCache', method: 'POST', path: '/runCache', body: () => ({ cacheS3Location: 's3://fuzz/cache/', cacheBehavior: 'CACHE_ALWAYS', name: 'c', requestId: `fz-${Math.random()}`, tags: { t: '1' } }) },
  { op: 'GetRunCache', method: 'GET', path: '/runCache/{id}' },
  { op: 'ListRunCaches', method: 'GET', path: '/runCache', query: ['maxResults', 'startingToken'] },
  { op: 'UpdateRunCache', method: 'POST', path: '/runCache/{id}', body: () => ({ cacheBehavior: 'CACHE_ON_FAILURE', description: 'd', name: 'c2' }) },
  { op: 'DeleteRunCache', method: 'DELETE', path: '/runCache/{id}' },
  {
    op: 'CreateConfiguration', method: 'POST', path: '/configuration',
    body: () => ({ name: `cfg-${Math.floor(Math.random() * 1e6)}`, runConfigurations: { vpcConfig: { securityGroupIds: ['sg-1a'], subnetIds: ['subnet-1a'] } }, requestId: `fz-${Math.random()}` }),
  },
  { op: 'GetConfiguration', method: 'GET', path: '/configuration/{name}' },
  { op: 'ListConfigurations', method: 'GET', path: '/configuration', query: ['maxResults', 'startingToken'] },
  { op: 'DeleteConfiguration', method: 'DELETE', path: '/configuration/{name}' },
  {
    op: 'CreateShare', method: 'POST', path: '/share',
    body: (p) => ({ resourceArn: `arn:aws:omics:us-east-1:${p.account}:workflow/${pick(p.workflows, 0, '1000001')}`, principalSubscriber: '222222222222', shareName: 'fz' }),
  },
  { op: 'GetShare', method: 'GET', path: '/share/{shareId}' },
  { op: 'ListShares', method: 'POST', path: '/shares', query: ['nextToken', 'maxResults'], body: () => ({ resourceOwner: 'SELF', filter: { status: ['PENDING'], type: ['WORKFLOW'] } }) },
  { op: 'AcceptShare', method: 'POST', path: '/share/{shareId}' },
  { op: 'DeleteShare', method: 'DELETE', path: '/share/{shareId}' },
  { op: 'TagResource', method: 'POST', path: '/tags/{resourceArn}', body: () => ({ tags: { fuzz: 'yes' } }) },
  { op: 'UntagResource', method: 'DELETE', path: '/tags/{resourceArn}', query: ['tagKeys'] },
  { op: 'ListTagsForResource', method: 'GET', path: '/tags/{resourceArn}' },
];

/** A real id of the pool for a label, by label name. */
function realLabel(label: string, p: Pool, i: number): string {
  switch (label) {
    case 'batchId': return pick(p.batches, i, '1000001');
    case 'taskId': return pick(p.tasks, i, '1000001');
    case 'workflowId': return pick(p.workflows, i, '1000001');
    case 'versionName': return ['v1', 'v2', 'missing'][i % 3];
    case 'name': return ['cfg-a', 'cfg-b'][i % 2];
    case 'shareId': return '9b2f6a52-0d4e-4c1c-9a38-1d2b3c4d5e6f';
    case 'resourceArn': {
      const kinds: [string, string[]][] = [['workflow', p.workflows], ['run', p.runs], ['runGroup', p.runGroups], ['runBatch', p.batches]];
      const [type, ids] = kinds[i % kinds.length];
      return `arn:aws:omics:us-east-1:${p.account}:${type}/${pick(ids, i, '1000001')}`;
    }
    default: return pick([...p.runs, ...p.workflows, ...p.runGroups], i, '1000001');
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

const LONE = ['\ud800', '\udfff', 'a\ud800b', '\udc00\ud800'];
const NASTY = [
  '', ' ', '\u0000', 'x\u0000y', '\u202eevil\u202c', '\u200f\u05e9\u05dc\u05d5\u05dd', '🧬🧪👩‍🔬', '\ufeff', '\uffff', '\r\n', '%00', '%zz', '../../etc/passwd',
  "'; DROP TABLE runs; --", '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 's3://', 's3://b/../x', 's3://b/./x', 's3:// b/x',
  'file:///etc/passwd', 'NaN', 'Infinity', '-Infinity', '-0', '1e400', '0x10', ' 1', '1 ', '+1', '-1', '١٢٣', '１２３', 'null', 'true', '[]', '{}',
  'arn:aws:omics:us-east-1:111111111111:run/1000001', 'arn:aws:omics:us-east-1:222222222222:runBatch/1000001', 'arn:', 'arn:aws:omics:::/',
  '0001000001', '1000001', '999999999999999999', '9999999999999999999', '18446744073709551616', 'x'.repeat(129), 'é'.repeat(300),
];
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.constantFrom(...LONE) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9]{1,40}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 200_000 }).map((n) => 'ab'.repeat(n).slice(0, n)) },
);
/** Raw JSON number texts: what JSON.stringify cannot produce. */
const RAW_NUMBERS = ['1e400', '-1e400', '-0', '123456789012345678901234567890', '0.0000000000000000000001', '1E2', '1.0', '100001', '-1', '2147483648', '9007199254740993'];
const RAW = (text: string) => `@@RAW@@${text}@@`;
const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 100000, 100001, 2 ** 31, 2 ** 53 + 2, 1e21, -1e308, 0.5),
  fc.constantFrom(...RAW_NUMBERS).map(RAW),
);
/** A JSON value of any type, deep or wide. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => RAW('['.repeat(n) + ']'.repeat(n))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 120 }).map((n) => RAW('{"a":'.repeat(n) + '1' + '}'.repeat(n))) },
);

/** JSON text of `v`, with RAW(...) placeholders spliced in as raw text. */
function jsonText(v: unknown): string {
  return JSON.stringify(v).replace(/"@@RAW@@(.*?)@@"/g, (_m, t: string) => JSON.parse(`"${t}"`));
}

/** Sets `value` at a dotted member path of a copy of `body` (creating objects on the way). */
function setPath(body: Record<string, unknown>, at: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let o: any = copy;
  for (const k of at.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[at[at.length - 1]] = value;
  return copy;
}

/** Every member path of a body, nested ones included (array items by index). */
function memberPaths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [k, child] of Object.entries(v)) out.push(...memberPaths(child, [...prefix, k]));
  return out;
}

/** Odd path labels, already in wire form (percent-encoded or deliberately not). */
const oddLabel: fc.Arbitrary<(p: Pool, label: string) => string> = fc.oneof(
  fc.constantFrom('%zz', '%', '%e0%a4', '%ED%A0%80', '%00', '%2F', '%2e%2e', '..', '.', '%20', '+', '-1', '1e3', '%31%30%30%30%30%30%31', '0', '00',
    '%EF%BC%91', '%D9%A1', '%F0%9F%A7%AC', '%E2%80%AE1', 'arn%3Aaws%3Aomics%3Aus-east-1%3A111111111111%3Arun%2F1', '%C0%AE%C0%AE', '%u0031')
    .map((s) => () => s),
  fc.stringMatching(/^[0-9]{19,40}$/).map((s) => () => s),
  fc.nat().map((i) => (p: Pool, label: string) => `000${realLabel(label, p, i)}`),
  fc.nat().map((i) => (p: Pool, label: string) => encodeURIComponent(realLabel(label, p, i))),
  fc.nat().map((i) => (p: Pool, label: string) => encodeURIComponent(realLabel(label, p, i).replace(/[0-9]{12}/, i % 2 ? '111111111111' : '222222222222'))),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((s) => () => encodeURIComponent(s)),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }).map((bs) => () => bs.map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  fc.integer({ min: 4000, max: 5000 }).map((n) => () => '1'.repeat(n)),
);

/** Query keys: the operation's own, unknown ones and garbage. */
const queryKey = (own: string[]) => fc.oneof(
  { weight: 3, arbitrary: own.length ? fc.constantFrom(...own) : fc.constant('maxResults') },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'maxResults[]', 'a.b', 'X-Amz-Date', 'export', 'tagKeys', 'nextToken', 'MaxResults') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
);
const queryValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '100', '101', '1.5', '1e2', '0x10', ' 5', '5 ', '+5', '١', '99999999999999999999999', 'NaN', '', 'DEFINITION', 'README', 'RUNNING', 'PRIVATE',
    'READY2RUN', 'a.b.c', 'AAAA.BBBB.CCCC', 'zz.zz.zz', '1.abcdefgh.xxxxxxxxxxxxxxxx'),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: 100, max: 5000 }).map((n) => 'q'.repeat(n)),
);

/**
 * A zip of these entries. fflate takes its entries as an object, where `__proto__` cannot be an own
 * key: such names are written under a placeholder of the same length and renamed in the bytes.
 */
function zipWithNames(entries: [string, Uint8Array][]): Uint8Array {
  const PLACEHOLDER = '_PR0T0_X_';
  const named = entries.map(([n, b]): [string, Uint8Array] => [n.split('__proto__').join(PLACEHOLDER), b]);
  const zip = Buffer.from(zipSync(Object.fromEntries(named)));
  for (let at = zip.indexOf(PLACEHOLDER); at >= 0; at = zip.indexOf(PLACEHOLDER, at)) zip.write('__proto__', at, 'latin1');
  return zip;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP: requests written byte for byte on a socket, responses parsed by hand.

interface Resp {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

interface RawReq {
  method: string;
  /** Request target as sent (path and query, encoded or not). */
  target: string;
  headers: [string, string][];
  body?: Buffer;
  /** Everything instead of the above: bytes as they are. */
  raw?: Buffer;
}

function exchange(url: string, data: Buffer, ms = 20_000): Promise<Buffer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(Number(u.port), u.hostname, () => sock.end(data));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer within ${ms} ms`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    };
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', done);
    sock.on('close', done);
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return done();
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The first response in `buf` (Content-Length or chunked framing). */
function parseResponse(buf: Buffer): Resp | undefined {
  // Interim answers (100 Continue) come first: the response is the one after them.
  while (/^HTTP\/1\.[01] 1\d\d /.test(buf.subarray(0, 16).toString('latin1')) && buf.indexOf('\r\n\r\n') >= 0) buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const name = l.slice(0, l.indexOf(':')).trim().toLowerCase();
    if (!(name in headers)) headers[name] = l.slice(l.indexOf(':') + 1).trim();
  }
  let body = buf.subarray(end + 4);
  if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let rest = body;
    for (;;) {
      const nl = rest.indexOf('\r\n');
      const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(rest.subarray(nl + 2, nl + 2 + size));
      rest = rest.subarray(nl + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body, text: body.toString('utf8') };
}

async function rawSend(url: string, r: RawReq): Promise<Resp | undefined> {
  const data = r.raw ?? Buffer.concat([
    Buffer.from(`${r.method} ${r.target} HTTP/1.1\r\n${r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'utf8'),
    r.body ?? Buffer.alloc(0),
  ]);
  return parseResponse(await exchange(url, data));
}

/** Signs with `key` (the SDK's signer) and sends over a raw socket; `path` is the wire path, `query` decoded. */
async function signedSend(url: string, key: Key, method: string, wirePath: string, query: Record<string, string | string[]>, headers: Record<string, string>, body?: Buffer | string) {
  const signed = await sign(url, { method, path: wirePath, query, headers, body }, key);
  const qs = queryString(query);
  const h = Object.entries(signed.headers);
  h.push(['connection', 'close']);
  return rawSend(url, { method, target: wirePath + (qs ? `?${qs}` : ''), headers: h, body: body === undefined ? undefined : Buffer.from(body) });
}

// ---------------------------------------------------------------------------------------------
// What every answer must look like.

const KNOWN_TYPES = new Set(['ValidationException', 'ResourceNotFoundException', 'ConflictException', 'ThrottlingException', 'ServiceQuotaExceededException',
  'AccessDeniedException', 'UnknownOperationException', 'MissingAuthenticationTokenException', 'IncompleteSignatureException',
  'UnrecognizedClientException', 'InvalidSignatureException', 'RequestTimeoutException']);

/** What is wrong with an answer (empty: nothing). */
function problems(r: Resp | undefined, method: string): string[] {
  if (!r) return ['no HTTP response (connection closed without one)'];
  const p: string[] = [];
  if (!(r.status >= 200 && r.status < 500)) p.push(`status ${r.status}`);
  if (r.status >= 400) {
    const type = r.headers['x-amzn-errortype'];
    if (!type) p.push('no x-amzn-errortype header');
    else if (!KNOWN_TYPES.has(type)) p.push(`unexpected error type ${type}`);
    if (!r.headers['x-amzn-requestid']) p.push('no x-amzn-requestid header');
    if (method !== 'HEAD') {
      if (!/^application\/json/.test(r.headers['content-type'] ?? '')) p.push(`error content-type ${r.headers['content-type']}`);
      let json: any;
      try {
        json = JSON.parse(r.text);
      } catch {
        p.push(`non-JSON error body: ${r.text.slice(0, 120)}`);
      }
      if (json !== undefined) {
        if (!json || typeof json !== 'object' || typeof json.message !== 'string' || !json.message) p.push(`error body without message: ${r.text.slice(0, 120)}`);
        else if (json.__type !== `com.amazonaws.omics#${type}`) p.push(`__type ${json.__type} does not match x-amzn-errortype ${type}`);
      }
    }
  } else if (method !== 'HEAD' && /^application\/json/.test(r.headers['content-type'] ?? '') && r.body.length) {
    try {
      JSON.parse(r.text);
    } catch {
      p.push(`non-JSON success body: ${r.text.slice(0, 120)}`);
    }
  }
  return p;
}

/** Failures seen, by kind; FUZZ_COLLECT=1 logs them all and goes on instead of failing at the first. */
const COLLECT = process.env.FUZZ_COLLECT === '1';
const collected = new Map<string, { count: number; example: string }>();
/** Answers seen per property, by status and error type (printed at the end: what the cases reached). */
const tally = new Map<string, Map<string, number>>();
let property = '';
function expectOk(r: Resp | undefined, method: string, what: () => string) {
  const key = r ? `${r.status}${r.headers['x-amzn-errortype'] ? ` ${r.headers['x-amzn-errortype']}` : ''}` : 'none';
  if (!tally.has(property)) tally.set(property, new Map());
  tally.get(property)!.set(key, (tally.get(property)!.get(key) ?? 0) + 1);
  const p = problems(r, method);
  if (!p.length) return;
  const kind = `${p[0].replace(/[0-9]+/g, 'N').slice(0, 60)} (${r?.status} ${r?.headers['x-amzn-errortype'] ?? ''})`;
  const example = `${what()} → ${r ? `${r.status} ${r.text.slice(0, 300)}` : 'nothing'}`;
  if (COLLECT) {
    const c = collected.get(kind) ?? { count: 0, example };
    c.count++;
    collected.set(kind, c);
    return;
  }
  assert.fail(`${p.join('; ')}\n  request: ${example}`);
}

const show = (s: string, n = 300) => JSON.stringify(s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

// ---------------------------------------------------------------------------------------------
// The servers, the ids they hold, valid traffic all along, and the store's invariants.

interface Target {
  srv: RunningServer;
  /** Signing key per account; none: the server without credentials. */
  keys: Key[];
  clients: OmicsClient[];
  pools: Pool[];
  rssMaxMb: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The server is alive, answers GetBatch, and its memory is bounded. */
async function checkAlive(t: Target) {
  assert.equal(t.srv.proc.exitCode, null, `omicsd exited: ${t.srv.stderr().slice(-2000)}`);
  process.kill(t.srv.pid, 0);
  const pool = t.pools[0];
  if (pool.batches.length) {
    const r = await t.clients[0].send(new GetBatchCommand({ batchId: pool.batches[0] })).catch((e) => e);
    assert.ok(r.$metadata?.httpStatusCode === 200 || r.name === 'ResourceNotFoundException', `GetBatch answers: ${r.name} ${r.message}`);
  } else {
    assert.equal((await t.clients[0].send(new ListBatchCommand({ maxItems: 1 }))).$metadata.httpStatusCode, 200);
  }
  const rss = rssMb(t.srv.pid);
  t.rssMaxMb = Math.max(t.rssMaxMb, rss);
  assert.ok(rss < RSS_LIMIT_MB, `omicsd RSS ${rss.toFixed(0)} MB is over ${RSS_LIMIT_MB} MB`);
}


const sdkStatus = async (p: Promise<any>): Promise<{ status?: number; name?: string; out?: any }> => {
  try {
    const out = await p;
    return { status: out.$metadata.httpStatusCode, out };
  } catch (e: any) {
    return { status: e.$metadata?.httpStatusCode, name: e.name };
  }
};

/**
 * Valid traffic for one account: batches (some entries failing validation at submission, some
 * runs failing, REMOVE and RETAIN runs), direct StartRuns, and cancels and deletes of batches and
 * runs at random moments, so that the invariants are checked on a store that moved a lot.
 */
async function validTraffic(client: OmicsClient, pool: Pool, seed: number, stop: { now: boolean }, failures: string[]) {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  let n = 0;
  while (!stop.now) {
    n++;
    const roll = rnd();
    let res: { status?: number; name?: string; out?: any };
    if (roll < 0.35) {
      const entries = Array.from({ length: 1 + int(6) }, (_, i) => ({
        runSettingId: `e${i}`,
        parameters: int(8) === 0 ? { bogus: 1 } as Record<string, any> : { msg: `v${n}.${i}`, __omicsd_simulate: { runningMs: int(400), outcome: int(4) === 0 ? 'FAILED' : 'COMPLETED' } },
        priority: int(3),
      }));
      res = await sdkStatus(client.send(new StartRunBatchCommand({
        batchName: `valid-${n}`, requestId: `valid-${seed}-${n}`,
        defaultRunSetting: {
          workflowId: pick(pool.workflows, 0, '1'), roleArn: ROLE, outputUri: 's3://fuzz/valid/', retentionMode: int(2) ? 'REMOVE' : 'RETAIN',
          runGroupId: int(3) === 0 ? pick(pool.runGroups, 0, undefined as any) : undefined,
        },
        batchRunSettings: { inlineSettings: entries },
      })));
      if (res.out?.id) pool.batches.push(res.out.id);
    } else if (roll < 0.5) {
      res = await sdkStatus(client.send(new StartRunCommand({
        workflowId: pick(pool.workflows, 0, '1'), roleArn: ROLE, outputUri: 's3://fuzz/valid-run/', requestId: `valid-run-${seed}-${n}`,
        parameters: { msg: 'x', __omicsd_simulate: { runningMs: int(300) } }, retentionMode: int(2) ? 'REMOVE' : 'RETAIN',
      })));
      if (res.out?.id) pool.runs.push(res.out.id);
    } else if (roll < 0.62) {
      res = await sdkStatus(client.send(new CancelRunBatchCommand({ batchId: pool.batches[int(pool.batches.length)] ?? '1' })));
    } else if (roll < 0.72) {
      res = await sdkStatus(client.send(new DeleteRunBatchCommand({ batchId: pool.batches[int(pool.batches.length)] ?? '1' })));
    } else if (roll < 0.8) {
      res = await sdkStatus(client.send(new DeleteBatchCommand({ batchId: pool.batches[int(pool.batches.length)] ?? '1' })));
    } else if (roll < 0.88) {
      res = await sdkStatus(client.send(new CancelRunCommand({ id: pool.runs[int(pool.runs.length)] ?? '1' })));
    } else if (roll < 0.94) {
      res = await sdkStatus(client.send(new DeleteRunCommand({ id: pool.runs[int(pool.runs.length)] ?? '1' })));
    } else {
      const runs = await sdkStatus(client.send(new ListRunsCommand({ maxResults: 20 })));
      for (const r of runs.out?.items ?? []) if (!pool.runs.includes(r.id)) pool.runs.push(r.id);
      const runId = pool.runs[int(pool.runs.length)];
      const tasks = runId ? await sdkStatus(client.send(new ListRunTasksCommand({ id: runId }))) : undefined;
      for (const t of tasks?.out?.items ?? []) if (!pool.tasks.includes(t.taskId)) pool.tasks.push(t.taskId);
      res = runs;
    }
    if (res.status === undefined || res.status >= 500) failures.push(`valid traffic: ${res.name} ${res.status}`);
    await sleep(15 + int(30));
  }
}

type Row = Record<string, any>;

/** The store's invariants (src/store/*), read in one snapshot from the data dir's store. */
function storeInvariants(dataDir: string): Promise<{ violations: string[]; counts: Record<string, number> }> {
  return readStore(dataDir, async (all) => {
    const v: string[] = [];
    const batches = (await all('SELECT * FROM batches')) as Row[];
    const runsWithBatch = (await all('SELECT id, batch_id, status, doc FROM runs WHERE batch_id IS NOT NULL')) as Row[];
    const entriesByBatch = new Map<number, Row[]>();
    for (const e of (await all('SELECT batch_id, seq, run_setting_id, submission_status, run_id FROM batch_entries')) as Row[]) {
      if (!entriesByBatch.has(e.batch_id)) entriesByBatch.set(e.batch_id, []);
      entriesByBatch.get(e.batch_id)!.push(e);
    }
    const runsByBatch = new Map<number, Row[]>();
    for (const r of runsWithBatch) {
      if (!runsByBatch.has(r.batch_id)) runsByBatch.set(r.batch_id, []);
      runsByBatch.get(r.batch_id)!.push(r);
    }
    const RUN_COLS: Record<string, string> = {
      PENDING: 'runs_pending', STARTING: 'runs_starting', RUNNING: 'runs_running', STOPPING: 'runs_stopping', COMPLETED: 'runs_completed',
      FAILED: 'runs_failed', CANCELLED: 'runs_cancelled', DELETED: 'runs_deleted',
    };
    for (const b of batches) {
      const entries = entriesByBatch.get(b.id) ?? [];
      const runs = runsByBatch.get(b.id) ?? [];
      const withRun = entries.filter((e) => e.run_id != null);
      const ok = withRun.filter((e) => /^(SUCCESS|CANCEL_SUCCESS|CANCEL_FAILED|DELETE_SUCCESS|DELETE_FAILED)$/.test(e.submission_status)).length;
      const failed = entries.filter((e) => e.submission_status === 'FAILED').length;
      const pending = entries.filter((e) => e.submission_status == null).length;
      const at = `batch ${b.id} (${b.status})`;
      if (b.start_ok !== ok) v.push(`${at}: successfulStartSubmissionCount ${b.start_ok}, entries with a run ${ok}`);
      if (b.start_failed !== failed) v.push(`${at}: failedStartSubmissionCount ${b.start_failed}, FAILED entries ${failed}`);
      if (b.status === 'SUBMITTING' && b.start_pending !== pending) v.push(`${at}: pendingStartSubmissionCount ${b.start_pending}, unsubmitted entries ${pending}`);
      if (b.total_runs != null && b.status !== 'FAILED' && b.status !== 'PENDING' && entries.length !== b.total_runs) {
        v.push(`${at}: totalRuns ${b.total_runs}, entries ${entries.length}`);
      }
      for (const e of entries) {
        if (e.run_id != null && !/^(SUCCESS|CANCEL_SUCCESS|CANCEL_FAILED|DELETE_SUCCESS|DELETE_FAILED)$/.test(e.submission_status)) {
          v.push(`${at}: entry ${e.seq} has run ${e.run_id} but status ${e.submission_status}`);
        }
        if (e.run_id == null && e.submission_status != null && e.submission_status !== 'FAILED') v.push(`${at}: entry ${e.seq} is ${e.submission_status} without a run`);
      }
      for (const [status, col] of Object.entries(RUN_COLS)) {
        const n = runs.filter((r) => r.status === status).length;
        if (b[col] !== n) v.push(`${at}: ${col} ${b[col]}, runs in ${status} ${n}`);
      }
      // Every run of the batch has exactly one entry pointing at it, and no entry points at a run of another batch.
      const entryOfRun = new Map<number, Row[]>();
      for (const e of withRun) entryOfRun.set(e.run_id, [...(entryOfRun.get(e.run_id) ?? []), e]);
      for (const r of runs) {
        const es = entryOfRun.get(r.id) ?? [];
        if (es.length !== 1) v.push(`${at}: run ${r.id} has ${es.length} entries`);
        else if (JSON.parse(r.doc).extra?.runSettingId !== es[0].run_setting_id) v.push(`${at}: run ${r.id} is of ${JSON.parse(r.doc).extra?.runSettingId}, its entry ${es[0].run_setting_id}`);
      }
      const runIds = new Set(runs.map((r) => r.id));
      for (const e of withRun) if (!runIds.has(e.run_id)) v.push(`${at}: entry ${e.seq} points at run ${e.run_id}, which is not a run of this batch`);
    }
    // Runs of a batch that still exists but has no entries at all (the purge only follows DeleteBatch).
    const batchIds = new Set(batches.map((b) => b.id));
    for (const [batchId, rs] of runsByBatch) if (batchIds.has(batchId) && !(entriesByBatch.get(batchId)?.length)) v.push(`batch ${batchId}: ${rs.length} runs, no entries`);
    // live_runs:<account> = the account's runs not DELETED.
    const live = new Map(((await all(`SELECT account_id, count(*) AS n FROM runs WHERE status != 'DELETED' GROUP BY account_id`)) as Row[]).map((r) => [r.account_id, r.n]));
    const counters = (await all(`SELECT name, value FROM counters WHERE name LIKE 'live_runs:%'`)) as Row[];
    for (const c of counters) {
      const account = c.name.slice('live_runs:'.length);
      if (c.value !== (live.get(account) ?? 0)) v.push(`counters ${c.name} = ${c.value}, runs not DELETED ${live.get(account) ?? 0}`);
      live.delete(account);
    }
    for (const [account, n] of live) v.push(`account ${account} has ${n} runs not DELETED but no live_runs counter`);
    const counts = {
      batches: batches.length, entries: [...entriesByBatch.values()].reduce((s, e) => s + e.length, 0), batchRuns: runsWithBatch.length,
      runs: (await all('SELECT count(*) AS n FROM runs'))[0].n,
      deletedRuns: (await all(`SELECT count(*) AS n FROM runs WHERE status = 'DELETED'`))[0].n,
      statuses: new Set(batches.map((b) => b.status)).size,
    };
    return { violations: v, counts };
  });
}

// ---------------------------------------------------------------------------------------------

describe('fuzzing every operation', { concurrency: false }, () => {
  let S: Target;
  let O: Target;
  const stop = { now: false };
  const trafficFailures: string[] = [];
  const traffic: Promise<void>[] = [];
  const started = Date.now();

  before(async () => {
    const dir = tempDir('omicsd-fuzz-');
    const common = ['--sim-run-ms', '100', '--start-run-rate', '40', '--start-run-burst', '10', '--max-runs', '150', '--api-rate', '0'];
    const [s, o] = await Promise.all([
      startServer(['--credentials', writeCredentials(dir, [A, B]), ...common]),
      startServer(common),
    ]);
    const emptyPool = (account: string): Pool => ({ account, workflows: [], runGroups: [], runs: [], batches: [], tasks: [] });
    S = { srv: s, keys: [A, B], clients: [keyClient(s.url, A), keyClient(s.url, B)], pools: [emptyPool(A.accountId), emptyPool(B.accountId)], rssMaxMb: 0 };
    O = { srv: o, keys: [], clients: [sdkClient(o.url)], pools: [emptyPool(OPEN_ACCOUNT)], rssMaxMb: 0 };
    for (const t of [S, O]) {
      await Promise.all(t.clients.map(async (c, i) => {
        const pool = t.pools[i];
        pool.workflows.push(await createWorkflow(c, { definitionZip: cwlZip(), name: `fuzz-${i}` }));
        pool.runGroups.push((await c.send(new CreateRunGroupCommand({ name: `fuzz-${i}`, maxRuns: 5 }))).id!);
      }));
    }
    for (const t of [S, O]) t.clients.forEach((c, i) => traffic.push(validTraffic(c, t.pools[i], SEED + traffic.length, stop, trafficFailures)));
    // Let the valid traffic make some state first.
    await eventually(() => S.pools.every((p) => p.batches.length >= 2) && O.pools[0].batches.length >= 2, 20_000, 'first batches');
  });

  after(async () => {
    stop.now = true;
    await Promise.all(traffic);
    if (COLLECT) {
      console.log(`# fuzz failures by kind (${collected.size}):`);
      for (const [kind, c] of collected) console.log(`#  ${c.count}× ${kind}\n#     e.g. ${c.example}`);
    }
    for (const [name, counts] of tally) console.log(`# answers, ${name}: ${[...counts].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${n}× ${k}`).join(', ')}`);
    const codes = await Promise.all([S?.srv.stop(), O?.srv.stop()]);
    console.log(`# fuzz: ${((Date.now() - started) / 1000).toFixed(1)} s; max RSS with credentials ${S?.rssMaxMb.toFixed(0)} MB, without ${O?.rssMaxMb.toFixed(0)} MB`);
    assert.deepEqual(codes, [0, 0], 'both servers stop cleanly');
  });

  test('the fuzzed table is every route of src/api', () => {
    const ours = OPS.map((o) => `${o.method} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`).sort();
    assert.deepEqual(ours, routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  /** Fills the path template with each label from `label`. */
  const fill = (op: Op, label: (name: string) => string) => op.path.replace(/\{(\w+)\}/g, (_m, name: string) => label(name));

  /** A body of `n` bytes (`{"x":"yyy…"}`) that reports itself by its size, not its bytes, in counterexamples. */
  const big = (n: number) => Object.assign(Buffer.from(`{"x":"${'y'.repeat(n - 8)}"}`), { [fc.toStringMethod]: () => `<{"x":"yyy…"} body of ${n} bytes>` });

  test('malformed bodies on every operation (signed): bad JSON, non-objects, deep nesting, bad UTF-8, size limits', async () => {
    property = 'malformed bodies on every operation (signed)';
    const bodies = fc.oneof(
      fc.constantFrom('{', '}', '{"a":}', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '[', '"\\ud800"', '"\\u12"', 'nul', 'NaN', '-', '1e', '{"a":1e400}',
        '[]', '[{}]', '1', '"s"', 'true', 'null', ' ', '\ufeff{}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{"a":"\\u0000"}',
        '{"requestId":"x","requestId":"y"}').map((s) => Buffer.from(s)),
      fc.integer({ min: 2, max: 20_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))),
      fc.integer({ min: 2, max: 5_000 }).map((n) => Buffer.from('{"a":'.repeat(n) + 'null' + '}'.repeat(n))),
      fc.integer({ min: 60, max: 70 }).map((n) => Buffer.from(`{"parameters":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`)),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.constantFrom(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), Buffer.from('{"a":"\xed\xa0\x80"}', 'latin1')),
      fc.constantFrom(1024 * 1024 - 2, 1024 * 1024 + 10, 4 * 1024 * 1024 + 10).map((n) => big(n)),
    );
    await fc.assert(fc.asyncProperty(fc.constantFrom(...OPS), bodies, fc.nat(), fc.constantFrom(0, 1), async (op, body, i, who) => {
      const wirePath = fill(op, (name) => encodeURIComponent(realLabel(name, S.pools[who], i)));
      const method = op.method === 'GET' ? 'POST' : op.method; // GET routes get their body through POST 404s and DELETE bodies alike
      const r = await signedSend(S.srv.url, S.keys[who], op.body ? 'POST' : method, wirePath, {}, { 'content-type': 'application/json' }, body);
      // A client still sending a body over the operation's limit may see the connection end before it
      // reads the 400 (HTTP allows a server to close such a connection): refused either way, and the
      // server lives on (checkAlive below). Every other request must get an answer.
      if (!r && body.length > 1024 * 1024) return;
      expectOk(r, op.method, () => `${op.op} ${wirePath} body ${show(body.toString('latin1'), 120)}`);
      if (r && r.status >= 400 && r.status !== 404 && r.headers['x-amzn-errortype'] !== 'ValidationException' && op.body && !/^(\{|null| |\ufeff)/.test(body.toString())) {
        // A body that is not a JSON object is a ValidationException (docs/api.md, "Requests"), whatever the operation.
        assert.fail(`${op.op}: ${r.headers['x-amzn-errortype']} for a non-object body ${show(body.toString('latin1'), 60)}`);
      }
    }), { numRuns: runs(160) });
    await checkAlive(S);
  });

  test('wrong JSON types, hostile values and extra members for every member of every body (signed)', async () => {
    property = 'wrong JSON types, hostile values and extra members for every member of every body (signed)';
    const bodyOps = OPS.filter((o) => o.body);
    const mutation = fc.record({
      op: fc.constantFrom(...bodyOps),
      who: fc.constantFrom(0, 1),
      i: fc.nat(),
      // Which members to replace (indexes into the body's member paths), and with what.
      changes: fc.array(fc.tuple(fc.nat(), hostileJson), { minLength: 0, maxLength: 4 }),
      extra: fc.option(fc.dictionary(hostileString.filter((k) => !LONE.includes(k)), hostileJson, { maxKeys: 3 }), { nil: undefined }),
      contentType: fc.constantFrom('application/json', 'application/x-amz-json-1.1', 'application/json; charset=utf-8', 'APPLICATION/JSON'),
    });
    await fc.assert(fc.asyncProperty(mutation, async (m) => {
      const pool = S.pools[m.who];
      let body = m.op.body!(pool);
      const paths = memberPaths(body);
      for (const [k, value] of m.changes) body = setPath(body, paths[k % paths.length], value);
      if (m.extra) body = { ...body, ...m.extra };
      const wirePath = fill(m.op, (name) => encodeURIComponent(realLabel(name, pool, m.i)));
      const text = jsonText(body);
      const r = await signedSend(S.srv.url, S.keys[m.who], 'POST', wirePath, {}, { 'content-type': m.contentType }, text);
      expectOk(r, 'POST', () => `${m.op.op} POST ${wirePath} ${show(text)}`);
      if (r && r.status >= 400 && /Signature|Authentication|Incomplete|Unrecognized/.test(r.headers['x-amzn-errortype'] ?? '')) {
        assert.fail(`a correctly signed request was refused: ${r.headers['x-amzn-errortype']} ${r.text}\n  ${m.op.op} ${show(text)}`);
      }
      if (r?.status === 201 && m.op.op === 'StartRunBatch') pool.batches.push(JSON.parse(r.text).id);
      if (r?.status === 201 && m.op.op === 'StartRun') pool.runs.push(JSON.parse(r.text).id);
    }), { numRuns: runs(400) });
    await checkAlive(S);
  });

  test('odd path labels on every labelled operation (signed, and raw without credentials)', async () => {
    property = 'odd path labels on every labelled operation (signed, and raw without credentials)';
    const labelled = OPS.filter((o) => o.path.includes('{'));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...labelled), oddLabel, fc.nat(), fc.constantFrom(0, 1), fc.boolean(), async (op, label, i, who, signed) => {
      const t = signed ? S : O;
      const pool = t.pools[signed ? who : 0];
      const wirePath = fill(op, (name) => label(pool, name));
      const body = op.body ? jsonText(op.body(pool)) : undefined;
      const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
      const r = signed
        ? await signedSend(t.srv.url, S.keys[who], op.method, wirePath, {}, headers, body)
        : await rawSend(t.srv.url, {
          method: op.method, target: wirePath,
          headers: [['host', new URL(t.srv.url).host], ['connection', 'close'], ...Object.entries(headers), ...(body ? [['content-length', String(Buffer.byteLength(body))] as [string, string]] : [])],
          body: body ? Buffer.from(body) : undefined,
        });
      expectOk(r, op.method, () => `${op.op} ${op.method} ${show(wirePath, 200)}${signed ? ' (signed)' : ''}`);
      if (signed && r && /Signature|Incomplete/.test(r.headers['x-amzn-errortype'] ?? '')) {
        assert.fail(`a correctly signed request was refused: ${r.headers['x-amzn-errortype']} ${r.text}\n  ${op.method} ${show(wirePath)}`);
      }
    }), { numRuns: runs(300) });
    // Unescaped bytes in the path (UTF-8, controls), which no client would send: raw only.
    const rawLabel = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), fc.constantFrom('é', '\u202e1', '🧬', '1\u0000', '1\t', '1 2', '\u00ff', '#1', '1?x=1', '1#x'));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...labelled), rawLabel, async (op, label) => {
      const target = fill(op, () => label);
      const r = await rawSend(O.srv.url, { method: op.method, target, headers: [['host', new URL(O.srv.url).host], ['connection', 'close']] });
      if (r) expectOk(r, op.method, () => `${op.op} ${op.method} raw ${show(target)}`);
    }), { numRuns: runs(80) });
    await checkAlive(S);
    await checkAlive(O);
  });

  test('query strings: repeated, unknown and garbage keys and values on every operation', async () => {
    property = 'query strings';
    const entry = (op: Op) => fc.tuple(queryKey(op.query ?? []), fc.array(queryValue, { minLength: 1, maxLength: 3 }));
    const opAndQuery = fc.constantFrom(...OPS).chain((op) => fc.tuple(fc.constant(op), fc.array(entry(op), { minLength: 1, maxLength: 6 })));
    await fc.assert(fc.asyncProperty(opAndQuery, fc.nat(), fc.constantFrom(0, 1), async ([op, entries], i, who) => {
      const pool = S.pools[who];
      const query: Record<string, string | string[]> = {};
      for (const [k, vs] of entries) {
        const prev = query[k];
        const all = [...(prev === undefined ? [] : Array.isArray(prev) ? prev : [prev]), ...vs];
        Object.defineProperty(query, k, { value: all.length === 1 ? all[0] : all, enumerable: true, writable: true, configurable: true });
      }
      const wirePath = fill(op, (name) => encodeURIComponent(realLabel(name, pool, i)));
      const body = op.body ? jsonText(op.body(pool)) : undefined;
      const r = await signedSend(S.srv.url, S.keys[who], op.method, wirePath, query, body ? { 'content-type': 'application/json' } : {}, body);
      expectOk(r, op.method, () => `${op.op} ${op.method} ${wirePath}?${show(queryString(query), 200)}`);
      if (r && /Signature|Incomplete/.test(r.headers['x-amzn-errortype'] ?? '')) {
        assert.fail(`a correctly signed request was refused: ${r.headers['x-amzn-errortype']} ${r.text}\n  ${op.method} ${wirePath}?${show(queryString(query))}`);
      }
    }), { numRuns: runs(250) });
    // Query text no encoder makes (bad escapes, bare keys, ;-separators, raw bytes): without credentials.
    const rawQuery = fc.array(fc.oneof(
      fc.constantFrom('maxResults=%zz', 'maxItems=%', '%=1', '=', '&', '&&&', 'a', 'export', 'export=DEFINITION&export=%E0', 'tagKeys', 'tagKeys=&tagKeys=',
        'name=%00', 'name=%ED%A0%80', 'startingToken=%FF', 'status=RUNNING;status=FAILED', '__proto__=1', '__proto__[x]=1', 'constructor=1', 'maxResults=1&maxResults=2&maxResults=-1',
        'maxItems=0100', 'maxResults=1e2', 'maxResults=%2B5', `name=${'n'.repeat(3000)}`, 'a[b]=c', 'a=b=c', 'toString=x', 'hasOwnProperty=x'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 })), { minLength: 1, maxLength: 5 }).map((xs) => xs.join('&'));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...OPS), rawQuery, fc.nat(), async (op, qs, i) => {
      const target = `${fill(op, (name) => encodeURIComponent(realLabel(name, O.pools[0], i)))}?${qs.replace(/[ #]/g, '%20')}`;
      const body = op.body ? jsonText(op.body(O.pools[0])) : undefined;
      const r = await rawSend(O.srv.url, {
        method: op.method, target,
        headers: [['host', new URL(O.srv.url).host], ['connection', 'close'], ...(body ? [['content-type', 'application/json'], ['content-length', String(Buffer.byteLength(body))]] as [string, string][] : [])],
        body: body ? Buffer.from(body) : undefined,
      });
      expectOk(r, op.method, () => `${op.op} ${op.method} ${show(target)}`);
    }), { numRuns: runs(200) });
    await checkAlive(S);
    await checkAlive(O);
  });

  test('wrong methods and content types on every path', async () => {
    property = 'wrong methods and content types on every path';
    const methods = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'MKCOL', 'SEARCH', 'PURGE', 'FOO', 'get', 'G\u00e9T');
    const contentTypes = fc.option(fc.constantFrom('text/plain', 'application/json', 'application/json; charset=latin1', 'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x', '', ';', 'application/json, text/plain', 'application/json;;;', 'application/jsonx', 'application/*', '*/*',
      'application/x-amz-json-1.0', 'application/json\u00e9', `application/json; ${'p=1;'.repeat(500)}`), { nil: undefined });
    await fc.assert(fc.asyncProperty(fc.constantFrom(...OPS), methods, contentTypes, fc.boolean(), fc.nat(), fc.constantFrom(0, 1), fc.boolean(),
      async (op, method, ct, withBody, i, who, signed) => {
        const pool = signed ? S.pools[who] : O.pools[0];
        const wirePath = fill(op, (name) => encodeURIComponent(realLabel(name, pool, i)));
        const body = withBody ? jsonText(op.body ? op.body(pool) : { x: 1 }) : undefined;
        const headers: Record<string, string> = ct === undefined ? {} : { 'content-type': ct };
        let r: Resp | undefined;
        if (signed && /^[A-Z]+$/.test(method)) {
          r = await signedSend(S.srv.url, S.keys[who], method, wirePath, {}, headers, body);
        } else {
          const t = signed ? S : O;
          r = await rawSend(t.srv.url, {
            method, target: wirePath,
            headers: [['host', new URL(t.srv.url).host], ['connection', 'close'], ...Object.entries(headers),
              ...(body !== undefined ? [['content-length', String(Buffer.byteLength(body))] as [string, string]] : [])],
            body: body === undefined ? undefined : Buffer.from(body),
          });
        }
        expectOk(r, method, () => `${method} ${wirePath} content-type ${show(ct ?? '(none)', 60)}${body ? ' with body' : ''}${signed ? ' (signed)' : ''}`);
      }), { numRuns: runs(250) });
    await checkAlive(S);
    await checkAlive(O);
  });

  test('raw HTTP garbage: request lines, headers, framing', async () => {
    property = 'raw HTTP garbage';
    const host = () => new URL(O.srv.url).host;
    const garbage = fc.oneof(
      fc.constantFrom(
        'GET /workflow HTTP/1.0\r\n\r\n', 'GET /workflow HTTP/2.0\r\nHost: H\r\n\r\n', 'GET  /workflow HTTP/1.1\r\nHost: H\r\n\r\n', 'GET /workflow\r\nHost: H\r\n\r\n',
        'GET http://evil.example/workflow HTTP/1.1\r\nHost: H\r\n\r\n', 'GET * HTTP/1.1\r\nHost: H\r\n\r\n', 'GET workflow HTTP/1.1\r\nHost: H\r\n\r\n',
        'GET /workflow HTTP/1.1\r\nHost: H\r\nBad Header\r\n\r\n', 'GET /workflow HTTP/1.1\r\nHost: H\r\nX: a\u0000b\r\n\r\n', 'GET /workflow HTTP/1.1\r\nHost: H\r\n folded\r\n\r\n',
        'POST /runGroup HTTP/1.1\r\nHost: H\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
        'POST /runGroup HTTP/1.1\r\nHost: H\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}',
        'POST /runGroup HTTP/1.1\r\nHost: H\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
        'POST /runGroup HTTP/1.1\r\nHost: H\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        'POST /runGroup HTTP/1.1\r\nHost: H\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
        'POST /runGroup HTTP/1.1\r\nHost: H\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
        'POST /runGroup HTTP/1.1\r\nHost: H\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n',
        'GET /workflow HTTP/1.1\r\nHost: H\r\nHost: H\r\n\r\n', 'GET /workflow HTTP/1.1\r\n\r\n', 'GET /workflow HTTP/1.1\r\nHost: H\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
        'GET /workflow HTTP/1.1\r\nHost: H\r\nConnection: close\r\nAuthorization: AWS4-HMAC-SHA256 Credential=\u00ff\r\n\r\n',
        'GET /workflow HTTP/1.1\r\nHost: H\r\nConnection: close\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
        '\r\n\r\nGET /workflow HTTP/1.1\r\nHost: H\r\nConnection: close\r\n\r\n', 'GARBAGE\r\n\r\n', '\u0000\u0001\u0002\r\n\r\n', 'GET /workflow HTTP/1.1\nHost: H\nConnection: close\n\n',
      ),
      fc.integer({ min: 17_000, max: 40_000 }).map((n) => `GET /workflow HTTP/1.1\r\nHost: H\r\nX-Big: ${'a'.repeat(n)}\r\n\r\n`),
      fc.integer({ min: 17_000, max: 40_000 }).map((n) => `GET /workflow?${'a=1&'.repeat(n / 4)} HTTP/1.1\r\nHost: H\r\n\r\n`),
      fc.integer({ min: 300, max: 2000 }).map((n) => `GET /workflow HTTP/1.1\r\nHost: H\r\nConnection: close\r\n${Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`),
      fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((s) => `${s}\r\n\r\n`),
    );
    await fc.assert(fc.asyncProperty(garbage, fc.boolean(), async (text, toS) => {
      const t = toS ? S : O;
      const data = Buffer.from(text.replace(/Host: H/g, `Host: ${host().replace(/:\d+$/, `:${new URL(t.srv.url).port}`)}`), 'latin1');
      const out = await exchange(t.srv.url, data);
      // Node may close a connection it cannot parse before writing anything; whatever it writes must be in the AWS shape.
      if (!out.length) return;
      const r = parseResponse(out);
      expectOk(r, text.startsWith('HEAD') ? 'HEAD' : 'GET', () => `raw ${show(text.toString(), 160)}`);
    }), { numRuns: runs(80) });
    await checkAlive(S);
    await checkAlive(O);
  });

  test('malformed Authorization headers and signatures', async () => {
    property = 'malformed Authorization headers and signatures';
    const auth = fc.oneof(
      fc.constantFrom('', 'AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 ', 'AWS4-HMAC-SHA256 Credential=,SignedHeaders=,Signature=', 'Bearer x', 'AWS4-ECDSA-P256-SHA256 Credential=x',
        'AWS4-HMAC-SHA256 Credential=AKIAFUZZA0000000001/20260101/us-east-1/omics/aws4_request, SignedHeaders=host, Signature=00',
        'AWS4-HMAC-SHA256 Credential=AKIAFUZZA0000000001/2026/us-east-1/omics/aws4_request, SignedHeaders=host;x-amz-date, Signature=x',
        'AWS4-HMAC-SHA256 Credential=AKIAFUZZA0000000001/20260101/us-east-1/omics/aws4_request, SignedHeaders=__proto__;host;x-amz-date, Signature=x',
        'AWS4-HMAC-SHA256 Credential=AKIAFUZZA0000000001/20260101/us-east-1/omics/aws4_request, SignedHeaders=constructor;host;x-amz-date, Signature=x',
        'AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request/x, SignedHeaders=host, Signature=x', 'AWS4-HMAC-SHA256 ,,,,,,', 'AWS4-HMAC-SHA256 =a, =b, =c'),
      fc.tuple(hostileString, hostileString, hostileString).map(([c, h, s]) => `AWS4-HMAC-SHA256 Credential=${c}, SignedHeaders=${h}, Signature=${s}`),
    ).map((s) => s.replace(/[^\x20-\x7e\x80-\xff]/g, '?'));
    const amzDate = fc.oneof(fc.constant(new Date().toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')),
      fc.constantFrom('', '20260101T000000Z', '99991231T235959Z', '20261399T000000Z', 'garbage', '0', '20260101T000000Z, 20260101T000000Z'));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...OPS), auth, amzDate, fc.nat(), fc.boolean(), async (op, authorization, date, i, tamper) => {
      const pool = S.pools[0];
      const wirePath = fill(op, (name) => encodeURIComponent(realLabel(name, pool, i)));
      const body = op.body ? jsonText(op.body(pool)) : undefined;
      let headers: [string, string][];
      if (tamper) {
        // A real signature, then one signed header altered.
        const signed = await sign(S.srv.url, { method: op.method, path: wirePath, headers: body ? { 'content-type': 'application/json' } : {}, body }, A);
        headers = Object.entries(signed.headers).map(([k, v]) => [k, k === 'x-amz-date' ? date || v : k === 'authorization' ? v.replace(/Signature=\w{4}/, 'Signature=ffff') : v]);
      } else {
        headers = [['host', new URL(S.srv.url).host], ['authorization', authorization], ...(date ? [['x-amz-date', date]] as [string, string][] : []),
          ...(body ? [['content-type', 'application/json'], ['content-length', String(Buffer.byteLength(body))]] as [string, string][] : [])];
      }
      const r = await rawSend(S.srv.url, { method: op.method, target: wirePath, headers: [...headers, ['connection', 'close']], body: body ? Buffer.from(body) : undefined });
      expectOk(r, op.method, () => `${op.op} with Authorization ${show(authorization, 120)} x-amz-date ${date}`);
      if (r && r.status < 400) assert.fail(`accepted without a valid signature: ${op.op} ${authorization}`);
    }), { numRuns: runs(120) });
    await checkAlive(S);
  });

  test('the official SDK with well-formed but hostile values, as either account', async () => {
    property = 'the official SDK with well-formed but hostile values, as either account';
    const str = hostileString;
    const num = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 100001, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e21, NaN, Infinity, -Infinity, 0.5, -0));
    const doc = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(str, str, { maxKeys: 4 }),
      fc.integer({ min: 1, max: 80 }).map((n) => { let v: any = 1; for (let k = 0; k < n; k++) v = { a: v }; return v; }));
    const tags = fc.dictionary(str, str, { maxKeys: 60 });
    const id = (kind: keyof Pool) => fc.oneof(str, fc.nat().map((i) => `@@${kind}@@${i}`));
    const cmd = fc.oneof(
      fc.record({ name: str, maxCpus: num, maxRuns: num, maxDuration: num, maxGpus: num, tags, requestId: str }, { requiredKeys: [] }).map((x) => ['CreateRunGroup', x] as const),
      fc.record({ id: id('runGroups'), name: str, maxCpus: num, maxRuns: num }, { requiredKeys: ['id'] }).map((x) => ['UpdateRunGroup', x] as const),
      fc.record({ workflowId: id('workflows'), roleArn: str, outputUri: fc.oneof(str, str.map((s) => `s3://fuzz/${s}`)), name: str, priority: num, storageCapacity: num,
        parameters: doc, tags, requestId: str, runGroupId: id('runGroups'), runId: id('runs'), cacheId: str, logLevel: str, retentionMode: str, workflowOwnerId: str,
        engineSettings: doc, networkingMode: str, workflowVersionName: str }, { requiredKeys: [] }).map((x) => ['StartRun', x] as const),
      fc.record({ batchName: str, requestId: str, tags, runGroupId: id('runGroups'), workflowId: id('workflows'), parameters: doc, outputUri: fc.oneof(str, fc.constant('s3://fuzz/b/')),
        entries: fc.array(fc.record({ runSettingId: str, name: str, priority: num, parameters: doc, runTags: tags, outputUri: str }, { requiredKeys: ['runSettingId'] }), { maxLength: 102 }) },
      { requiredKeys: [] }).map((x) => ['StartRunBatch', x] as const),
      fc.record({ name: str, description: str, main: str, parameterTemplate: fc.dictionary(str, fc.record({ description: str, optional: fc.boolean() }, { requiredKeys: [] }), { maxKeys: 5 }),
        storageCapacity: num, tags, requestId: str, engine: str, definitionUri: str, readmeMarkdown: str, zip: fc.constantFrom('good', 'garbage', 'empty', 'none') },
      { requiredKeys: [] }).map((x) => ['CreateWorkflow', x] as const),
      fc.record({ id: id('workflows'), name: str, description: str, storageCapacity: num, readmeMarkdown: str }, { requiredKeys: ['id'] }).map((x) => ['UpdateWorkflow', x] as const),
      fc.record({ arn: fc.oneof(str, fc.nat().map((i) => `@@arn@@${i}`)), tags, keys: fc.array(str, { maxLength: 60 }) }).map((x) => ['Tags', x] as const),
      fc.record({ name: str, maxResults: num, startingToken: str, status: str, batchId: id('batches'), runGroupId: id('runGroups') }, { requiredKeys: [] }).map((x) => ['Lists', x] as const),
      fc.record({ id: id('runs'), taskId: id('tasks'), batchId: id('batches'), wf: id('workflows'), rg: id('runGroups'), owner: str, maxItems: num, filter: str }).map((x) => ['Gets', x] as const),
    );
    const seen = { server: 0, client: 0 };
    await fc.assert(fc.asyncProperty(cmd, fc.constantFrom(0, 1, 2), async ([kind, x], who) => {
      const t = who === 2 ? O : S;
      const c = who === 2 ? O.clients[0] : S.clients[who];
      const pool = who === 2 ? O.pools[0] : S.pools[who];
      // `@@kind@@N` names a real id of the pool (this account's or, via the other pool, the other's).
      const real = (v: any): any => {
        if (typeof v !== 'string') return v;
        const m = /^@@(\w+)@@(\d+)$/.exec(v);
        if (!m) return v;
        const n = Number(m[2]);
        const p = n % 3 === 0 && t === S ? S.pools[1 - (who % 2)] : pool;
        return m[1] === 'arn' ? realLabel('resourceArn', p, n) : pick((p as any)[m[1]] as string[], n, '1000001');
      };
      const calls: Promise<any>[] = [];
      const send = (command: any) => calls.push(c.send(command));
      switch (kind) {
        case 'CreateRunGroup': send(new CreateRunGroupCommand(x as any)); break;
        case 'UpdateRunGroup': send(new UpdateRunGroupCommand({ ...(x as any), id: real(x.id) })); break;
        case 'StartRun': send(new StartRunCommand({ ...(x as any), workflowId: real(x.workflowId), runGroupId: real(x.runGroupId), runId: real(x.runId) })); break;
        case 'StartRunBatch': send(new StartRunBatchCommand({
          batchName: x.batchName, requestId: x.requestId, tags: x.tags,
          defaultRunSetting: { workflowId: real(x.workflowId) ?? pick(pool.workflows, 0, '1'), roleArn: ROLE, outputUri: x.outputUri, runGroupId: real(x.runGroupId), parameters: x.parameters as any },
          batchRunSettings: { inlineSettings: x.entries as any },
        })); break;
        case 'CreateWorkflow': {
          const zip = x.zip === 'good' ? cwlZip() : x.zip === 'garbage' ? Buffer.from('PK\u0003\u0004garbage') : x.zip === 'empty' ? new Uint8Array() : undefined;
          const { zip: _z, ...rest } = x as any;
          send(new CreateWorkflowCommand({ ...rest, definitionZip: zip }));
          break;
        }
        case 'UpdateWorkflow': send(new UpdateWorkflowCommand({ ...(x as any), id: real(x.id) })); break;
        case 'Tags': {
          const arn = real(x.arn);
          send(new TagResourceCommand({ resourceArn: arn, tags: x.tags }));
          send(new UntagResourceCommand({ resourceArn: arn, tagKeys: x.keys }));
          send(new ListTagsForResourceCommand({ resourceArn: arn }));
          break;
        }
        case 'Lists': {
          const f = x as any;
          send(new ListRunsCommand({ name: f.name, maxResults: f.maxResults, startingToken: f.startingToken, status: f.status, batchId: real(f.batchId), runGroupId: real(f.runGroupId) }));
          send(new ListWorkflowsCommand({ name: f.name, maxResults: f.maxResults, startingToken: f.startingToken, type: f.status }));
          send(new ListRunGroupsCommand({ name: f.name, maxResults: f.maxResults, startingToken: f.startingToken }));
          send(new ListBatchCommand({ name: f.name, maxItems: f.maxResults, startingToken: f.startingToken, status: f.status }));
          break;
        }
        case 'Gets': {
          const g = x as any;
          send(new GetRunCommand({ id: real(g.id), export: [g.filter] }));
          send(new GetRunTaskCommand({ id: real(g.id), taskId: real(g.taskId) }));
          send(new ListRunTasksCommand({ id: real(g.id), status: g.filter, maxResults: g.maxItems }));
          send(new GetBatchCommand({ batchId: real(g.batchId) }));
          send(new ListRunsInBatchCommand({ batchId: real(g.batchId), maxItems: g.maxItems, runSettingId: g.filter }));
          send(new GetWorkflowCommand({ id: real(g.wf), workflowOwnerId: g.owner, export: [g.filter] }));
          send(new GetRunGroupCommand({ id: real(g.rg) }));
          break;
        }
      }
      for (const settled of await Promise.allSettled(calls)) {
        try {
          if (settled.status === 'rejected') throw settled.reason;
          const out = settled.value;
          seen.server++;
          assert.ok(out.$metadata.httpStatusCode < 300, `${kind}: ${out.$metadata.httpStatusCode}`);
          if (kind === 'StartRunBatch' && out.id) pool.batches.push(out.id);
          if (kind === 'StartRun' && out.id) pool.runs.push(out.id);
        } catch (e: any) {
          const status = e.$metadata?.httpStatusCode as number | undefined;
          if (status === undefined) {
            // The SDK refused to serialize (empty label, lone surrogate in a URI): nothing was sent.
            assert.ok(/Empty value provided|URI malformed|Expected a value|is required|must be|NaN|Infinity|Invalid/i.test(e.message) || e instanceof URIError,
              `${kind}: a client-side error that is not about serialization: ${e.name} ${e.message}`);
            seen.client++;
            continue;
          }
          seen.server++;
          const r: Resp = { status, headers: Object.fromEntries(Object.entries(e.$response?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])), body: Buffer.alloc(0), text: '' };
          assert.ok(status < 500, `${kind}: ${status} ${e.name}: ${e.message}\n  input ${show(JSON.stringify(x), 400)}`);
          assert.ok(KNOWN_TYPES.has(e.name), `${kind}: the SDK could not read the error (${e.name}: ${e.message}), status ${status}`);
          assert.equal(r.headers['x-amzn-errortype'], e.name, `${kind}: x-amzn-errortype`);
        }
      }
    }), { numRuns: runs(300) });
    console.log(`# SDK property: ${seen.server} calls answered by omicsd, ${seen.client} refused by the SDK before sending`);
    await checkAlive(S);
    await checkAlive(O);
  });

  test('hostile definition zips: every workflow leaves CREATING, the server stays up', async () => {
    property = 'hostile definition zips';
    const names = fc.oneof(fc.constantFrom('main.cwl', '__proto__', 'constructor', 'toString', '../x.cwl', '/abs.cwl', 'a/b.cwl', 'a', 'a/', 'a/b/../../../c.cwl', 'é.cwl', '🧬.wdl',
      'main.nf', 'x.wdl', 'C:\\x.cwl', 'a\\..\\..\\b.cwl', `${'d/'.repeat(100)}deep.cwl`), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }));
    const contents = fc.oneof(
      fc.constantFrom(cwlTool('echo', { inputs: { msg: { type: 'string' } } }), cwlTool('echo', { inputs: { ['__proto__']: { type: 'File' }, constructor: { type: 'string' } } }),
        'cwlVersion: v1.2\nclass: Workflow\ninputs: []\noutputs: []\nsteps: []\n', '{{{', 'version 1.0\nworkflow w { input { File f } }', '&a [*a, *a, *a, *a]', 'a: &a [1]\nb: [*a, *a, *a]',
        'cwlVersion: v1.2\nclass: CommandLineTool\ninputs:\n  x:\n    type: {type: array, items: {type: array, items: File}}\noutputs: []\n', ''),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(fc.asyncProperty(fc.dictionary(names, contents, { minKeys: 1, maxKeys: 4 }), fc.option(fc.constantFrom('main.cwl', '__proto__', '../x.cwl', 'nope'), { nil: undefined }),
      async (files, main) => {
        let zip: Uint8Array;
        try {
          zip = zipWithNames(Object.entries(files).map(([n, b]) => [n, strToU8(b)]));
        } catch {
          return; // fflate cannot write this name layout (a file and a folder of one name)
        }
        const c = O.clients[0];
        const res = await sdkStatus(c.send(new CreateWorkflowCommand({ definitionZip: zip, main })));
        assert.ok(res.status !== undefined && res.status < 500, `CreateWorkflow: ${res.status} ${res.name}`);
        if (!res.out?.id) return;
        const status = await eventually(async () => {
          const s = (await c.send(new GetWorkflowCommand({ id: res.out.id }))).status;
          return s !== 'CREATING' && s;
        }, 10_000, `workflow ${res.out.id} leaves CREATING`);
        assert.ok(status === 'ACTIVE' || status === 'FAILED', String(status));
        if (status === 'ACTIVE') {
          const run = await sdkStatus(c.send(new StartRunCommand({ workflowId: res.out.id, roleArn: ROLE, outputUri: 's3://fuzz/zip/', parameters: JSON.parse('{"msg":"x","__proto__":"y"}') })));
          assert.ok(run.status !== undefined && run.status < 500, `StartRun: ${run.status} ${run.name}`);
        }
      }), { numRuns: runs(30) });
    // A zip that names a file __proto__ next to the main file.
    const zip = zipWithNames([['main.cwl', strToU8(cwlTool('echo', { inputs: { msg: { type: 'string' } } }))], ['__proto__', strToU8('x')]]);
    const res = await sdkStatus(O.clients[0].send(new CreateWorkflowCommand({ definitionZip: zip })));
    assert.ok(res.status! < 500);
    await checkAlive(O);
  });

  test("after the fuzzing: the store's invariants hold, with traffic running and once it has settled", async () => {
    assert.deepEqual(trafficFailures, [], 'valid traffic never got a 5xx');
    for (const t of [S, O]) {
      const { violations, counts } = await storeInvariants(t.srv.dataDir);
      console.log(`# store (${t === S ? 'with credentials' : 'without'}), traffic running: ${JSON.stringify(counts)}`);
      assert.deepEqual(violations, [], 'invariants with traffic running');
    }
    stop.now = true;
    await Promise.all(traffic);
    // Hostile bodies may have asked for runs of days (__omicsd_simulate.runningMs): cancel what is still active after a while.
    await sleep(3000);
    for (const t of [S, O]) {
      const [activeRuns, activeBatches] = await readStore(t.srv.dataDir, async (all) => [
        await all(`SELECT id, account_id FROM runs WHERE status IN ('PENDING','STARTING','RUNNING')`),
        await all(`SELECT id, account_id FROM batches WHERE status IN ('PENDING','SUBMITTING','INPROGRESS')`),
      ]);
      const clientOf = (account: string) => t.clients[Math.max(0, t.pools.findIndex((p) => p.account === account))];
      for (const b of activeBatches) await sdkStatus(clientOf(b.account_id).send(new CancelRunBatchCommand({ batchId: String(b.id) })));
      for (const r of activeRuns) await sdkStatus(clientOf(r.account_id).send(new CancelRunCommand({ id: String(r.id) })));
      console.log(`# cancelled ${activeBatches.length} batches and ${activeRuns.length} runs still active (${t === S ? 'with credentials' : 'without'})`);
    }
    // Let submissions and simulated runs finish (runs last at most ~0.5 s; the StartRun rate is 40/s).
    await eventually(async () => {
      for (const t of [S, O]) {
        const busy = await readStore(t.srv.dataDir, async (all) =>
          (await all(`SELECT count(*) AS n FROM batches WHERE status IN ('CREATING','PENDING','SUBMITTING','STOPPING','RUNS_DELETING')`))[0].n
          + (await all(`SELECT count(*) AS n FROM runs WHERE status IN ('PENDING','STARTING','RUNNING','STOPPING')`))[0].n);
        if (busy) return false;
      }
      return true;
    }, 60_000, 'batches and runs to settle', { everyMs: 250 });
    for (const t of [S, O]) {
      const { violations, counts } = await storeInvariants(t.srv.dataDir);
      console.log(`# store (${t === S ? 'with credentials' : 'without'}), settled: ${JSON.stringify(counts)}`);
      assert.deepEqual(violations, [], 'invariants once settled');
      await checkAlive(t);
    }
    for (const t of [S, O]) assert.doesNotMatch(t.srv.stderr(), /request failed|unhandled|uncaught|FATAL/i, 'no internal error in the log');
  });
});
