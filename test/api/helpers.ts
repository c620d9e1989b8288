// Helpers of the API integration tests (test/api/*.test.ts) on top of test/support/. Everything goes
// through the official SDK or plain HTTP against a server started with test/support/server.ts.
import assert from 'node:assert/strict';
import {
  GetRunCommand,
  StartRunCommand,
  waitUntilRunCompleted,
  type GetRunCommandOutput,
  type OmicsClient,
  type StartRunCommandInput,
} from '@aws-sdk/client-omics';
import { ACCOUNT, REGION, ROLE } from '../support/client.js';
import { eventually, QUICK_WAITER } from '../support/wait.js';
import { createWorkflow } from '../support/workflows.js';

export const OUT = 's3://omicsd-test-bucket/out';

/** The RFC 3339 regex the JS SDK itself uses to parse date-time members (docs/api.md). */
export const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[tT](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(([-+]\d{2}:\d{2})|[zZ])$/;
export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const DIGITS = /^[0-9]{1,18}$/;

export const arnOf = (kind: 'workflow' | 'run' | 'runGroup' | 'task', id: string) => `arn:aws:omics:${REGION}:${ACCOUNT}:${kind}/${id}`;

let seq = 0;
/** A name unique within the test process, so filters in a shared server hit only this test's resources. */
export const uniq = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * Asserts that `p` rejects with the typed SDK exception `cls`, the HTTP status `status`, and (when
 * given) a message matching `message` — typically the name of the offending field.
 */
export async function expectError(p: Promise<unknown>, cls: ErrorClass, status: number, message?: RegExp) {
  let err: any;
  try {
    const out = await p;
    assert.fail(`expected ${cls.name} (${status}), but the call succeeded with ${JSON.stringify(out, (k, v) => (k === '$metadata' ? undefined : v))}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const typed: unknown = err;
  assert.ok(typed instanceof cls, `expected ${cls.name}, got ${err?.name}: ${err?.message}`);
  assert.equal(err.name, cls.name);
  assert.equal(err.$metadata?.httpStatusCode, status, `HTTP status of ${cls.name}: ${err.message}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, 'error message must not be empty');
  if (message) assert.match(err.message, message);
  return err;
}

/** Creates a CWL workflow (cwlZip(): `msg` required, `n` optional) and waits with the SDK waiter until it is ACTIVE. */
export async function activeWorkflow(client: OmicsClient, name = uniq('wf'), extra: Record<string, unknown> = {}) {
  const id = await createWorkflow(client, { name, ...extra }, { maxWaitTime: 20, ...QUICK_WAITER });
  assert.ok(DIGITS.test(id), `workflow id ${id}`);
  return id;
}

export function runInput(workflowId: string, extra: Partial<StartRunCommandInput> = {}): StartRunCommandInput {
  return { workflowId, roleArn: ROLE, outputUri: OUT, name: uniq('run'), parameters: { msg: 'hello' }, ...extra };
}

export async function startRun(client: OmicsClient, workflowId: string, extra: Partial<StartRunCommandInput> = {}) {
  const out = await client.send(new StartRunCommand(runInput(workflowId, extra)));
  assert.ok(out.id && DIGITS.test(out.id), `run id ${out.id}`);
  return out;
}

/** Parameters that keep a simulated run RUNNING for a long time (until cancelled or the server stops). */
export const LONG = (ms = 120_000) => ({ msg: 'long', __omicsd_simulate: { outcome: 'COMPLETED', runningMs: ms } });

export const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
export const ACTIVE = new Set(['PENDING', 'STARTING', 'RUNNING', 'STOPPING']);

export async function runStatus(client: OmicsClient, id: string) {
  return (await client.send(new GetRunCommand({ id }))).status!;
}

/** Polls GetRun until `done(run)` and returns that answer; fails after `ms`. */
export async function waitRun(client: OmicsClient, id: string, done: (r: GetRunCommandOutput) => boolean, ms: number, what: string) {
  return eventually(async () => {
    const r = await client.send(new GetRunCommand({ id }));
    return done(r) ? r : undefined;
  }, ms, `run ${id} ${what}`);
}

export const waitStatus = (client: OmicsClient, id: string, status: string, ms = 15000) => waitRun(client, id, (r) => r.status === status, ms, `to reach ${status}`);

export async function waitCompleted(client: OmicsClient, id: string, maxWaitTime = 20) {
  const r = await waitUntilRunCompleted({ client, maxWaitTime, ...QUICK_WAITER }, { id });
  assert.equal(r.state, 'SUCCESS', `run ${id} did not complete: ${JSON.stringify(r.reason?.status)}`);
  return r;
}

/** Plain HTTP against the server, for what the SDK hides: codes, headers, raw bodies. */
export async function raw(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts an AWS restJson1 error response (docs/api.md). */
export function assertWireError(r: Awaited<ReturnType<typeof raw>>, type: string, status: number, message?: RegExp) {
  assert.equal(r.status, status, `status for ${type}: ${r.text}`);
  assert.equal(r.headers.get('x-amzn-errortype')?.split(':')[0], type);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  assert.ok(r.json && typeof r.json === 'object', `error body must be JSON, got ${r.text.slice(0, 200)}`);
  assert.ok(r.json.__type === type || String(r.json.__type).endsWith(`#${type}`), `__type ${r.json.__type}`);
  assert.equal(typeof r.json.message, 'string');
  assert.ok(r.json.message.length > 0);
  if (message) assert.match(r.json.message, message);
  assert.ok(r.headers.get('x-amzn-requestid'), 'x-amzn-RequestId on errors too');
}

/** Collects every path in a JSON value whose value is null (output members without a value must be omitted). */
export function nullPaths(v: unknown, at = '$'): string[] {
  if (v === null) return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => nullPaths(x, `${at}[${i}]`));
  if (typeof v === 'object' && v) return Object.entries(v).flatMap(([k, x]) => nullPaths(x, `${at}.${k}`));
  return [];
}
