import path from 'node:path';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { s3cp } from '../../test/support/cli.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { assertAllCompleted, benchWorkflow, processed, startBatch, waitBatch } from '../lib/omics.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import { procStatus, RssSampler, toMB } from '../lib/rss.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { smallEntry } from '../lib/settings-file.js';
import type { Profile } from '../profile.js';

/** One batch of `n` runs from StartRunBatch to PROCESSED on a fresh server: wall time and peak RSS. */
async function oneBatch(n: number) {
  const dir = tempDir(`e2e-${n}`);
  const dataDir = path.join(dir, 'data');
  let server: Omicsd | undefined;
  let rss: RssSampler | undefined;
  try {
    writeSettingsFile(path.join(dir, 'runs.json'), n, smallEntry, 1);
    await s3cp(path.join(dir, 'runs.json'), 's3://bench-in/runs.json', dataDir);
    server = await startOmicsd({ dataDir, simRunMs: 0, startRunRate: 0, maxRuns: 0 });
    const workflowId = await benchWorkflow(server.client);
    rss = new RssSampler(server.pid).start();
    const t = performance.now();
    const batchId = await startBatch(server.client, workflowId, { s3Uri: 's3://bench-in/runs.json' }, `e2e-${n}`);
    const b = await waitBatch(server.client, batchId, processed, { timeoutMs: Math.max(120_000, n * 5), pollMs: 50 });
    const seconds = (performance.now() - t) / 1000;
    assertAllCompleted(b, n);
    rss.stop();
    const peak = Math.max(rss.max, procStatus(server.pid, 'VmHWM'));
    await server.stop();
    server = undefined;
    return { runs: n, seconds, usPerRun: (seconds * 1e6) / n, peakRssMB: toMB(peak) };
  } finally {
    rss?.stop();
    await server?.child.stop();
    removeDir(dir);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Batches of growing size to PROCESSED: per-run cost should stay flat and peak RSS bounded. Each size
 * runs `repeats` times on fresh servers and the median wall time counts, so that one disturbed run
 * on a shared machine does not decide the figure.
 */
export async function e2e(p: Profile) {
  const figs = new Figures('end to end');
  const results = [];
  for (const n of p.e2e.sizes) {
    const reps = [];
    for (let i = 0; i < p.e2e.repeats; i++) {
      const r = await oneBatch(n);
      log('end to end', `${n} runs: ${r.seconds.toFixed(1)} s, ${r.usPerRun.toFixed(0)} µs/run, peak RSS ${r.peakRssMB.toFixed(0)} MB`);
      reps.push(r);
    }
    const seconds = median(reps.map((r) => r.seconds));
    results.push({ runs: n, seconds, usPerRun: (seconds * 1e6) / n, peakRssMB: Math.max(...reps.map((r) => r.peakRssMB)), repeats: reps });
  }
  const first = results[0];
  const largest = results[results.length - 1];
  for (const r of results) {
    const label = `${r.runs.toLocaleString('en-US')} runs`;
    figs.add({ figure: `${label}: wall time`, value: r.seconds, unit: 's' });
    if (r === first) {
      figs.add({ figure: `${label}: cost per run`, value: r.usPerRun, unit: 'µs' });
    } else {
      // The target compares the largest batch with the smallest; sizes between are shown for the trend.
      const target = r === largest ? { target: '≤ 1.3× (flat)', pass: r.usPerRun <= 1.3 * first.usPerRun } : {};
      figs.add({ figure: `${label}: cost per run`, value: r.usPerRun, unit: 'µs', limit: first.usPerRun, limitLabel: `${first.runs.toLocaleString('en-US')}-run batch`, ...target });
    }
    figs.add({ figure: `${label}: peak server RSS`, value: r.peakRssMB, unit: 'MB', target: '< 400 MB', pass: r.peakRssMB < 400 });
  }
  return { figures: figs.list, details: results };
}
