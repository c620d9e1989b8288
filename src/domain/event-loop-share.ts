/**
 * Background work (batch steps, scheduler passes, run-event flushes) shares the event loop with
 * requests: at most one bounded step per event-loop iteration, so a request that arrives meanwhile
 * waits for one step, never for all of them.
 */
export class EventLoopShare {
  private waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves when it is the caller's turn to run one bounded synchronous step. */
  turn(): Promise<void> {
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
