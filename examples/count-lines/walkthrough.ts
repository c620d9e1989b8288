/*
 * The count-lines walkthrough with the AWS SDK, against an omicsd started with `--executor local`:
 * uploads three samples to the object store, creates the workflow from this folder, starts a batch
 * of three runs, waits for it, and prints each run's tasks and the line count it wrote.
 *
 *   node --import tsx examples/count-lines/walkthrough.ts [--endpoint http://127.0.0.1:8080] [--data-dir ./.omicsd]
 *
 * `--data-dir` must be the one omicsd serves (the samples go into its embedded object store);
 * with `--s3-endpoint URL` they go to that S3-compatible server instead, as omicsd would read them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  CreateWorkflowCommand, GetBatchCommand, GetRunCommand, ListRunTasksCommand, ListRunsInBatchCommand, OmicsClient, StartRunBatchCommand,
  waitUntilWorkflowActive,
} from '@aws-sdk/client-omics';
import { strToU8, zipSync } from 'fflate';
import { copyFileToStore, createObjectStore } from '../../src/objectstore/index.js';

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string', default: 'http://127.0.0.1:8080' },
    'data-dir': { type: 'string', default: './.omicsd' },
    's3-endpoint': { type: 'string' },
  },
});

const here = import.meta.dirname;
const client = new OmicsClient({
  region: 'us-east-1',
  endpoint: args.endpoint,
  disableHostPrefix: true, // omicsd answers on one host, not on HealthOmics' `workflows-` sub-domains
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const objects = createObjectStore({ dataDir: args['data-dir']!, s3Endpoint: args['s3-endpoint'], region: 'us-east-1' });

// 1. Three samples of 3, 5 and 8 lines in the object store.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'count-lines-'));
const samples = [3, 5, 8].map((n, i) => {
  const file = path.join(tmp, `sample-${i + 1}.txt`);
  fs.writeFileSync(file, Array.from({ length: n }, (_, j) => `line ${j + 1}`).join('\n') + '\n');
  return { id: `sample-${i + 1}`, file, uri: `s3://omicsd-examples/count-lines/sample-${i + 1}.txt`, lines: n };
});
for (const s of samples) await copyFileToStore(objects, s.file, s.uri);
console.log(`uploaded ${samples.map((s) => s.uri).join(', ')}`);

// 2. The workflow, from this folder's two CWL files.
const definitionZip = zipSync({
  'main.cwl': strToU8(fs.readFileSync(path.join(here, 'main.cwl'), 'utf8')),
  'count-lines.cwl': strToU8(fs.readFileSync(path.join(here, 'count-lines.cwl'), 'utf8')),
});
const wf = await client.send(new CreateWorkflowCommand({ name: 'count-lines', engine: 'CWL', main: 'main.cwl', definitionZip }));
await waitUntilWorkflowActive({ client, maxWaitTime: 60, minDelay: 1 }, { id: wf.id });
console.log(`workflow ${wf.id} ACTIVE`);

// 3. A batch of three runs, one per sample.
const batch = await client.send(new StartRunBatchCommand({
  batchName: 'count-lines-demo',
  defaultRunSetting: {
    workflowId: wf.id, roleArn: 'arn:aws:iam::123456789012:role/OmicsRole', outputUri: 's3://omicsd-examples/count-lines/results/',
  },
  batchRunSettings: { inlineSettings: samples.map((s) => ({ runSettingId: s.id, name: s.id, parameters: { input: s.uri } })) },
}));
console.log(`batch ${batch.id} started`);

let status: string | undefined;
for (const end = Date.now() + 300_000; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) {
  const b = await client.send(new GetBatchCommand({ batchId: batch.id }));
  if (b.status !== status) console.log(`batch ${batch.id} ${b.status}`);
  status = b.status;
  if (['PROCESSED', 'FAILED', 'CANCELLED'].includes(status!)) break;
}

// 4. Each run: its status, its tasks and the count it wrote under runOutputUri/out/.
const entries = (await client.send(new ListRunsInBatchCommand({ batchId: batch.id }))).runs ?? [];
let ok = status === 'PROCESSED';
for (const e of entries) {
  const sample = samples.find((s) => s.id === e.runSettingId)!;
  if (!e.runId) {
    console.log(`${e.runSettingId}: not started (${e.submissionFailureReason}: ${e.submissionFailureMessage})`);
    ok = false;
    continue;
  }
  const run = await client.send(new GetRunCommand({ id: e.runId }));
  const tasks = (await client.send(new ListRunTasksCommand({ id: e.runId }))).items ?? [];
  let count = '';
  if (run.status === 'COMPLETED') {
    const out = run.runOutputUri!.replace(/^s3:\/\//, '');
    const slash = out.indexOf('/');
    try {
      const { body } = await objects.read({ bucket: out.slice(0, slash), key: `${out.slice(slash + 1)}/out/count.txt` });
      for await (const chunk of body) count += chunk;
    } catch (err) {
      console.log(`  could not read the output: ${(err as Error).message}`);
    }
  }
  const right = count.trim() === String(sample.lines);
  ok &&= right;
  console.log(`run ${e.runId} (${e.runSettingId}) ${run.status}${run.failureReason ? ` ${run.failureReason}: ${run.statusMessage}` : ''}`);
  console.log(`  tasks: ${tasks.map((t) => `${t.name} ${t.status} cpus=${t.cpus} memory=${t.memory}GiB`).join('; ') || 'none'}`);
  console.log(`  ${run.runOutputUri}/out/count.txt: ${count.trim() || '(none)'} (expected ${sample.lines})`);
}
await objects.close();
fs.rmSync(tmp, { recursive: true, force: true });
process.exitCode = ok ? 0 : 1;
