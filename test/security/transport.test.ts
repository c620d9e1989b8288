// The edge checks every request passes, with or without credentials (docs/security.md): a body
// only as JSON, a Host that names this service, no cross-site Origin, loopback unless told
// otherwise, and the router's own errors in the AWS shape.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancelRunCommand, ListWorkflowsCommand, ResourceNotFoundException } from '@aws-sdk/client-omics';
import { BIN, tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { assertAwsError, parseRaw, rawExchange, send, writeCredentials, type WireRequest } from './helpers.js';

const runGroup = (name: string, contentType?: string): WireRequest => ({
  method: 'POST', path: '/runGroup', headers: contentType ? { 'content-type': contentType } : {}, body: JSON.stringify({ name, requestId: name }),
});

describe('without credentials (loopback)', () => {
  let srv: RunningServer;
  let port: string;
  before(async () => {
    srv = await startServer(['--allowed-host', 'omics.example.test', '--allowed-host', 'fixed.example.test:8443']);
    port = new URL(srv.url).port;
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  test('a body only as JSON: text/plain, a form, or no Content-Type are refused', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/json', 'application/jsonx']) {
      assertAwsError(await send(srv.url, runGroup(`ct-${ct}`, ct)), 'ValidationException', 400, /Content-Type/);
    }
    assertAwsError(await send(srv.url, runGroup('ct-none')), 'ValidationException', 400, /Content-Type/);
    // Even a bodiless request may not declare a non-JSON type.
    assertAwsError(await send(srv.url, { method: 'GET', path: '/workflow', headers: { 'content-type': 'text/plain' } }), 'ValidationException', 400);
    // A bodiless GET with a text/plain body smuggled through chunked encoding: refused too.
    assertAwsError(await send(srv.url, { method: 'GET', path: '/workflow', headers: { 'transfer-encoding': 'chunked' }, body: 'x' }), 'ValidationException', 400);
  });

  test('the JSON types are accepted, with parameters and in any case; a bodiless POST needs none', async () => {
    for (const ct of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/x-amz-json-1.1', 'application/x-amz-json-1.0']) {
      const r = await send(srv.url, runGroup(`ok-${ct.replace(/\W/g, '')}`, ct));
      assert.equal(r.status, 201, `${ct}: ${r.text}`);
    }
    // CancelRun: the SDK, boto3 and the CLI send POST with neither body nor Content-Type.
    await assert.rejects(srv.client.send(new CancelRunCommand({ id: '9999999' })), ResourceNotFoundException);
  });

  test('a Host that does not name this service is refused (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, `localhost:${Number(port) + 1}`,
      `omics.example.test.evil:${port}`, 'fixed.example.test:8444', `workflows-evil.example:${port}`, 'fixed.example.test', '', 'a b']) {
      assertAwsError(await send(srv.url, { method: 'GET', path: '/workflow', headers: { host } }), 'AccessDeniedException', 403);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `workflows-localhost:${port}`, `tags-127.0.0.1:${port}`,
      // --allowed-host without a port: any port; with one: only that one (or none, behind a proxy on 80/443).
      'omics.example.test', 'omics.example.test:1234', `workflows-omics.example.test:${port}`, 'fixed.example.test:8443']) {
      const r = await send(srv.url, { method: 'GET', path: '/workflow', headers: { host } });
      assert.equal(r.status, 200, `${host}: ${r.text}`);
    }
  });

  test('two Host headers are refused', async () => {
    const raw = await rawExchange(srv.url, `GET /workflow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    const r = parseRaw(raw);
    assert.ok(r.status === 400 || r.status === 403, raw);
    assert.ok(r.headers['x-amzn-errortype'], raw);
  });

  test('a cross-site Origin is refused, a same-origin one accepted (CSRF)', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `http://127.0.0.1:${Number(port) + 1}`, `https://127.0.0.1:${port}`,
      'file://', 'not a url', `http://localhost:${port}.evil.example`]) {
      assertAwsError(await send(srv.url, { ...runGroup(`origin-${origin}`, 'application/json'), headers: { 'content-type': 'application/json', origin } }),
        'AccessDeniedException', 403, /Origin/);
      assertAwsError(await send(srv.url, { method: 'GET', path: '/workflow', headers: { origin } }), 'AccessDeniedException', 403);
    }
    // A simple cross-site form post: refused for the Origin before its content type is looked at.
    assertAwsError(await send(srv.url, { ...runGroup('csrf-form', 'text/plain'), headers: { 'content-type': 'text/plain', origin: 'http://evil.example' } }),
      'AccessDeniedException', 403);
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'https://omics.example.test', 'http://omics.example.test:9000']) {
      const r = await send(srv.url, { method: 'GET', path: '/workflow', headers: { origin } });
      assert.equal(r.status, 200, `${origin}: ${r.text}`);
    }
  });

  test('router errors come in the AWS shape, never Fastify\'s', async () => {
    for (const p of ['/run/%zz', '/workflow/%E0%A4%A', '/tags/%']) {
      const r = await send(srv.url, { method: 'GET', path: p, headers: {} });
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
      assertAwsError(r, r.json.__type.split('#')[1], r.status);
      assert.doesNotMatch(r.text, /statusCode|FST_/);
    }
    // A path label longer than the router takes: 414.
    const long = await send(srv.url, { method: 'GET', path: `/run/${'1'.repeat(5000)}`, headers: {} });
    assertAwsError(long, 'ValidationException', 414);
    // Request line and headers over Node's limit: 431, written before Fastify sees the request.
    const huge = await send(srv.url, { method: 'GET', path: `/workflow?x=${'a'.repeat(20_000)}`, headers: {} });
    assertAwsError(huge, 'ValidationException', 431);
    // Not HTTP at all, and a header that is not a header.
    for (const junk of ['GARBAGE\r\n\r\n', `GET /workflow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nBad Header\r\n\r\n`]) {
      const r = parseRaw(await rawExchange(srv.url, junk));
      assertAwsError(r, 'ValidationException', 400);
      assert.doesNotMatch(r.text, /statusCode/);
    }
    // Unknown operations, unchanged.
    assertAwsError(await send(srv.url, { method: 'PUT', path: '/run', headers: {} }), 'UnknownOperationException', 404);
  });

  test('the SDK without credentials checking still works (the default account)', async () => {
    const r = await srv.client.send(new ListWorkflowsCommand({}));
    assert.equal(r.$metadata.httpStatusCode, 200);
  });
});

