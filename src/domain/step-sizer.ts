/** How long one background step may hold the event loop (docs/architecture.md, "Sharing the event loop"). */
export const STEP_BUDGET_MS = 5;

/**
 * Sizes a repeated synchronous step (a submission slice, a scheduler pass, a run-event flush) so that
 * it holds the event loop for about `targetMs` (STEP_BUDGET_MS unless given): the number of items comes from the cost per item the
 * steps before it measured, not from a fixed count, because that cost varies with the machine, the
 * load and the size of the rows (docs/architecture.md, "Sharing the event loop").
 */
export class StepSizer {
  private msPerItem: number | undefined;

  constructor(private readonly min: number, private readonly max: number, private readonly targetMs = STEP_BUDGET_MS) {}

  /**
   * A sizer that always gives `max`: for steps whose store answers asynchronously (PostgreSQL), which
   * hold the event loop only for their own work, not while the database works.
   */
  static fixed(max: number): StepSizer {
    return new StepSizer(max, max);
  }

  /** How many items the next step should take. */
  size(): number {
    if (this.msPerItem === undefined) return this.min;
    return Math.max(this.min, Math.min(this.max, Math.floor(this.targetMs / Math.max(this.msPerItem, 1e-3))));
  }

  /** Records what a step cost; a moving average, so one slow step (a GC pause) does not halve the next. */
  record(items: number, ms: number) {
    if (items <= 0) return;
    const per = ms / items;
    this.msPerItem = this.msPerItem === undefined ? per : 0.7 * this.msPerItem + 0.3 * per;
  }

  /** Runs `step` over `items` and records its cost (its wall time: the store's calls are synchronous underneath). */
  async measure<T>(items: number, step: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await step();
    } finally {
      this.record(items, performance.now() - t);
    }
  }
}
