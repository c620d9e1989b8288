import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Loop } from '../../src/domain/loop.js';
import { EventLoopShare } from '../../src/domain/event-loop-share.js';

test('stop() ends a loop whose step starts a long wait after stop was called', async () => {
  let release!: () => void;
  const inStep = new Promise<void>((r) => (release = r));
  let gate!: () => void;
  const stepGate = new Promise<void>((r) => (gate = r));
  const loop: Loop = new Loop('t', async () => {
    release();
    await stepGate; // stop() arrives here, before the step asks to wait for quota
    await loop.sleep(600_000);
    return true;
  }, new EventLoopShare(), pino({ level: 'silent' }));
  loop.start();
  await inStep;
  const stopped = loop.stop();
  gate();
  const started = Date.now();
  await stopped;
  assert.ok(Date.now() - started < 1000, 'stop did not wait for the sleep');
});

test('background steps take turns: one step per event-loop iteration', async () => {
  const share = new EventLoopShare();
  const order: string[] = [];
  const a = (async () => {
    for (let i = 0; i < 3; i++) {
      await share.turn();
      order.push('a');
    }
  })();
  const b = (async () => {
    for (let i = 0; i < 3; i++) {
      await share.turn();
      order.push('b');
    }
  })();
  await Promise.all([a, b]);
  assert.deepEqual(order, ['a', 'b', 'a', 'b', 'a', 'b']);
});