/** Runs `omicsd serve` expecting it to exit; returns its code and stderr. */
function serveExits(args: string[]) {
  const dir = tempDir('omicsd-transport-');
  return new Promise<{ code: number | null; stderr: string; dataDir: string }>((resolve) => {
    const dataDir = path.join(dir, 'data');
    const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--executor', 'simulated', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stderr, dataDir }));
  });
}

describe('listening beyond loopback', () => {
  test('--host 0.0.0.0 without --credentials refuses to start', async () => {
    const r = await serveExits(['--host', '0.0.0.0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without --credentials/);
    assert.match(r.stderr, /--insecure-no-auth/);
  });

  test('a bad --allowed-host is refused by name', async () => {
    const r = await serveExits(['--allowed-host', 'http://x']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /--allowed-host/);
  });

  test('with --insecure-no-auth it starts, and warns at every start', async () => {
    const dataDir = tempDir('omicsd-transport-');
    for (let start = 0; start < 2; start++) {
      const srv = await startServer(['--host', '0.0.0.0', '--insecure-no-auth'], dataDir);
      try {
        assert.match(srv.stderr(), /INSECURE: --insecure-no-auth: listening on 0\.0\.0\.0 without authentication/);
        const port = new URL(srv.url).port;
        const r = await send(`http://127.0.0.1:${port}`, { method: 'GET', path: '/workflow', headers: {} });
        assert.equal(r.status, 200, r.text);
        assertAwsError(await send(`http://127.0.0.1:${port}`, { method: 'GET', path: '/workflow', headers: { host: `evil.example:${port}` } }), 'AccessDeniedException', 403);
      } finally {
        assert.equal(await srv.stop(), 0);
      }
    }
  });

  test('with --credentials it starts on 0.0.0.0 without a warning, and requires signatures', async () => {
    const dir = tempDir('omicsd-transport-');
    const file = writeCredentials(dir, [{ accessKeyId: 'AKIAT', secretAccessKey: 's', accountId: '333333333333' }]);
    const srv = await startServer(['--host', '0.0.0.0', '--credentials', file]);
    try {
      assert.doesNotMatch(srv.stderr(), /INSECURE/);
      const port = new URL(srv.url).port;
      assertAwsError(await send(`http://127.0.0.1:${port}`, { method: 'GET', path: '/workflow', headers: {} }), 'MissingAuthenticationTokenException', 403);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});
