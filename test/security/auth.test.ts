// SigV4 authentication with --credentials (docs/security.md): the official SDK, boto3 and the AWS
// CLI get in with a configured key; a wrong secret, an unknown key, a wrong scope, a tampered
// body, query or path, a stale date or no signature at all get the AWS 403 error types. The
// credentials file is checked at start and re-read on SIGHUP.
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateRunGroupCommand, ListTagsForResourceCommand, ListWorkflowsCommand, OmicsClient } from '@aws-sdk/client-omics';
import { BIN, tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { eventually } from '../support/wait.js';
import { assertAwsError, send, sign, writeCredentials, type Key, type WireRequest } from './helpers.js';

const ALICE: Key = { accessKeyId: 'AKIAALICE000000001', secretAccessKey: 'alice/secret+key=0123456789abcdef', accountId: '111111111111' };
const BOB: Key = { accessKeyId: 'AKIABOB00000000002', secretAccessKey: 'bob-secret', accountId: '222222222222' };
const MISMATCH = /^The request signature we calculated does not match the signature you provided/;

function client(url: string, key: Pick<Key, 'accessKeyId' | 'secretAccessKey'>, region = 'us-east-1') {
  return new OmicsClient({ region, endpoint: url, disableHostPrefix: true, credentials: key, maxAttempts: 1 });
}

/** The SDK error a call fails with: its name and HTTP status (unmodelled types arrive as OmicsServiceException named so). */
async function sdkError(p: Promise<unknown>) {
  try {
    await p;
  } catch (err: any) {
    return { name: err.name as string, status: err.$metadata?.httpStatusCode as number, message: String(err.message) };
  }
  assert.fail('the call succeeded');
}

const listWorkflows = (): WireRequest => ({ method: 'GET', path: '/workflow', query: { maxResults: '5' }, headers: {} });
const createRunGroup = (name: string): WireRequest => ({
  method: 'POST', path: '/runGroup', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, requestId: name }),
});

