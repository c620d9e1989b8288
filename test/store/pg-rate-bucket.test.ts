// The StartRun bucket several instances share in PostgreSQL (docs/quotas.md, docs/scale-out.md):
// grants from competing pools, stamped with the database time of the grant, never exceed the rate
// plus one bucket in any window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ACCOUNT_ID } from '../../src/domain/ids.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { tempDir } from '../support/paths.js';
import { dropTestDatabase, testDatabase } from '../support/store.js';

/** The most tokens granted within any window of `windowMs`. */
function busiest(grants: { at: number; n: number }[], windowMs: number): number {
  const g = [...grants].sort((a, b) => a.at - b.at);
  let best = 0;
  let sum = 0;
  for (let i = 0, j = 0; j < g.length; j++) {
    sum += g[j].n;
    while (g[j].at - g[i].at > windowMs) sum -= g[i++].n;
    best = Math.max(best, sum);
  }
  return best;
}

test('takes racing from several instances never grant more than the rate plus one bucket', async (t) => {
  const url = await testDatabase(tempDir());
  t.after(() => dropTestDatabase(url));
  const stores = await Promise.all(Array.from({ length: 3 }, () => PgStore.open(url, { defaultAccountId: DEFAULT_ACCOUNT_ID })));
  try {
    const rate = 400;
    const burst = 40;
    const grants: { at: number; n: number }[] = [];
    const until = Date.now() + 3000;
    // Four takers per instance, each asking for a few tokens at a time.
    await Promise.all(stores.flatMap((s, i) => Array.from({ length: 4 }, async (_, k) => {
      while (Date.now() < until) {
        const g = await s.coordination.takeTokens(DEFAULT_ACCOUNT_ID, 1 + ((i + k) % 7), rate, burst);
        if (g.granted === 0) {
          await new Promise((r) => setTimeout(r, g.msUntilNext));
          continue;
        }
        grants.push({ at: g.at, n: g.granted });
      }
    })));
    const total = grants.reduce((a, g) => a + g.n, 0);
    // The takers keep the bucket empty, so nearly all of 3 s of refill is granted.
    assert.ok(total >= rate * 2.5, `only ${total} tokens granted in 3 s at ${rate}/s`);
    for (const windowMs of [100, 500, 1000, 2000]) {
      const most = busiest(grants, windowMs);
      assert.ok(most <= (rate * windowMs) / 1000 + burst, `${most} tokens granted within ${windowMs} ms (rate ${rate}/s, bucket ${burst})`);
    }
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});
