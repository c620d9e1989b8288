import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../src/domain/token-bucket.js';

/** A bucket on a hand-driven clock (milliseconds). */
function bucket(rate: number, burst: number, start = 10_000) {
  const clock = { t: start };
  const b = new TokenBucket(rate, burst, () => clock.t);
  const advance = (ms: number) => {
    clock.t += ms;
  };
  return { b, clock, advance };
}

/** Takes single tokens until refused; returns how many were granted. */
function drain(b: TokenBucket, cap = 10_000) {
  let n = 0;
  while (n < cap && b.tryTake()) n++;
  return n;
}

describe('TokenBucket', () => {
  it('starts full: the whole burst is available at once, then nothing', () => {
    const { b } = bucket(2, 5);
    assert.equal(drain(b), 5);
    assert.equal(b.tryTake(), false);
  });

  it('reads the injected clock at construction, not the wall clock', () => {
    // Constructed at t=0 with a clock that later jumps: the elapsed time counts from the clock's start.
    const { b, advance } = bucket(1, 3, 0);
    assert.equal(b.take(3), 3);
    advance(2000);
    assert.equal(b.take(10), 2);
  });

  it('refills at `rate` tokens per second', () => {
    const { b, advance } = bucket(4, 10);
    assert.equal(b.take(10), 10);
    advance(250);
    assert.equal(b.take(10), 1);
    advance(1000);
    assert.equal(b.take(10), 4);
    advance(100); // 0.4 token: not a whole one
    assert.equal(b.tryTake(), false);
    advance(150); // 0.4 + 0.6 = 1
    assert.equal(b.tryTake(), true);
  });

  it('accumulates fractional refills across calls', () => {
    const { b, advance } = bucket(1, 5);
    b.take(5);
    for (let i = 0; i < 3; i++) {
      advance(400);
      assert.equal(b.tryTake(), i === 2, `after ${(i + 1) * 400} ms`);
    }
  });

  it('never holds more than `burst`, however long it idles', () => {
    const { b, advance } = bucket(10, 3);
    b.take(1);
    advance(3_600_000);
    assert.equal(b.take(100), 3);
    assert.equal(b.tryTake(), false);
  });

  it('take(max) grants up to max when enough are available', () => {
    const { b } = bucket(1, 10);
    assert.equal(b.take(4), 4);
    assert.equal(b.take(4), 4);
    assert.equal(b.take(4), 2); // partial grant: only 2 left
    assert.equal(b.take(4), 0);
  });

  it('take(0) grants nothing and costs nothing', () => {
    const { b } = bucket(1, 2);
    assert.equal(b.take(0), 0);
    assert.equal(b.take(5), 2);
  });

  it('take grants only whole tokens and keeps the fraction', () => {
    const { b, advance } = bucket(2, 10);
    b.take(10);
    advance(1750); // 3.5 tokens
    assert.equal(b.take(10), 3);
    advance(250); // 0.5 + 0.5
    assert.equal(b.take(10), 1);
  });

  it('giveBack returns unused tokens', () => {
    const { b } = bucket(1, 10);
    assert.equal(b.take(10), 10);
    b.giveBack(3);
    assert.equal(b.take(10), 3);
  });

  it('giveBack never raises the level above burst', () => {
    const { b } = bucket(1, 4);
    b.take(1);
    b.giveBack(100);
    assert.equal(b.take(100), 4);
  });

  it('giveBack of zero or a negative count changes nothing', () => {
    const { b } = bucket(1, 4);
    b.take(2);
    b.giveBack(0);
    b.giveBack(-5);
    assert.equal(b.take(100), 2);
  });

  it('msUntilNext is 0 while a whole token is available', () => {
    const { b } = bucket(1, 2);
    assert.equal(b.msUntilNext(), 0);
    b.take(1);
    assert.equal(b.msUntilNext(), 0);
  });

  it('msUntilNext is the time to refill to one whole token', () => {
    const { b, advance } = bucket(4, 4);
    b.take(4);
    assert.equal(b.msUntilNext(), 250);
    advance(100);
    assert.equal(b.msUntilNext(), 150);
    advance(150);
    assert.equal(b.msUntilNext(), 0);
    assert.equal(b.tryTake(), true);
  });

  it('msUntilNext rounds up to whole milliseconds', () => {
    const { b } = bucket(3, 3);
    b.take(3);
    assert.equal(b.msUntilNext(), 334); // 333.33… ms
  });

  it('msUntilNext does not consume a token', () => {
    const { b } = bucket(1, 1);
    b.msUntilNext();
    b.msUntilNext();
    assert.equal(b.tryTake(), true);
  });

  it('waiting msUntilNext() from empty makes a token available, and one ms less does not', () => {
    for (const rate of [1, 2, 3, 4, 5, 7, 8, 10, 20, 50, 100, 1000]) {
      const early = bucket(rate, 5);
      const onTime = bucket(rate, 5);
      early.b.take(5);
      onTime.b.take(5);
      const ms = onTime.b.msUntilNext();
      assert.equal(early.b.msUntilNext(), ms);
      assert.ok(ms > 0, `rate ${rate}`);
      early.advance(ms - 1);
      if (ms > 1) assert.equal(early.b.tryTake(), false, `rate ${rate}: one ms early`);
      onTime.advance(ms);
      assert.equal(onTime.b.tryTake(), true, `rate ${rate}: after ${ms} ms`);
    }
  });

  describe('rate 0 means unlimited', () => {
    it('is flagged unlimited, and a positive rate is not', () => {
      assert.equal(bucket(0, 0).b.unlimited, true);
      assert.equal(bucket(0.5, 1).b.unlimited, false);
    });

    it('grants every request in full, even with a zero burst', () => {
      const { b } = bucket(0, 0);
      assert.equal(b.take(1_000_000), 1_000_000);
      for (let i = 0; i < 1000; i++) assert.equal(b.tryTake(), true);
      assert.equal(b.msUntilNext(), 0);
    });

    it('never reads the clock after construction', () => {
      let reads = 0;
      const b = new TokenBucket(0, 1, () => {
        reads++;
        return 0;
      });
      const atStart = reads;
      b.take(5);
      b.tryTake();
      b.giveBack(3);
      b.msUntilNext();
      assert.equal(reads, atStart);
    });
  });

  // Found by these tests and fixed: negative requests, and refills that sum to a hair under a whole token.

  it('take with a negative max grants nothing and adds nothing', () => {
    const { b } = bucket(1, 2);
    assert.equal(b.take(-3), 0);
    assert.equal(b.take(100), 2);
  });

  it('waiting msUntilNext() after a partial refill makes a token available', () => {
    const { b, advance } = bucket(0.1, 5);
    b.take(5);
    advance(518);
    b.take(5);
    advance(b.msUntilNext());
    assert.equal(b.tryTake(), true);
  });

  it('refilling in steps gives the same whole tokens as in one go', () => {
    const { b, advance } = bucket(100, 5);
    b.take(5);
    advance(9);
    assert.equal(b.tryTake(), false);
    advance(1);
    assert.equal(b.tryTake(), true);
  });
});
