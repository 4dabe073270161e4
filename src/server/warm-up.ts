/**
 * Work a fresh server does in its idle moments soon after it starts, so its first users
 * do not pay for it: building the search index, and rendering the search results of the
 * newest packages. Package files are parsed on demand (package-store.ts), and a search
 * result needs its package's file; the newest packages are the ones the front page lists
 * and the ones every search ranks first among equal matches (ties go to the newest), so
 * they are the results most often asked for. It starts a moment after start-up, so the
 * first requests (health checks, a deployment's probe) are not kept waiting by it; each
 * step is small and the next waits for the event loop, so requests are served in between.
 */
import { setImmediate as idle, setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { IndexState } from './index-state.js';
import type { Logger } from './logger.js';

/** About a tenth of a second of work per thousand packages, and a kB of cache each. */
export const WARM_PACKAGES = 5000;
/** Packages rendered per step: half a millisecond or so, the most a request can wait for one. */
const STEP = 10;
/** after start-up */
const START_AFTER_MS = 1000;

/** Stops at `stop` (the server closing); never rejects. */
export async function warmUp(state: IndexState, logger: Logger, stop: AbortSignal, packages = WARM_PACKAGES): Promise<void> {
  try {
    await delay(START_AFTER_MS, undefined, { ref: false });
    if (stop.aborted) return;
    // sliced, as a request's search is: built in one go, the search index of a large index
    // held the event loop for hundreds of ms, and every request that came meanwhile waited
    await state.search.searchSliced('warm up', 0);
    await idle();
    const { ids } = await state.search.searchSliced('', 0, packages);
    for (let i = 0; i < ids.length && !stop.aborted; i += STEP) {
      await idle();
      if (!stop.aborted) await state.searchResults(ids.slice(i, i + STEP));
    }
  } catch (error) {
    // a file that cannot be read: the request that needs it will say so, and this is only a head start
    if (!stop.aborted) logger.warn(`warming up the search results stopped: ${errorMessage(error)}`);
  }
}
