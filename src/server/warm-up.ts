/**
 * Work a fresh server does in its idle moments soon after it starts, so its first users
 * do not pay for it: building the search index, and rendering the search results of the
 * newest packages. Package files are parsed on demand (package-store.ts), and a search
 * result needs its package's file; the newest packages are the ones the front page lists
 * and the ones every search ranks first among equal matches (ties go to the newest), so
 * they are the results most often asked for. It starts a moment after start-up, so the
 * first requests (health checks, a deployment's probe) are not kept waiting by it; each
 * step is small and the next waits for the event loop, so requests are served in between.
 *
 * It gives way to index refreshes: a push that lands in the first seconds would otherwise
 * share the CPU with the warm-up and be served late (bench:refresh measured the push that
 * met the warm-up at 281 ms against a median of 166, and 112 ms with no warm-up).
 */
import { setImmediate as idle, setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { IndexState } from './index-state.js';
import type { Logger } from './logger.js';
import { TURN_MS } from './sliced-work.js';

/** About a tenth of a second of work per thousand packages, and a kB of cache each. */
export const WARM_PACKAGES = 5000;
/** Packages rendered per step: half a millisecond or so, the most a request can wait for one. */
const STEP = 10;
/** after start-up */
const START_AFTER_MS = 1000;

export interface WarmUpOptions {
  /** packages whose search results are rendered */
  packages?: number;
  startAfterMs?: number;
  /** while foreground index work runs (a refresh), the promise of its end: the warm-up waits for it */
  busy?: () => Promise<void> | undefined;
  /** other background start-up work (writing the summary cache) that goes first, so the two never share the CPU; must not reject */
  after?: Promise<void>;
}

/** Stops at `stop` (the server closing); never rejects. */
export async function warmUp(state: IndexState, logger: Logger, stop: AbortSignal, options: WarmUpOptions = {}): Promise<void> {
  const { packages = WARM_PACKAGES, startAfterMs = START_AFTER_MS, busy = () => undefined, after } = options;
  // between two steps: the loop's other work first, and a running refresh to its end
  const pause = async () => {
    await idle();
    for (let running = busy(); running !== undefined && !stop.aborted; running = busy()) {
      await running.catch(() => undefined);
      await idle();
    }
  };
  try {
    await delay(startAfterMs, undefined, { ref: false });
    await after;
    await pause();
    if (stop.aborted) return;
    const begun = performance.now();
    // in slices of at most a queue's turn: built in one go, the search index of a large
    // index held the event loop for a second, and every request that came meanwhile waited
    const build = state.search.prepareSteps();
    for (let done = false; !done && !stop.aborted; ) {
      const started = performance.now();
      while (!(done = build.next().done === true) && performance.now() - started < TURN_MS);
      if (!done) await pause();
    }
    if (stop.aborted) return;
    const searchReadyMs = performance.now() - begun;
    const { ids } = await state.search.searchSliced('', 0, packages);
    for (let i = 0; i < ids.length && !stop.aborted; i += STEP) {
      await pause();
      if (!stop.aborted) await state.searchResults(ids.slice(i, i + STEP));
    }
    // an operator (and bench:metadata) can tell from it when the server's background start-up work is over
    if (!stop.aborted) logger.info(`warmed up: search index of ${state.search.size} packages, search results of ${ids.length}`, { search_index_ms: Math.round(searchReadyMs), total_ms: Math.round(performance.now() - begun) });
  } catch (error) {
    // a file that cannot be read: the request that needs it will say so, and this is only a head start
    if (!stop.aborted) logger.warn(`warming up the search results stopped: ${errorMessage(error)}`);
  }
}
