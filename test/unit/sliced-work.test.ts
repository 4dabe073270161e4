/**
 * The shared queue of sliced work: tasks run a step at a time in turn, a turn of the event
 * loop gives them a few ms in all however many there are (so timers run between), errors
 * reach their own task only, and the sliced sort sorts as a stable sort does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INLINE_MS, runSliced, sortSliced, runToEnd } from '../../src/server/sliced-work.js';
import { seededRandom } from '../helpers/seeded-random.js';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('sliced work', () => {
  it('gives twenty tasks at once a few steps per turn of the event loop, not one step each', async () => {
    let steps = 0;
    let mostBetweenTicks = 0;
    let sinceTick = 0;
    const ticker = setInterval(() => {
      mostBetweenTicks = Math.max(mostBetweenTicks, sinceTick);
      sinceTick = 0;
    }, 0);
    function* task(id: number): Generator<void, number> {
      for (let i = 0; i < 5; i++) {
        busy(1);
        steps++;
        sinceTick++;
        yield;
      }
      return id;
    }
    const done = await Promise.all(Array.from({ length: 20 }, (_, i) => runSliced(task(i))));
    clearInterval(ticker);
    assert.deepEqual(done, Array.from({ length: 20 }, (_, i) => i));
    assert.equal(steps, 100);
    // a turn stops once it has run 4 ms: with steps of 1 ms, about 5 of them
    assert.ok(mostBetweenTicks <= 10, `${mostBetweenTicks} steps of 1 ms ran between two timer ticks`);
  });

  it('finishes a short task at once, before the loop turns, and sends the rest of a long one to the queue', async () => {
    let turned = false;
    setImmediate(() => (turned = true));
    function* short(): Generator<void, string> {
      yield;
      yield;
      return 'done';
    }
    assert.equal(await runSliced(short()), 'done');
    assert.equal(turned, false, 'a task of three cheap steps waited for a turn of the event loop');
    // a long task runs at once only while the inline budget lasts, then in turns with timers between
    let steps = 0;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    function* long(): Generator<void, number> {
      for (let i = 0; i < 40; i++) {
        busy(0.5);
        steps++;
        yield;
      }
      return steps;
    }
    const running = runSliced(long());
    assert.ok(steps >= 1 && steps <= Math.ceil(INLINE_MS / 0.5) + 1, `${steps} steps of 0.5 ms ran before runSliced returned`);
    assert.equal(await running, 40);
    clearInterval(ticker);
    assert.ok(ticks > 0, 'the event loop never ran during the long task');
  });

  it('rejects only the task that throws', async () => {
    function* failing(): Generator<void, never> {
      yield;
      throw new Error('step failed');
    }
    function* fine(): Generator<void, string> {
      yield;
      yield;
      return 'ok';
    }
    const [bad, good] = await Promise.allSettled([runSliced(failing()), runSliced(fine())]);
    assert.equal(bad.status, 'rejected');
    assert.match(String((bad as PromiseRejectedResult).reason), /step failed/);
    assert.deepEqual(good, { status: 'fulfilled', value: 'ok' });
  });

  it('sorts as a stable sort does, in steps, at every size', () => {
    const random = seededRandom(7);
    for (const size of [0, 1, 2, 4095, 4096, 4097, 10_000, 33_000]) {
      const keys = Array.from({ length: size }, () => Math.floor(random() * 50));
      const items = Int32Array.from(keys.keys());
      const compare = (a: number, b: number) => keys[a]! - keys[b]!;
      let yields = 0;
      const steps = sortSliced(items, compare);
      let step = steps.next();
      for (; step.done !== true; step = steps.next()) yields++;
      // equal keys keep their order: a stable sort of the positions
      assert.deepEqual(Array.from(step.value), Array.from(items).sort(compare), `size ${size}`);
      if (size > 4096) assert.ok(yields > 2, `size ${size} sorted in ${yields + 1} steps`);
      assert.deepEqual(Array.from(runToEnd(sortSliced(items, compare))), Array.from(step.value));
    }
  });
});
