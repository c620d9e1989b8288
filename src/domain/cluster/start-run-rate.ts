import type { CoordinationTable } from '../../store/store.js';
import { AccountBuckets } from '../token-bucket.js';

/**
 * The StartRun quota as StartRun and the batch submitter draw on it (docs/quotas.md): one bucket per
 * account, in this process when one instance serves the store, in the database when several share
 * it, so N instances together never start runs faster than the quota allows.
 */
export interface StartRunRate {
  /** Runs per second (0: unlimited). */
  readonly rate: number;
  /**
   * Takes up to `max` tokens: how many were granted, when (epoch ms, on the bucket's clock) and, when
   * none, how long until one is.
   */
  take(account: string, max: number): Promise<TokenGrant>;
  /** Returns tokens taken but not used. */
  giveBack(account: string, n: number): Promise<void>;
}

export interface TokenGrant {
  granted: number;
  /** When the tokens were granted: the runs they admit are created at this moment (docs/quotas.md). */
  at: number;
  msUntilNext: number;
}

export class LocalStartRunRate implements StartRunRate {
  private buckets: AccountBuckets;

  constructor(readonly rate: number, burst: number) {
    this.buckets = new AccountBuckets(rate, burst);
  }

  async take(account: string, max: number) {
    const bucket = this.buckets.for(account);
    const granted = bucket.take(max);
    return { granted, at: Date.now(), msUntilNext: granted ? 0 : bucket.msUntilNext() };
  }

  async giveBack(account: string, n: number) {
    this.buckets.for(account).giveBack(n);
  }
}

export class SharedStartRunRate implements StartRunRate {
  constructor(private table: CoordinationTable, readonly rate: number, private burst: number) {}

  async take(account: string, max: number) {
    if (max <= 0) return { granted: 0, at: Date.now(), msUntilNext: 0 };
    if (this.rate <= 0) return { granted: max, at: Date.now(), msUntilNext: 0 };
    return this.table.takeTokens(account, max, this.rate, this.burst);
  }

  async giveBack(account: string, n: number) {
    if (this.rate > 0 && n > 0) await this.table.giveBackTokens(account, n, this.burst);
  }
}
