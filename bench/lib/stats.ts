import { sleep } from '../../test/support/wait.js';

/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summary(values: number[]) {
  // A loop, not Math.max(...values): a soak collects hundreds of thousands of values, past the argument limit.
  return { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: values.reduce((m, v) => (v > m ? v : m), -Infinity) };
}

/** Least-squares slope of y over x (0 with fewer than two distinct x). */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/**
 * Runs `fn` exactly `n` times from `concurrency` workers pulling from one counter and returns
 * each call's latency in ms. `gapMs` paces each worker between its calls.
 */
export async function timedCalls(n: number, concurrency: number, fn: (i: number, worker: number) => Promise<unknown>, gapMs = 0): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (_: unknown, w: number) => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      await fn(i, w);
      latencies.push(performance.now() - t);
      if (gapMs > 0) await sleep(gapMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return latencies;
}
