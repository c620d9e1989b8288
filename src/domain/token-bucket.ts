/**
 * The account's StartRun quota: a token bucket refilled at `rate` per second up to `burst`.
 * Direct StartRun calls and the batch submitter draw from the same bucket. A rate of 0 means unlimited.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(readonly rate: number, readonly burst: number, private now: () => number = () => performance.now()) {
    this.tokens = burst;
    this.last = now();
  }

  get unlimited() {
    return this.rate <= 0;
  }

  private refill() {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    return this.take(1) === 1;
  }

  /** Takes as many whole tokens as are available, up to `max`. */
  take(max: number): number {
    if (max <= 0) return 0;
    if (this.unlimited) return max;
    this.refill();
    const n = Math.min(max, this.wholeTokens());
    this.tokens -= n;
    return n;
  }

  /** Returns tokens taken but not used. */
  giveBack(n: number) {
    if (!this.unlimited && n > 0) this.tokens = Math.min(this.burst, this.tokens + n);
  }

  /** Milliseconds until at least one whole token is available. */
  msUntilNext(): number {
    if (this.unlimited) return 0;
    this.refill();
    return this.wholeTokens() >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Whole tokens held; refills summed in steps can land a hair below a whole number (0.9999999999999999). */
  private wholeTokens() {
    return Math.floor(this.tokens + 1e-9);
  }
}

/** One StartRun bucket per account (docs/quotas.md): one account's batches never slow another's. */
export class AccountBuckets {
  private buckets = new Map<string, TokenBucket>();

  constructor(readonly rate: number, readonly burst: number) {}

  for(account: string): TokenBucket {
    let b = this.buckets.get(account);
    if (!b) this.buckets.set(account, (b = new TokenBucket(this.rate, this.burst)));
    return b;
  }
}
