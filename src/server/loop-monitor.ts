/**
 * An operator's view of how long the server's event loop is held: with
 * `PESDE_REGISTRY_LOOP_DELAY_LOG_MS=<ms>` set, every that many milliseconds one info line
 * `event loop delay` gives the longest and the 99th percentile delay (ms) since the last
 * line. Off by default. bench/hostile.ts reads these lines to measure what each kind of
 * hostile request costs the loop, from inside the server, without a route for it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from './logger.js';

export const LOOP_DELAY_ENV = 'PESDE_REGISTRY_LOOP_DELAY_LOG_MS';

/** Stops at `stop`. Does nothing unless the variable is a positive number. */
export function watchEventLoop(logger: Logger, env: NodeJS.ProcessEnv, stop: AbortSignal): void {
  const intervalMs = Number(env[LOOP_DELAY_ENV]);
  if (!(intervalMs > 0)) return;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const timer = setInterval(() => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    logger.info('event loop delay', { max_ms: ms(histogram.max), p99_ms: ms(histogram.percentile(99)) });
    histogram.reset();
  }, intervalMs);
  timer.unref();
  stop.addEventListener('abort', () => {
    clearInterval(timer);
    histogram.disable();
  });
}
