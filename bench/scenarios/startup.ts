import { Figures } from '../lib/figures.js';
import { log } from '../lib/log.js';
import { startBare } from '../lib/bare.js';
import { percentile } from '../lib/stats.js';
import { tempDir } from '../lib/temp-dirs.js';
import { startServer } from '../../test/support/server.js';
import type { Profile } from '../profile.js';

/**
 * `omicsd serve` from spawn to its "listening" line, on a fresh data dir and on one holding a
 * previous run's state (the restart case), beside a bare node:http server started the same way.
 */
const median = (v: number[]) => percentile(v, 50);

export async function startup(p: Profile) {
  const figs = new Figures('startup');
  const fresh: number[] = [];
  const again: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < p.startup.repeats; i++) {
    const dir = tempDir('startup');
    let t = performance.now();
    const first = await startServer(['--executor', 'local'], dir, { startMs: 30_000 });
    fresh.push(performance.now() - t);
    await first.stop();
    t = performance.now();
    const second = await startServer(['--executor', 'local'], dir, { startMs: 30_000 });
    again.push(performance.now() - t);
    await second.stop();
    t = performance.now();
    const b = await startBare('echo');
    bare.push(performance.now() - t);
    await b.stop();
  }
  const limit = median(bare);
  figs.add({ figure: 'serve to listening, fresh data dir', value: median(fresh), unit: 'ms', limit, limitLabel: 'bare node:http start', target: '< 3,000 ms', pass: median(fresh) < 3000 });
  figs.add({ figure: 'serve to listening, restart', value: median(again), unit: 'ms', limit, limitLabel: 'bare node:http start', target: '< 3,000 ms', pass: median(again) < 3000 });
  log('startup', `fresh ${median(fresh).toFixed(0)} ms, restart ${median(again).toFixed(0)} ms, bare ${limit.toFixed(0)} ms (medians of ${p.startup.repeats})`);
  return { figures: figs.list, details: { freshMs: fresh, restartMs: again, bareMs: bare } };
}
