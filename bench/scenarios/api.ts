import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { GetRunCommand, ListRunsInBatchCommand } from '@aws-sdk/client-omics';
import { startBare, type Bare } from '../lib/bare.js';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { benchWorkflow, processed, startBatch, waitBatch } from '../lib/omics.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import type { Profile } from '../profile.js';

/** autocannon against one URL; any error or non-2xx answer is a harness error, not a figure. */
async function cannon(url: string, connections: number, seconds: number) {
  const r = await autocannon({ url, connections, duration: seconds });
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`);
  return { reqPerSec: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, seconds: r.duration };
}

/** GetRun under 32 connections, beside a bare node:http handler answering the same JSON. */
export async function api(p: Profile) {
  const figs = new Figures('API');
  const { connections, seconds, warmupSeconds } = p.api;
  const dir = tempDir('api');
  let server: Omicsd | undefined;
  let bare: Bare | undefined;
  try {
    server = await startOmicsd({ dataDir: dir, simRunMs: 0, startRunRate: 0 });
    const { client } = server;
    const workflowId = await benchWorkflow(client);
    const inline = Array.from({ length: 100 }, (_, i) => JSON.parse(smallEntry(i + 1)));
    const batchId = await startBatch(client, workflowId, { inline }, 'api');
    await waitBatch(client, batchId, processed, { timeoutMs: 60_000, pollMs: 50 });
    const runId = (await client.send(new ListRunsInBatchCommand({ batchId, maxItems: 1 }))).runs![0].runId!;
    await client.send(new GetRunCommand({ id: runId })); // the SDK accepts the answer
    const url = `${server.url}/run/${runId}`;
    const body = await (await fetch(url)).text();
    const docFile = path.join(dir, 'getrun.json');
    fs.writeFileSync(docFile, body);
    bare = await startBare('json', docFile);
    const bareUrl = `${bare.url}/run/${runId}`;

    await cannon(url, connections, warmupSeconds);
    const ours = await cannon(url, connections, seconds);
    await cannon(bareUrl, connections, warmupSeconds);
    const floor = await cannon(bareUrl, connections, seconds);
    log('API', `GetRun ${ours.reqPerSec.toFixed(0)} req/s (p99 ${ours.p99} ms); bare ${floor.reqPerSec.toFixed(0)} req/s (p99 ${floor.p99} ms)`);
    figs.add({ figure: `GetRun, ${connections} connections`, value: ours.reqPerSec, unit: 'req/s', limit: floor.reqPerSec, limitLabel: 'bare node:http', target: '≥ 40 % of bare', pass: ours.reqPerSec >= 0.4 * floor.reqPerSec });
    figs.add({ figure: `GetRun p99, ${connections} connections`, value: ours.p99, unit: 'ms', limit: floor.p99, limitLabel: 'bare node:http' });
    await server.stop();
    server = undefined;
    return { figures: figs.list, details: { responseBytes: Buffer.byteLength(body), omicsd: ours, bare: floor } };
  } finally {
    await bare?.stop();
    await server?.child.stop();
    removeDir(dir);
  }
}
