/**
 * Background work (batch steps, scheduler passes, run-event flushes) takes turns: at most one step
 * per event-loop iteration, so requests that arrive meanwhile wait for one step, never for all of them.
 */
export class Turns {
  private waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves when it is the caller's turn to run one bounded synchronous step. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule() {
    if (this.scheduled || !this.waiting.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()!();
      this.schedule();
    });
  }
}
