import path from 'node:path';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { s3cp } from '../../test/support/cli.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { sleep } from '../../test/support/wait.js';
import { benchWorkflow, startBatch, waitBatch } from '../lib/omics.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import { RssSampler, toMB } from '../lib/rss.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { bigEntry, parseRate, readRate } from '../lib/settings-file.js';
import type { Profile } from '../profile.js';

/**
 * A settings file of ~10 kB entries (1 GB in a full run): the time from StartRunBatch until
 * totalRuns is set, as MB/s, beside reading the same file and JSON.parse of the same elements;
 * and the server's RSS growth over its RSS just before the call. The StartRun rate is near zero,
 * so submission does not compete with ingest.
 */
export async function ingest(p: Profile) {
  const figs = new Figures('ingest');
  const n = p.ingest.entries;
  const dir = tempDir('ingest');
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'settings.json');
  let server: Omicsd | undefined;
  let rss: RssSampler | undefined;
  try {
    let t = performance.now();
    const bytes = writeSettingsFile(file, n, bigEntry, 1);
    log('ingest', `wrote ${n} entries, ${(bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await s3cp(file, 's3://bench-in/settings.json', dataDir);
    const read = await readRate(file);
    const parse = parseRate(n, bigEntry);
    log('ingest', `limits: file read ${read.mbps.toFixed(0)} MB/s, JSON.parse ${parse.mbps.toFixed(0)} MB/s`);

    server = await startOmicsd({ dataDir, simRunMs: 0, startRunRate: 0.001, startRunBurst: 1 });
    const workflowId = await benchWorkflow(server.client);
    rss = new RssSampler(server.pid).start();
    await sleep(300);
    const before = rss.now();
    rss.reset();
    t = performance.now();
    const batchId = await startBatch(server.client, workflowId, { s3Uri: 's3://bench-in/settings.json' }, 'ingest');
    const b = await waitBatch(server.client, batchId, (x) => x.totalRuns !== undefined, { timeoutMs: 600_000, pollMs: 50 });
    const seconds = (performance.now() - t) / 1000;
    rss.stop();
    if (b.totalRuns !== n) throw new Error(`batch ${batchId} has totalRuns ${b.totalRuns}, expected ${n}`);
    const mbps = bytes / 1e6 / seconds;
    const growth = toMB(rss.max - before);
    log('ingest', `${mbps.toFixed(0)} MB/s (${seconds.toFixed(1)} s), RSS ${toMB(before).toFixed(0)} → ${toMB(rss.max).toFixed(0)} MB`);

    figs.add({ figure: 'settings file ingest', value: mbps, unit: 'MB/s', limit: parse.mbps, limitLabel: 'JSON.parse', target: '≥ 50 % of JSON.parse', pass: mbps >= 0.5 * parse.mbps });
    figs.add({ figure: 'settings file ingest vs. file read', value: mbps, unit: 'MB/s', limit: read.mbps, limitLabel: 'file read' });
    figs.add({ figure: 'server RSS growth during ingest', value: growth, unit: 'MB', target: '< 100 MB', pass: growth < 100 });
    await server.stop();
    server = undefined;
    return {
      figures: figs.list,
      details: {
        entries: n, bytes, ingestSeconds: seconds, ingestMBps: mbps, fileRead: read, jsonParse: parse,
        rssBeforeMB: toMB(before), rssMaxMB: toMB(rss.max), rssGrowthMB: growth, rssSamples: rss.samples,
      },
    };
  } finally {
    rss?.stop();
    await server?.child.stop();
    removeDir(dir);
  }
}
