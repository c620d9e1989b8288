import path from 'node:path';
import { CreateRunCacheCommand, GetBatchCommand, ListRunsInBatchCommand, ListRunTasksCommand, StartRunBatchCommand, type OmicsClient } from '@aws-sdk/client-omics';
import { stringify } from 'yaml';
import { FsObjectStore } from '../../src/objectstore/index.js';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { tempDir } from '../lib/temp-dirs.js';
import { needs } from '../../test/executors/harness.js';
import { ROLE } from '../../test/support/client.js';
import { startServer } from '../../test/support/server.js';
import { createWorkflow, definitionZip } from '../../test/support/workflows.js';
import { sleep } from '../../test/support/wait.js';
import type { Profile } from '../profile.js';

/**
 * Run caches (docs/run-caches.md), as a platform team uses them: a batch of `samples` real cwltool
 * runs, each counting its own input file after `stepSeconds` of work, with a CACHE_ALWAYS cache;
 * then the same batch again. The second batch's steps come from the cache: its time beside the
 * first's is the figure, and every one of its tasks must be a cache hit.
 */
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

async function timedBatch(c: OmicsClient, workflowId: string, cacheId: string, samples: number) {
  const t = performance.now();
  const { id } = await c.send(new StartRunBatchCommand({
    defaultRunSetting: { workflowId, roleArn: ROLE, outputUri: 's3://bench-cache/out/', cacheId },
    batchRunSettings: { inlineSettings: Array.from({ length: samples }, (_, i) => ({ runSettingId: `s${i}`, parameters: { sample: `s3://bench-cache/in/s${i}.txt` } })) },
  }));
  for (;;) {
    const b = await c.send(new GetBatchCommand({ batchId: id }));
    if (b.status === 'PROCESSED') {
      if (b.runSummary?.completedRunCount !== samples) throw new Error(`batch ${id}: ${JSON.stringify(b.runSummary)}`);
      break;
    }
    if (performance.now() - t > 600_000) throw new Error(`batch ${id} is ${b.status} after 10 minutes`);
    await sleep(250);
  }
  const seconds = (performance.now() - t) / 1000;
  const runs = (await c.send(new ListRunsInBatchCommand({ batchId: id, maxItems: 100 }))).runs!;
  let hits = 0;
  for (const r of runs) hits += (await c.send(new ListRunTasksCommand({ id: r.runId }))).items!.filter((task) => task.cacheHit).length;
  return { seconds, hits };
}

export async function cacheBench(p: Profile) {
  const figs = new Figures('run caches');
  const skip = needs('cwltool');
  if (skip) {
    log('cache', `skipped: ${skip}`);
    return { figures: figs.list, details: { skipped: skip } };
  }
  const { samples, stepSeconds } = p.cache;
  const dataDir = tempDir('cache');
  const objects = new FsObjectStore(path.join(dataDir, 'objects'));
  for (let i = 0; i < samples; i++) await objects.write({ bucket: 'bench-cache', key: `in/s${i}.txt` }, `sample ${i}\n`.repeat(i + 1));
  await objects.close();
  const server = await startServer(['--executor', 'local', '--log-level', 'warn', '--start-run-rate', '0', '--api-rate', '0'], dataDir, { startMs: 30_000 });
  try {
    const c = server.client;
    const wf = await createWorkflow(c, { definitionZip: slowCount(stepSeconds), engine: 'CWL' });
    const cache = await c.send(new CreateRunCacheCommand({ cacheS3Location: 's3://bench-cache/cache/', cacheBehavior: 'CACHE_ALWAYS' }));
    const first = await timedBatch(c, wf, cache.id!, samples);
    const again = await timedBatch(c, wf, cache.id!, samples);
    figs.add({
      figure: `${samples}-sample CWL batch again with its run cache (steps of ${stepSeconds} s)`, value: again.seconds, unit: 's',
      limit: first.seconds, limitLabel: 'the first batch, filling the cache', target: '≤ 0.5× the first', pass: again.seconds <= 0.5 * first.seconds,
    });
    figs.add({ figure: 'cache hits in the second batch', value: again.hits, unit: 'tasks', limit: samples, limitLabel: 'tasks', target: 'every task', pass: again.hits === samples });
    log('cache', `${samples} samples: ${first.seconds.toFixed(1)} s filling the cache, ${again.seconds.toFixed(1)} s from it (${again.hits}/${samples} hits)`);
    return { figures: figs.list, details: { samples, stepSeconds, firstSeconds: first.seconds, againSeconds: again.seconds, hits: again.hits, firstHits: first.hits } };
  } finally {
    await server.stop();
  }
}
