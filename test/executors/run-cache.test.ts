// Run caches with real call caching (docs/run-caches.md) and runs of workflow versions
// (docs/workflow-versions.md), through the SDK against omicsd running real cwltool.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateRunCacheCommand, CreateWorkflowVersionCommand, GetRunCommand, ListRunTasksCommand, StartRunCommand, waitUntilRunCompleted,
  waitUntilWorkflowVersionActive, type OmicsClient,
} from '@aws-sdk/client-omics';
import { stringify } from 'yaml';
import { FsObjectStore, parseS3Uri } from '../../src/objectstore/index.js';
import { ROLE } from '../support/client.js';
import { startServer, type RunningServer } from '../support/server.js';
import { QUICK_WAITER } from '../support/wait.js';
import { createWorkflow, cwlTool, definitionZip } from '../support/workflows.js';

const BUCKET = 'omicsd-cache-test';

/** A one-step CWL workflow: the step counts the input file's lines after `seconds` of work. */
const slowCount = (seconds: number) => definitionZip({
  'main.cwl': stringify({
    cwlVersion: 'v1.2', class: 'Workflow',
    inputs: { sample: 'File' },
    outputs: { counted: { type: 'File', outputSource: 'count/counted' } },
    steps: {
      count: {
        run: {
          class: 'CommandLineTool', baseCommand: ['sh', '-c'],
          arguments: [`sleep ${seconds}; wc -l < "$0" > counted.txt`, '$(inputs.sample.path)'],
          inputs: { sample: 'File' },
          outputs: { counted: { type: 'File', outputBinding: { glob: 'counted.txt' } } },
        },
        in: { sample: 'sample' }, out: ['counted'],
      },
    },
  }, { lineWidth: 0 }),
});

/** A tool that writes `word` to said.txt: the workflow and its version differ only by the word. */
const say = (word: string) => definitionZip({
  'main.cwl': cwlTool(['sh', '-c', `echo ${word} > said.txt`], { outputs: { said: { type: 'File', outputBinding: { glob: 'said.txt' } } } }),
});

let server: RunningServer;
let client: OmicsClient;
let objects: FsObjectStore;
before(async () => {
  server = await startServer(['--executor', 'local']);
  client = server.client;
  objects = new FsObjectStore(path.join(server.dataDir, 'objects'));
  await objects.write({ bucket: BUCKET, key: 'in/sample.txt' }, 'a\nb\nc\n');
});
after(async () => {
  await objects.close();
  assert.equal(await server.stop(), 0);
});

async function run(workflowId: string, extra: Record<string, unknown> = {}) {
  const { id } = await client.send(new StartRunCommand({ workflowId, roleArn: ROLE, outputUri: `s3://${BUCKET}/out/`, ...extra }));
  await waitUntilRunCompleted({ client, maxWaitTime: 120, ...QUICK_WAITER }, { id }).catch(() => undefined);
  const r = await client.send(new GetRunCommand({ id }));
  const log = fs.readFileSync(path.join(server.dataDir, 'runs', id!, 'engine.log'), 'utf8');
  assert.equal(r.status, 'COMPLETED', `run ${id}: ${r.statusMessage}\n${log}`);
  const tasks = (await client.send(new ListRunTasksCommand({ id }))).items!;
  return { r, tasks, log, seconds: (r.stopTime!.getTime() - r.startTime!.getTime()) / 1000 };
}

async function keysUnder(uri: string) {
  const loc = parseS3Uri(uri, 'uri', { allowEmptyKey: true });
  const keys: string[] = [];
  for await (const o of objects.list(loc.bucket, loc.key)) keys.push(o.key);
  return keys;
}

