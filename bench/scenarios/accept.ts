import { randomUUID } from 'node:crypto';
import { StartRunBatchCommand, type OmicsClient, type StartRunBatchCommandInput } from '@aws-sdk/client-omics';
import { startBare, type Bare } from '../lib/bare.js';
import { cpuPerCall } from '../lib/cpu.js';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { sdkClient } from '../../test/support/client.js';
import { benchWorkflow, defaultRunSetting, waitBatch } from '../lib/omics.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import { summary, timedCalls } from '../lib/stats.js';
import type { Profile } from '../profile.js';

/**
 * StartRunBatch with 100 inline entries, at 1 and 8 clients, against omicsd and against a bare
 * node:http JSON echo of the same body, with the same SDK client. The StartRun rate is set near
 * zero: the accepted batches are ingested in the background, but their runs are not created.
 */
export async function accept(p: Profile) {
  const figs = new Figures('accept');
  const dir = tempDir('accept');
  let server: Omicsd | undefined;
  let bare: Bare | undefined;
  const details: Record<string, unknown> = {};
  try {
    server = await startOmicsd({ dataDir: dir, simRunMs: 0, startRunRate: 0.001, startRunBurst: 1 });
    bare = await startBare('echo');
    const workflowId = await benchWorkflow(server.client);
    const input: StartRunBatchCommandInput = {
      batchName: 'accept', requestId: '', defaultRunSetting: defaultRunSetting(workflowId),
      batchRunSettings: { inlineSettings: Array.from({ length: p.accept.entries }, (_, i) => JSON.parse(smallEntry(i + 1))) },
    };
    details.bodyBytes = Buffer.byteLength(JSON.stringify(input));
    let lastBatch = '';
    const call = (clients: OmicsClient[]) => async (_i: number, w: number) => {
      const res = await clients[w].send(new StartRunBatchCommand({ ...input, requestId: randomUUID() }));
      if (res.id) lastBatch = res.id;
    };

    for (const c of p.accept.clients) {
      const ours = Array.from({ length: c }, () => sdkClient(server!.url));
      const echo = Array.from({ length: c }, () => sdkClient(bare!.url));
      // CPU per call (server and harness) shows where the time goes; the harness's share is the SDK.
      const measure = async (clients: OmicsClient[], pid: number) => {
        await timedCalls(p.accept.warmup, c, call(clients));
        let lat: number[] = [];
        const cpu = await cpuPerCall(pid, p.accept.calls, async () => {
          lat = await timedCalls(p.accept.calls, c, call(clients));
        });
        return { ...summary(lat), cpuMsPerCall: cpu };
      };
      const floor = await measure(echo, bare.pid);
      const got = await measure(ours, server.pid);
      log('accept', `${c} client(s): omicsd p50 ${got.p50.toFixed(2)} ms p99 ${got.p99.toFixed(2)} ms (server CPU ${got.cpuMsPerCall.serverMs.toFixed(1)} ms/call, SDK ${got.cpuMsPerCall.clientMs.toFixed(1)} ms/call); `
        + `echo p50 ${floor.p50.toFixed(2)} ms p99 ${floor.p99.toFixed(2)} ms (server CPU ${floor.cpuMsPerCall.serverMs.toFixed(1)} ms/call)`);
      details[`${c} clients`] = { omicsd: got, echo: floor };
      const who = `${c} client${c > 1 ? 's' : ''}`;
      figs.add({ figure: `StartRunBatch p50, ${who}`, value: got.p50, unit: 'ms', limit: floor.p50, limitLabel: 'node:http echo' });
      figs.add({ figure: `StartRunBatch p99, ${who}`, value: got.p99, unit: 'ms', limit: floor.p99, limitLabel: 'node:http echo', target: '< 50 ms', pass: got.p99 < 50 });
      for (const cl of [...ours, ...echo]) cl.destroy();
    }

    // The accepted batches must also be good ones: the last one gets through ingest.
    await waitBatch(server.client, lastBatch, (b) => b.totalRuns !== undefined, { timeoutMs: 120_000, pollMs: 100 });
    await server.stop();
    server = undefined;
  } finally {
    await bare?.stop();
    await server?.child.stop();
    removeDir(dir);
  }
  return { figures: figs.list, details };
}
