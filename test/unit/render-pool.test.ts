/**
 * The render pool's bounds with real worker threads: a job past its deadline has its worker
 * terminated and the next job runs on a fresh one; the queue is bounded; a crashing worker
 * fails only its own job; an idle pool does not keep the process alive (the test ends).
 */
import { typeScriptWorkerEntry } from '../../src/worker-entry.js';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RenderPool } from '../../src/server/web/render-pool.js';

type Input = { spinMs?: number; fail?: boolean; exit?: boolean; echo?: string };

function makePool(overrides: Partial<{ size: number; queueLimit: number; timeoutMs: number; maxWaitMs: number }> = {}) {
  return new RenderPool<Input, string>({
    workerUrl: typeScriptWorkerEntry(new URL('../helpers/spin-worker.ts', import.meta.url)),
    size: 1,
    queueLimit: 4,
    timeoutMs: 300,
    maxWaitMs: 20_000,
    ...overrides,
  });
}

describe('render pool', () => {
  const pools: Array<RenderPool<Input, string>> = [];
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('terminates a job past its deadline and runs the next one on a fresh worker', { timeout: 60_000 }, async () => {
    const pool = makePool();
    pools.push(pool);
    assert.deepEqual(await pool.run({ echo: 'warm' }), { kind: 'done', value: 'warm' });
    const started = performance.now();
    assert.deepEqual(await pool.run({ spinMs: 60_000 }), { kind: 'timeout' });
    assert.ok(performance.now() - started < 10_000, 'the deadline cut a 60 s job short');
    assert.deepEqual(await pool.run({ echo: 'after' }), { kind: 'done', value: 'after' });
    assert.equal(pool.stats.timeouts, 1);
    assert.equal(pool.stats.started, 2, 'the stuck worker was replaced');
  });

  it('answers busy once the queue is full, and runs what it took', { timeout: 60_000 }, async () => {
    const pool = makePool({ queueLimit: 2, timeoutMs: 5_000 });
    pools.push(pool);
    const jobs = [pool.run({ spinMs: 200, echo: 'a' }), pool.run({ echo: 'b' }), pool.run({ echo: 'c' })];
    const outcomes = await Promise.all(jobs);
    assert.deepEqual(outcomes[2], { kind: 'busy' });
    assert.deepEqual(outcomes.slice(0, 2), [{ kind: 'done', value: 'a' }, { kind: 'done', value: 'b' }]);
  });

  it('answers busy for a job that waited too long', { timeout: 60_000 }, async () => {
    const pool = makePool({ maxWaitMs: 200, timeoutMs: 5_000 });
    pools.push(pool);
    // the wait includes the worker's warm-up: wait until one is warm
    while ((await pool.run({ echo: 'warm' })).kind !== 'done');
    const [slow, waiting] = await Promise.all([pool.run({ spinMs: 1_000, echo: 'slow' }), pool.run({ echo: 'late' })]);
    assert.deepEqual(slow, { kind: 'done', value: 'slow' });
    assert.deepEqual(waiting, { kind: 'busy' });
  });

  it('fails only the job whose worker threw or died', { timeout: 60_000 }, async () => {
    const pool = makePool({ timeoutMs: 5_000 });
    pools.push(pool);
    assert.deepEqual(await pool.run({ fail: true }), { kind: 'failed', message: 'RangeError: Maximum call stack size exceeded' });
    assert.equal((await pool.run({ exit: true })).kind, 'failed');
    assert.deepEqual(await pool.run({ echo: 'still here' }), { kind: 'done', value: 'still here' });
  });
});
