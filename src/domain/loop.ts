import type { Logger } from 'pino';
import type { EventLoopShare } from './event-loop-share.js';

/**
 * A background worker: runs `step` while it reports more work, then sleeps until woken or until
 * `pollMs` passes (so work written by another instance is found too). Errors are logged and retried.
 */
export class Loop {
  private wakeUp: (() => void) | undefined;
  private done: Promise<void> | undefined;
  private stopped = false;
  private pending = false;

  constructor(private name: string, private step: () => Promise<boolean>, private share: EventLoopShare, private log: Logger, private pollMs = 1000) {}

  start() {
    this.done = this.run();
  }

  wake() {
    this.pending = true;
    this.wakeUp?.();
  }

  async stop() {
    this.stopped = true;
    this.wakeUp?.();
    await this.done;
  }

  private async run() {
    while (!this.stopped) {
      await this.share.turn();
      this.pending = false;
      let more = false;
      try {
        more = await this.step();
      } catch (err) {
        this.log.error({ err, loop: this.name }, 'background step failed; retrying');
        await this.sleep(1000);
      }
      if (!more && !this.pending && !this.stopped) await this.sleep(this.pollMs);
    }
  }

  /** Waits `ms`, or less when woken; also used by steps that wait for quota. */
  sleep(ms: number) {
    return new Promise<void>((resolve) => {
      // A step may ask to wait after stop() was called: it must not outlive the stop.
      if (this.stopped) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
