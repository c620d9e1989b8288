import fs from 'node:fs';

const MB = 1e6;

/** Reads a `Vm*` line of /proc/<pid>/status, in bytes (the kernel reports kB). */
export function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`no ${field} for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples a process's resident set every `everyMs` and keeps the largest value seen. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  max = 0;
  samples = 0;
  /** Every sample with its time (performance.now() ms), when made with `keepSeries`. */
  readonly series: { ms: number; bytes: number }[] = [];

  constructor(readonly pid: number, private everyMs = 50, private keepSeries = false) {}

  now(): number {
    return procStatus(this.pid, 'VmRSS');
  }

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  /** Starts a new window: the maximum from here on. */
  reset() {
    this.max = 0;
    this.samples = 0;
    this.sample();
  }

  private sample() {
    try {
      const bytes = this.now();
      this.max = Math.max(this.max, bytes);
      this.samples++;
      if (this.keepSeries) this.series.push({ ms: performance.now(), bytes });
    } catch {
      // The process is gone; its exit is reported elsewhere.
    }
  }

  stop() {
    clearInterval(this.timer);
    this.sample();
  }
}

export const toMB = (bytes: number) => bytes / MB;
