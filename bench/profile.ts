/** How big each scenario is: the sizes for a full run, shrunk so that --quick stays under 2 minutes. */
export interface Profile {
  quick: boolean;
  accept: { entries: number; calls: number; clients: number[]; warmup: number };
  ingest: { entries: number };
  submit: { runs: number };
  /** Reads under load: `pollers` clients (one run each) polling every `gapMs` while `runs` entries from s3rver submit. */
  pollers: { runs: number; pollers: number[]; gapMs: number };
  rate: { rate: number; seconds: number };
  e2e: { sizes: number[]; repeats: number };
  api: { connections: number; seconds: number; warmupSeconds: number };
  startup: { repeats: number };
  /**
   * `clients` SDK clients (half per account) for `seconds` after `warmupSeconds`, each pausing a random
   * 0–2 × `thinkMs` between calls; one settings-file batch of `fileEntries` per account every `fileEverySeconds`.
   */
  /** Slurm: `held` runs submitted as held jobs, beside `raw` bare sbatch calls; a `batch`-run CWL batch through Slurm and locally. */
  slurm: { held: number; raw: number; batch: number };
  /** Events and metrics: a `runs`-run batch with and without events written, delivered to a webhook; `scrapes` of /metrics with `storedRuns` runs stored. */
  observe: { runs: number; storedRuns: number; scrapes: number };
  /** Run caches: a batch of `samples` real cwltool runs whose one step works `stepSeconds`, run twice with one cache. */
  cache: { samples: number; stepSeconds: number };
  /** Scale-out: a `runs`-entry settings file submitted by SQLite, then by each count of `instances` on PostgreSQL, GetBatch polled every `gapMs`. */
  scale: { runs: number; instances: number[]; gapMs: number };
  soak: { seconds: number; clients: number; warmupSeconds: number; thinkMs: number; fileEverySeconds: number; fileEntries: [number, number]; rssEveryMs: number };
}

export const FULL: Profile = {
  quick: false,
  accept: { entries: 100, calls: 500, clients: [1, 8], warmup: 50 },
  ingest: { entries: 100_000 },
  submit: { runs: 100_000 },
  pollers: { runs: 100_000, pollers: [1, 8], gapMs: 50 },
  rate: { rate: 200, seconds: 30 },
  e2e: { sizes: [10_000, 30_000, 100_000], repeats: 3 },
  api: { connections: 32, seconds: 10, warmupSeconds: 2 },
  startup: { repeats: 5 },
  slurm: { held: 1000, raw: 1000, batch: 20 },
  observe: { runs: 20_000, storedRuns: 100_000, scrapes: 50 },
  cache: { samples: 16, stepSeconds: 3 },
  scale: { runs: 100_000, instances: [1, 2, 3], gapMs: 50 },
  soak: { seconds: 600, clients: 50, warmupSeconds: 60, thinkMs: 100, fileEverySeconds: 90, fileEntries: [2000, 5000], rssEveryMs: 5000 },
};

export const QUICK: Profile = {
  quick: true,
  accept: { entries: 100, calls: 100, clients: [1, 8], warmup: 20 },
  ingest: { entries: 5_000 },
  submit: { runs: 10_000 },
  pollers: { runs: 10_000, pollers: [1, 8], gapMs: 50 },
  rate: { rate: 200, seconds: 5 },
  e2e: { sizes: [2_000, 6_000, 20_000], repeats: 1 },
  api: { connections: 32, seconds: 3, warmupSeconds: 1 },
  startup: { repeats: 2 },
  slurm: { held: 200, raw: 200, batch: 8 },
  observe: { runs: 5_000, storedRuns: 10_000, scrapes: 20 },
  cache: { samples: 4, stepSeconds: 2 },
  scale: { runs: 5_000, instances: [1, 3], gapMs: 50 },
  soak: { seconds: 15, clients: 8, warmupSeconds: 3, thinkMs: 100, fileEverySeconds: 60, fileEntries: [2000, 3000], rssEveryMs: 5000 },
};
