// Settings-file and run-list errors as GetBatch shows them: failureReason is exactly the documented
// text, and statusMessage (a member official clients drop, so read here over plain HTTP) starts with
// it and then points at the problem (byte offset, line and column; element index; runSettingId).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { StartRunBatchCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { waitBatchStatus } from '../support/batches.js';
import { s3cp } from '../support/cli.js';
import { ROLE } from '../support/client.js';
import { tempDir } from '../support/paths.js';
import { startServer, type RunningServer } from '../support/server.js';
import { createWorkflow } from '../support/workflows.js';

let server: RunningServer;
let client: OmicsClient;
let workflowId: string;
const dir = tempDir();
const INVALID = 'Invalid JSON format in run configurations';

before(async () => {
  server = await startServer(['--sim-run-ms', '200']);
  client = server.client;
  workflowId = await createWorkflow(client, { name: 'settings-errors' });
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

const defaults = () => ({ workflowId, roleArn: ROLE, outputUri: 's3://out/settings-errors/' });

const DOCUMENTED = /^(Invalid JSON format in run configurations|Expected \d+ unique runSettingIds but there were \d+)$/;

/** A failed batch's statusMessage, after checking that its failureReason is the documented text it starts with. */
async function failureOf(batchId: string): Promise<string> {
  const b = await waitBatchStatus(client, batchId, ['FAILED', 'SUBMITTING', 'INPROGRESS', 'PROCESSED']);
  assert.equal(b.status, 'FAILED');
  assert.ok(b.failedTime);
  assert.match(b.failureReason!, DOCUMENTED);
  const raw = await (await fetch(`${server.url}/runBatch/${batchId}`)).json() as { failureReason: string; statusMessage: string };
  assert.equal(raw.failureReason, b.failureReason);
  assert.ok(raw.statusMessage.startsWith(b.failureReason!), raw.statusMessage);
  assert.ok(raw.statusMessage.length <= 1000, `${raw.statusMessage.length} characters`);
  return raw.statusMessage;
}

/** Puts `content` into the embedded store as a settings file, starts a batch from it, and returns its statusMessage. */
async function failureOfFile(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  await s3cp(file, `s3://settings/${name}`, server.dataDir);
  const res = await client.send(new StartRunBatchCommand({ defaultRunSetting: defaults(), batchRunSettings: { s3UriSettings: `s3://settings/${name}` } }));
  return failureOf(res.id!);
}

describe('settings file', () => {
  test('a JSON typo: what was found, with byte offset, line and column (CRLF, multi-byte text before it)', async () => {
    const content = '[\r\n  {"runSettingId": "échantillon-1"},\r\n  {"runSettingId": "漢字-2", "parameters": {"n": 1,}}\r\n]\r\n';
    assert.equal(await failureOfFile('typo.json', content), `${INVALID}: unexpected '}' at byte 95 (line 3, column 50)`);
  });

  test('a stray closing brace found by the splitter', async () => {
    assert.equal(await failureOfFile('brace.json', '[\n{"runSettingId":"a"}},\n{"runSettingId":"b"}\n]'), `${INVALID}: unexpected '}' at byte 22 (line 2, column 21)`);
  });

  test('an unterminated string names the element it is in', async () => {
    assert.equal(await failureOfFile('unterminated.json', '[\n {"runSettingId":"a"},\n {"runSettingId":"b}\n]\n'),
      `${INVALID}: unterminated string in the element starting at byte 26 (line 3, column 2)`);
  });

  test('a file cut short before the closing bracket', async () => {
    assert.equal(await failureOfFile('short.json', '[{"runSettingId":"a"},\n {"runSettingId":"b"}'), `${INVALID}: the file ends before the closing ']' at byte 44 (line 2, column 22)`);
  });

  test('an object instead of an array', async () => {
    assert.equal(await failureOfFile('object.json', '\n{"runSettingId":"a"}'),
      `${INVALID}: the settings file must be a JSON array of objects; found an object at byte 1 (line 2, column 1)`);
  });

  test('an element that is not an object', async () => {
    assert.equal(await failureOfFile('scalar.json', '[{"runSettingId":"a"},\n "b"]'),
      `${INVALID}: the settings file must be a JSON array of objects; element 1 is a string at byte 24 (line 2, column 2)`);
  });

  test('an empty file', async () => {
    assert.equal(await failureOfFile('empty.json', ''), `${INVALID}: the settings file must be a JSON array of objects; found an empty file`);
  });

  test('entries without a valid runSettingId are named by index', async () => {
    const content = JSON.stringify([{ runSettingId: 'a' }, { runSettingId: 'b' }, { parameters: {} }, { runSettingId: 'x'.repeat(129) }]);
    assert.equal(await failureOfFile('ids.json', content), 'Expected 4 unique runSettingIds but there were 2: entry 2 has no runSettingId; '
      + `entry 3 has an invalid runSettingId "${'x'.repeat(64)}…" (1 to 128 printable characters)`);
  });

  test('duplicates name the id and every entry that has it', async () => {
    const ids = ['a', 'b', 'b', 'a', 'c'];
    assert.equal(await failureOfFile('dups.json', JSON.stringify(ids.map((runSettingId) => ({ runSettingId })))),
      'Expected 5 unique runSettingIds but there were 3: duplicated: "a" (entries 0, 3), "b" (entries 1, 2)');
  });

  test('more than five duplicated ids: five named, the rest counted, within 1,000 characters', async () => {
    const entries = Array.from({ length: 3000 }, (_, i) => ({ runSettingId: `sample-${i % 1000}` }));
    assert.equal(await failureOfFile('many-dups.json', JSON.stringify(entries)), 'Expected 3000 unique runSettingIds but there were 1000: duplicated: '
      + '"sample-0" (entries 0, 1000, 2000), "sample-1" (entries 1, 1001, 2001), "sample-2" (entries 2, 1002, 2002), '
      + '"sample-3" (entries 3, 1003, 2003), "sample-4" (entries 4, 1004, 2004) and 995 more');
  });
});

describe('inline settings', () => {
  test('duplicates are named the same way (no byte positions: the list is JSON already)', async () => {
    const res = await client.send(new StartRunBatchCommand({
      defaultRunSetting: defaults(),
      batchRunSettings: { inlineSettings: [{ runSettingId: 'x' }, { runSettingId: 'y' }, { runSettingId: 'x' }, { runSettingId: 'y' }, { runSettingId: 'x' }] },
    }));
    assert.equal(await failureOf(res.id!), 'Expected 5 unique runSettingIds but there were 2: duplicated: "x" (entries 0, 2, 4), "y" (entries 1, 3)');
  });
});