describe('with --credentials', () => {
  let srv: RunningServer;
  let dir: string;
  before(async () => {
    dir = tempDir('omicsd-auth-');
    srv = await startServer(['--credentials', writeCredentials(dir, [ALICE])]);
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  test('the official SDK signed with a configured key gets in, GET and POST, encoded path labels too', async () => {
    const c = client(srv.url, ALICE);
    const list = await c.send(new ListWorkflowsCommand({ maxResults: 3 }));
    assert.equal(list.$metadata.httpStatusCode, 200);
    const rg = await c.send(new CreateRunGroupCommand({ name: 'auth-sdk', requestId: 'auth-sdk-1' }));
    assert.equal(rg.$metadata.httpStatusCode, 201);
    // /tags/arn%3Aaws%3Aomics… : the signer double-encodes the raw path, as the SDK did.
    const tags = await c.send(new ListTagsForResourceCommand({ resourceArn: rg.arn! }));
    assert.equal(tags.$metadata.httpStatusCode, 200);
  });

  test('a hand-signed request is accepted as signed, and each alteration is refused', async () => {
    const ok = await send(srv.url, await sign(srv.url, listWorkflows(), ALICE));
    assert.equal(ok.status, 200, ok.text);
    const post = await send(srv.url, await sign(srv.url, createRunGroup('auth-hand'), ALICE));
    assert.equal(post.status, 201, post.text);
  });

  test('wrong secret → InvalidSignatureException', async () => {
    const e = await sdkError(client(srv.url, { accessKeyId: ALICE.accessKeyId, secretAccessKey: 'not-the-secret' }).send(new ListWorkflowsCommand({})));
    assert.deepEqual([e.name, e.status], ['InvalidSignatureException', 403]);
    assert.match(e.message, MISMATCH);
    assertAwsError(await send(srv.url, await sign(srv.url, listWorkflows(), { ...ALICE, secretAccessKey: 'x' })), 'InvalidSignatureException', 403, MISMATCH);
  });

  test('unknown access key → UnrecognizedClientException', async () => {
    const e = await sdkError(client(srv.url, { accessKeyId: 'AKIANOBODY', secretAccessKey: 's' }).send(new ListWorkflowsCommand({})));
    assert.deepEqual([e.name, e.status], ['UnrecognizedClientException', 403]);
    assertAwsError(await send(srv.url, await sign(srv.url, listWorkflows(), BOB)), 'UnrecognizedClientException', 403,
      /^The security token included in the request is invalid\.$/);
  });

  test('wrong service or region in the credential scope → InvalidSignatureException', async () => {
    assertAwsError(await send(srv.url, await sign(srv.url, listWorkflows(), ALICE, { service: 'execute-api' })), 'InvalidSignatureException', 403);
    assertAwsError(await send(srv.url, await sign(srv.url, listWorkflows(), ALICE, { region: 'eu-west-1' })), 'InvalidSignatureException', 403);
    const e = await sdkError(client(srv.url, ALICE, 'eu-west-1').send(new ListWorkflowsCommand({})));
    assert.deepEqual([e.name, e.status], ['InvalidSignatureException', 403]);
  });

  test('a tampered body with the signed x-amz-content-sha256 kept → InvalidSignatureException', async () => {
    const signed = await sign(srv.url, createRunGroup('auth-body1'), ALICE);
    assert.ok(signed.headers['x-amz-content-sha256'], 'the signer sent the payload hash');
    // Same length, so content-length (signed) still matches: only the hash can tell.
    const r = await send(srv.url, { ...signed, body: signed.body!.replace('auth-body1', 'auth-body2') });
    assertAwsError(r, 'InvalidSignatureException', 403, MISMATCH);
    // The header claiming the tampered body's hash does not help either: it is signed.
    const body = signed.body!.replace('auth-body1', 'auth-body3');
    const claimed = await send(srv.url, { ...signed, body, headers: { ...signed.headers, 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') } });
    assertAwsError(claimed, 'InvalidSignatureException', 403, MISMATCH);
  });

  test('a tampered query or path → InvalidSignatureException', async () => {
    const signed = await sign(srv.url, listWorkflows(), ALICE);
    assertAwsError(await send(srv.url, { ...signed, query: { maxResults: '6' } }), 'InvalidSignatureException', 403, MISMATCH);
    assertAwsError(await send(srv.url, { ...signed, query: { maxResults: '5', name: 'x' } }), 'InvalidSignatureException', 403, MISMATCH);
    assertAwsError(await send(srv.url, { ...signed, path: '/run' }), 'InvalidSignatureException', 403, MISMATCH);
    // An extra header that was not signed changes nothing; a signed one that changes does.
    assert.equal((await send(srv.url, { ...signed, headers: { ...signed.headers, 'x-extra': '1' } })).status, 200);
    const post = await sign(srv.url, createRunGroup('auth-hdr'), ALICE);
    assertAwsError(await send(srv.url, { ...post, headers: { ...post.headers, 'content-type': 'application/x-amz-json-1.1' } }), 'InvalidSignatureException', 403);
  });

  test('a date 20 minutes off → InvalidSignatureException "Signature expired"', async () => {
    const stale = await sign(srv.url, listWorkflows(), ALICE, { signingDate: new Date(Date.now() - 20 * 60_000) });
    assertAwsError(await send(srv.url, stale), 'InvalidSignatureException', 403, /^Signature expired/);
    const future = await sign(srv.url, listWorkflows(), ALICE, { signingDate: new Date(Date.now() + 20 * 60_000) });
    assertAwsError(await send(srv.url, future), 'InvalidSignatureException', 403, /^Signature not yet current/);
    // Within the 15 minutes: accepted.
    const skewed = await sign(srv.url, listWorkflows(), ALICE, { signingDate: new Date(Date.now() - 10 * 60_000) });
    assert.equal((await send(srv.url, skewed)).status, 200);
  });

  test('unsigned → MissingAuthenticationTokenException, on every path', async () => {
    for (const path of ['/workflow', '/run/1', '/no/such/operation']) {
      assertAwsError(await send(srv.url, { method: 'GET', path, headers: {} }), 'MissingAuthenticationTokenException', 403);
    }
    assertAwsError(await send(srv.url, { ...createRunGroup('auth-unsigned') }), 'MissingAuthenticationTokenException', 403);
  });

  test('malformed Authorization, no date, unsigned Host, presigned URLs and session tokens are refused', async () => {
    const signed = await sign(srv.url, listWorkflows(), ALICE);
    const auth = signed.headers.authorization;
    const withAuth = (authorization: string, extra: Record<string, string> = {}) => send(srv.url, { ...signed, headers: { ...signed.headers, authorization, ...extra } });
    assertAwsError(await withAuth('Basic YWxpY2U6c2VjcmV0'), 'IncompleteSignatureException', 403);
    assertAwsError(await withAuth(auth.replace(/SignedHeaders=[^,]*, /, '')), 'IncompleteSignatureException', 403);
    assertAwsError(await withAuth(auth.replace('/aws4_request', '')), 'IncompleteSignatureException', 403);
    assertAwsError(await withAuth(auth.replace('SignedHeaders=host;', 'SignedHeaders=')), 'IncompleteSignatureException', 403, /Host/);
    const noDate = { ...signed.headers };
    delete noDate['x-amz-date'];
    assertAwsError(await send(srv.url, { ...signed, headers: noDate }), 'IncompleteSignatureException', 403, /Date/);
    // A signature of the wrong shape is simply a mismatch.
    assertAwsError(await withAuth(auth.replace(/Signature=\w+/, 'Signature=abc')), 'InvalidSignatureException', 403);
    assertAwsError(await send(srv.url, { ...signed, query: { maxResults: '5', 'X-Amz-Signature': 'abc' } }), 'IncompleteSignatureException', 403, /presigned/i);
    assertAwsError(await withAuth(auth, { 'x-amz-security-token': 'token' }), 'UnrecognizedClientException', 403);
  });

  test('refusals say nothing an attacker could use: no expected signature, no canonical request', async () => {
    const signed = await sign(srv.url, listWorkflows(), { ...ALICE, secretAccessKey: 'guess' });
    const r = await send(srv.url, signed);
    assertAwsError(r, 'InvalidSignatureException', 403);
    assert.doesNotMatch(r.text, /[0-9a-f]{64}/, 'no signature or hash in the body');
    assert.doesNotMatch(r.text, /canonical|aws4_request|x-amz-date|String to sign/i);
    assert.doesNotMatch(JSON.stringify(r.headers), /[0-9a-f]{64}/);
  });

  test('a request dated by a signed Date header instead of x-amz-date is accepted', async () => {
    // SigV4 computed independently of @smithy/signature-v4 (AWS general reference, "Create a signed request").
    const u = new URL(srv.url);
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const amz = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const headers = { date: now.toUTCString(), host: u.host };
    const canonical = ['GET', '/workflow', 'maxResults=5', `date:${headers.date}`, `host:${headers.host}`, '', 'date;host',
      createHash('sha256').update('').digest('hex')].join('\n');
    const scope = `${amz.slice(0, 8)}/us-east-1/omics/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amz, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
    let k: Buffer = createHmac('sha256', `AWS4${ALICE.secretAccessKey}`).update(amz.slice(0, 8)).digest();
    for (const part of ['us-east-1', 'omics', 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
    const signature = createHmac('sha256', k).update(toSign).digest('hex');
    const authorization = `AWS4-HMAC-SHA256 Credential=${ALICE.accessKeyId}/${scope}, SignedHeaders=date;host, Signature=${signature}`;
    const r = await send(srv.url, { method: 'GET', path: '/workflow', query: { maxResults: '5' }, headers: { ...headers, authorization } });
    assert.equal(r.status, 200, r.text);
    // The same signature with another date is refused.
    const later = new Date(now.getTime() + 2000).toUTCString();
    assertAwsError(await send(srv.url, { method: 'GET', path: '/workflow', query: { maxResults: '5' }, headers: { ...headers, date: later, authorization } }),
      'InvalidSignatureException', 403);
  });

  const python = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
  test('boto3 signs requests omicsd accepts', { skip: python.status === 0 ? false : 'boto3 is not installed (pip install boto3)' }, () => {
    const script = `
import sys, boto3
from botocore.config import Config
def c(secret):
    return boto3.client('omics', region_name='us-east-1', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
        aws_secret_access_key=secret, config=Config(inject_host_prefix=False, retries={'max_attempts': 1}))
ok = c(sys.argv[3])
ok.list_workflows(maxResults=2)
rg = ok.create_run_group(name='auth-boto3', requestId='auth-boto3')
ok.list_tags_for_resource(resourceArn=rg['arn'])
try:
    c('wrong').list_workflows()
    print('WRONG-SECRET-ACCEPTED')
except Exception as e:
    print('refused', e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'])
`;
    const r = spawnSync('python3', ['-c', script, srv.url, ALICE.accessKeyId, ALICE.secretAccessKey], {
      encoding: 'utf8', env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'refused InvalidSignatureException 403');
  });

  const aws = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  test('the AWS CLI signs requests omicsd accepts', { skip: aws.status === 0 ? false : 'the AWS CLI is not installed' }, () => {
    const cli = (secret: string, ...args: string[]) => spawnSync('aws', ['omics', ...args, '--endpoint-url', srv.url, '--output', 'json'], {
      encoding: 'utf8',
      env: {
        ...process.env, AWS_ACCESS_KEY_ID: ALICE.accessKeyId, AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: 'us-east-1',
        AWS_DISABLE_HOST_PREFIX_INJECTION: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_MAX_ATTEMPTS: '1',
      },
    });
    const list = cli(ALICE.secretAccessKey, 'list-workflows');
    assert.equal(list.status, 0, list.stderr);
    assert.ok(JSON.parse(list.stdout).items);
    const create = cli(ALICE.secretAccessKey, 'create-run-group', '--name', 'auth-cli', '--request-id', 'auth-cli');
    assert.equal(create.status, 0, create.stderr);
    const wrong = cli('wrong', 'list-workflows');
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /InvalidSignatureException/);
  });
});

describe('the credentials file', () => {
  test('SIGHUP re-reads it: a new key works at once, a bad file keeps the keys in use', async () => {
    const dir = tempDir('omicsd-auth-');
    const file = writeCredentials(dir, [ALICE]);
    const srv = await startServer(['--credentials', file, '--log-level', 'info']);
    try {
      const bob = client(srv.url, BOB);
      assert.equal((await sdkError(bob.send(new ListWorkflowsCommand({})))).name, 'UnrecognizedClientException');
      writeCredentials(dir, [ALICE, BOB]);
      process.kill(srv.pid, 'SIGHUP');
      await eventually(async () => (await bob.send(new ListWorkflowsCommand({}))).$metadata.httpStatusCode === 200, 5000, 'Bob accepted after SIGHUP',
        { failFast: false });
      // The log line travels through a pipe: it may reach the test after Bob's answer.
      await eventually(() => /credentials reloaded: 2 access keys/.test(srv.stderr()), 5000, 'the reload is logged', { failFast: false });

      fs.writeFileSync(file, '{"credentials": [{"accessKeyId": "AKIA3"');
      process.kill(srv.pid, 'SIGHUP');
      await eventually(async () => /credentials not reloaded/.test(srv.stderr()), 5000, 'the failed reload is logged', { failFast: false });
      assert.match(srv.stderr(), /keeping the 2 access keys loaded before/);
      assert.equal((await bob.send(new ListWorkflowsCommand({}))).$metadata.httpStatusCode, 200);
      assert.equal((await client(srv.url, ALICE).send(new ListWorkflowsCommand({}))).$metadata.httpStatusCode, 200);
      assert.doesNotMatch(srv.stderr(), new RegExp(`${ALICE.secretAccessKey.replace(/[+/]/g, '.')}|${BOB.secretAccessKey}`), 'no secret in the log');

      // A removed key stops working after the next good reload.
      writeCredentials(dir, [BOB]);
      process.kill(srv.pid, 'SIGHUP');
      await eventually(async () => (await sdkError(client(srv.url, ALICE).send(new ListWorkflowsCommand({})))).name === 'UnrecognizedClientException',
        5000, 'Alice refused after her key is removed', { failFast: false });
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });

  const refuse = (name: string, content: string | undefined, message: RegExp) => test(`${name}: omicsd refuses to start`, async () => {
    const dir = tempDir('omicsd-auth-');
    const file = path.join(dir, 'credentials.json');
    if (content !== undefined) fs.writeFileSync(file, content, { mode: 0o600 });
    const dataDir = path.join(dir, 'data');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--executor', 'simulated', '--credentials', file],
        { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d) => (stderr += d));
      p.on('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /credentials file/);
    assert.match(r.stderr, message);
    assert.ok(!fs.existsSync(dataDir), 'nothing was written to the data dir');
  });
  refuse('not JSON', '{"credentials": [', /is not valid JSON/);
  refuse('no credentials member', '{"keys": []}', /missing member "credentials"/);
  refuse('a missing secret', JSON.stringify({ credentials: [{ accessKeyId: 'AKIA1', accountId: '123456789012' }] }), /credentials\[0\] is missing member "secretAccessKey"/);
  refuse('an account id of 11 digits', JSON.stringify({ credentials: [{ ...ALICE, accountId: '12345678901' }] }), /credentials\[0\]\.accountId must be 12 digits/);
  refuse('a duplicate access key id', JSON.stringify({ credentials: [ALICE, { ...BOB, accessKeyId: ALICE.accessKeyId }] }), /credentials\[1\]\.accessKeyId "AKIAALICE000000001" is a duplicate/);
  refuse('no keys at all', '{"credentials": []}', /empty/);
  refuse('a missing file', undefined, /cannot be read: ENOENT/);
  test('the secret never appears in a start-up error', async () => {
    const dir = tempDir('omicsd-auth-');
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, '{"credentials": [{"accessKeyId": "AKIA1", "secretAccessKey": "TOPSECRET-VALUE", "accountId": "1"}');
    const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', path.join(dir, 'd'), '--credentials', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /TOPSECRET/);
  });
});
