import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { s3cp } from '../../test/support/cli.js';
import { writeSettingsFile } from '../../test/support/settings-file.js';
import { assertAllCompleted, benchWorkflow, processed, startBatch, waitBatch } from '../lib/omics.js';
import { smallEntry } from '../lib/settings-file.js';
import { startOmicsd, type Omicsd } from '../lib/server.js';
import { summary } from '../lib/stats.js';
import { removeDir, tempDir } from '../lib/temp-dirs.js';
import type { Profile } from '../profile.js';

/** A webhook receiver that answers 200 at once and counts what it got. */
async function receiver() {
  let events = 0;
  let lastAt = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      events++;
      lastAt = performance.now();
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    counts: () => ({ events, lastAt }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Lines of the server's events file. */
function eventsWritten(dataDir: string): number {
  try {
    return fs.readFileSync(path.join(dataDir, 'events.ndjson'), 'utf8').split('\n').length - 1;
  } catch {
    return 0;
  }
}

/** The server's own count of events each sink has still to take (omicsd_event_sink_backlog). */
async function sinkBacklog(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^omicsd_event_sink_backlog\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** One batch of `n` simulated runs to PROCESSED with `args`; calls `during` with the server before it stops. */
async function batch(n: number, args: string[], during?: (s: Omicsd, written: () => number) => Promise<void>) {
  const dir = tempDir(`observe-${n}`);
  const dataDir = path.join(dir, 'data');
  let server: Omicsd | undefined;
  try {
    writeSettingsFile(path.join(dir, 'runs.json'), n, smallEntry, 1);
    await s3cp(path.join(dir, 'runs.json'), 's3://bench-in/runs.json', dataDir);
    server = await startOmicsd({ dataDir, simRunMs: 0, startRunRate: 0, maxRuns: 0, args });
    const workflowId = await benchWorkflow(server.client);
    const t = performance.now();
    const batchId = await startBatch(server.client, workflowId, { s3Uri: 's3://bench-in/runs.json' }, 'observe');
    const b = await waitBatch(server.client, batchId, processed, { timeoutMs: Math.max(120_000, n * 5), pollMs: 50 });
    const seconds = (performance.now() - t) / 1000;
    assertAllCompleted(b, n);
    await during?.(server, () => eventsWritten(dataDir));
    await server.stop();
    server = undefined;
    const file = path.join(dataDir, 'events.ndjson');
    return { seconds, started: t, eventsFileMB: fs.existsSync(file) ? fs.statSync(file).size / 2 ** 20 : 0 };
  } finally {
    await server?.child.stop();
    removeDir(dir);
  }
}

/** Times `n` GETs of `url` one after the other (ms). */
async function timeGets(url: string, n: number) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url);
    await res.text();
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    ms.push(performance.now() - t);
  }
  return summary(ms);
}

/**
 * What events and metrics cost (docs/events.md, docs/operations.md): the same batch to PROCESSED
 * with events written nowhere but the metrics (--no-events-file) and with the events file and a
 * webhook; how fast the webhook gets every event; and /metrics scraped with `storedRuns` runs
 * stored, beside /healthz (which reads nothing).
 */
export async function observe(p: Profile) {
  const figs = new Figures('events and metrics');
  const n = p.observe.runs;
  const label = `${n.toLocaleString('en-US')} runs`;
  const quiet = await batch(n, ['--no-events-file']);
  log('events and metrics', `${n} runs, no events file: ${quiet.seconds.toFixed(1)} s`);
  const hook = await receiver();
  try {
    let made = 0;
    const loud = await batch(n, ['--event-webhook', hook.url], async (server, written) => {
      // Done when no sink has an event left to take (the batch is PROCESSED: no more are made).
      const deadline = Date.now() + Math.max(300_000, n * 30);
      while ((await sinkBacklog(server.url)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      made = written();
    });
    const c = hook.counts();
    const delivered = { events: c.events, seconds: (c.lastAt - loud.started) / 1000 };
    log('events and metrics', `${n} runs, events file and webhook: ${loud.seconds.toFixed(1)} s; webhook got ${c.events} of ${made} events in `
      + `${delivered.seconds.toFixed(1)} s; events.ndjson ${loud.eventsFileMB.toFixed(1)} MB`);
    figs.add({ figure: `${label} to PROCESSED, events file + webhook`, value: loud.seconds, unit: 's', limit: quiet.seconds, limitLabel: 'no events file', target: '≤ 1.5×', pass: loud.seconds <= 1.5 * quiet.seconds });
    // At the default StartRun rate (10 runs/s) a batch makes about 50 events/s: a webhook must keep up with ten times that.
    figs.add({ figure: 'events delivered to the webhook', value: delivered.events / delivered.seconds, unit: 'events/s', limit: made / loud.seconds, limitLabel: 'events made per s', target: '≥ 500 events/s, all', pass: delivered.events >= made && delivered.events / delivered.seconds >= 500 });
    figs.add({ figure: 'events.ndjson per run', value: (loud.eventsFileMB * 2 ** 20) / n, unit: 'bytes' });
  } finally {
    await hook.close();
  }
  const stored = p.observe.storedRuns;
  const storedLabel = `${stored.toLocaleString('en-US')} runs stored`;
  let scrape: ReturnType<typeof summary> | undefined;
  let health: ReturnType<typeof summary> | undefined;
  await batch(stored, [], async (server) => {
    scrape = await timeGets(`${server.url}/metrics`, p.observe.scrapes);
    health = await timeGets(`${server.url}/healthz`, p.observe.scrapes);
  });
  log('events and metrics', `/metrics with ${stored} runs stored: p50 ${scrape!.p50.toFixed(1)} ms, p99 ${scrape!.p99.toFixed(1)} ms`);
  figs.add({ figure: `/metrics p50, ${storedLabel}`, value: scrape!.p50, unit: 'ms', limit: health!.p50, limitLabel: '/healthz p50', target: '< 50 ms', pass: scrape!.p50 < 50 });
  figs.add({ figure: `/metrics p99, ${storedLabel}`, value: scrape!.p99, unit: 'ms', limit: health!.p99, limitLabel: '/healthz p99' });
  return { figures: figs.list, details: { runs: n, quiet, stored, scrape, health } };
}
