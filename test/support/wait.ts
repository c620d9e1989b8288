// Waiting: a fixed pause, and polling a condition until a deadline.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PollOptions {
  /** The pause between two checks, in ms (default 50). */
  everyMs?: number;
  /**
   * An error thrown by `check` ends the wait at once. By default it counts as "not yet": the check
   * is tried again, and the last error is reported if time runs out.
   */
  failFast?: boolean;
}

/**
 * Polls `check` until it returns a value (not undefined/false) and returns that value; fails once
 * `ms` have passed. `what` names the condition in the timeout error.
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15000,
  what = 'condition',
  { everyMs = 50, failFast = false }: PollOptions = {},
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      if (failFast) throw e;
      last = e;
    }
    if (Date.now() >= end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(everyMs);
  }
}

/** Delays (in seconds) for the SDK's waiters (waitUntil…) that notice a change within 0.2 s. */
export const QUICK_WAITER = { minDelay: 0.05, maxDelay: 0.2 };