describe('run caches', () => {
  test('CACHE_ALWAYS: a second run of the same inputs reuses the step from the cache, and is faster', async (t) => {
    const wf = await createWorkflow(client, { definitionZip: slowCount(4) });
    const cache = await client.send(new CreateRunCacheCommand({ cacheS3Location: `s3://${BUCKET}/cache/always`, cacheBehavior: 'CACHE_ALWAYS' }));
    const parameters = { sample: `s3://${BUCKET}/in/sample.txt` };
    const first = await run(wf, { cacheId: cache.id, parameters });
    assert.equal(first.r.cacheId, cache.id);
    assert.equal(first.r.cacheBehavior, 'CACHE_ALWAYS');
    assert.equal(first.r.engineVersion, undefined, 'HealthOmics reports engineVersion for Nextflow runs only');
    assert.equal(first.tasks.length, 1);
    assert.equal(first.tasks[0].cacheHit, false);
    assert.match(first.tasks[0].cacheS3Uri!, new RegExp(`^s3://${BUCKET}/cache/always/cwltool/[0-9a-f]{32}/$`));
    const kept = await keysUnder(first.tasks[0].cacheS3Uri!);
    assert.ok(kept.some((k) => k.endsWith('/counted.txt')), `the step's output is kept under the cache: ${kept.join(', ')}`);
    assert.match(first.log, /run cache \d+ \(CACHE_ALWAYS\): 1 new entries kept/);

    const second = await run(wf, { cacheId: cache.id, parameters });
    assert.equal(second.tasks[0].cacheHit, true);
    assert.equal(second.tasks[0].cacheS3Uri, first.tasks[0].cacheS3Uri);
    assert.match(second.log, /Using cached output in/);
    assert.doesNotMatch(second.log, /sleep 4/, 'the step did not run again');
    assert.ok(second.seconds < first.seconds, `the cached run took ${second.seconds} s, the first ${first.seconds} s`);
    t.diagnostic(`first run ${first.seconds} s, cached run ${second.seconds} s`);
    const out = fs.readFileSync(path.join(server.dataDir, 'objects', BUCKET, 'data', 'out', second.r.id!, 'out', 'counted.txt'), 'utf8');
    assert.equal(out.trim(), '3', 'the cached output is exported as the run\'s own');

    // Without the cache the step runs again.
    const plain = await run(wf, { parameters });
    assert.equal(plain.tasks[0].cacheHit, false);
    assert.equal(plain.tasks[0].cacheS3Uri, undefined);
  });

  test('a tool cannot make omicsd upload a file from outside the cache: links planted in the cache folder are not followed', async () => {
    // The secret stands for anything omicsd's user can read (its database, the credentials file).
    const secret = path.join(server.dataDir, 'secret-outside-the-sandbox.txt');
    fs.writeFileSync(secret, 'not for the cache\n');
    const fake = 'f'.repeat(32);
    // The step's folder is a cache entry, so its parent is the cache folder. The tool plants a link
    // named like an entry, and claims it in the log as cwltool would.
    const plant = definitionZip({
      'main.cwl': cwlTool(['sh', '-c', `ln -s ${secret} ../${fake}.status; ln -s ${path.dirname(secret)} ../${fake}; `
        + `echo "Output of job will be cached in $(cd .. && pwd)/${fake}" >&2; echo done > said.txt`],
      { outputs: { said: { type: 'File', outputBinding: { glob: 'said.txt' } } } }),
    });
    const wf = await createWorkflow(client, { definitionZip: plant });
    const cache = await client.send(new CreateRunCacheCommand({ cacheS3Location: `s3://${BUCKET}/cache/links`, cacheBehavior: 'CACHE_ALWAYS' }));
    const done = await run(wf, { cacheId: cache.id });
    const kept = await keysUnder(`s3://${BUCKET}/cache/links/`);
    assert.ok(kept.length > 0, `the run's own entry is kept: ${done.log.slice(-2000)}`);
    assert.deepEqual(kept.filter((k) => k.includes(fake)), [], 'the planted links are not followed');
    for (const key of kept) {
      const { body } = await objects.read({ bucket: BUCKET, key });
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c));
      assert.doesNotMatch(Buffer.concat(chunks).toString('utf8'), /not for the cache/, key);
    }
  });

  test('CACHE_ON_FAILURE keeps nothing of a run that completed', async () => {
    const wf = await createWorkflow(client, { definitionZip: slowCount(1) });
    const cache = await client.send(new CreateRunCacheCommand({ cacheS3Location: `s3://${BUCKET}/cache/on-failure` }));
    const parameters = { sample: `s3://${BUCKET}/in/sample.txt` };
    const first = await run(wf, { cacheId: cache.id, parameters });
    assert.equal(first.r.cacheBehavior, 'CACHE_ON_FAILURE');
    assert.deepEqual(await keysUnder(`s3://${BUCKET}/cache/on-failure/`), []);
    const second = await run(wf, { cacheId: cache.id, parameters });
    assert.equal(second.tasks[0].cacheHit, false, 'nothing was kept to reuse');
  });
});

describe('workflow versions', () => {
  test('a run of version v2 runs v2\'s definition', async () => {
    const wf = await createWorkflow(client, { definitionZip: say('from-the-workflow') });
    await client.send(new CreateWorkflowVersionCommand({ workflowId: wf, versionName: 'v2', definitionZip: say('from-v2'), requestId: `v2-${wf}` }));
    assert.equal((await waitUntilWorkflowVersionActive({ client, maxWaitTime: 20, ...QUICK_WAITER }, { workflowId: wf, versionName: 'v2' })).state, 'SUCCESS');
    const said = (id: string) => fs.readFileSync(path.join(server.dataDir, 'objects', BUCKET, 'data', 'out', id, 'out', 'said.txt'), 'utf8').trim();
    const base = await run(wf);
    const v2 = await run(wf, { workflowVersionName: 'v2' });
    assert.equal(said(base.r.id!), 'from-the-workflow');
    assert.equal(said(v2.r.id!), 'from-v2');
    assert.equal(v2.r.workflowVersionName, 'v2');
  });
});
