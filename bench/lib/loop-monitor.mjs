// Preloaded into an omicsd process by the bench (`node --import <this> …`): the event loop's delay,
// as perf_hooks measures it, plus when the longest stalls happened (a 5 ms ticker's lateness). SIGUSR2
// writes the figures since the previous SIGUSR2 to $OMICSD_BENCH_LOOP_FILE and starts a new window.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.OMICSD_BENCH_LOOP_FILE;
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
let stalls = [];
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const late = now - last - 5;
  if (late > 15) stalls.push({ at: Math.round(performance.timeOrigin + last), ms: Math.round(late * 10) / 10 });
  last = now;
}, 5).unref();
let seq = 0;
process.on('SIGUSR2', () => {
  const ms = (ns) => ns / 1e6;
  const longest = stalls.sort((a, b) => b.ms - a.ms).slice(0, 10);
  const stats = { seq: ++seq, count: h.count, maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), p50Ms: ms(h.percentile(50)), meanMs: ms(h.mean), longest };
  if (file) writeFileSync(file, JSON.stringify(stats));
  h.reset();
  stalls = [];
});
