/**
 * Writers in one process take turns per clone for the steps that move this clone's refs
 * (fetch, push). Its own module, so a command can start its fetch before the write path's
 * modules have loaded.
 */
import { fetchOrigin, type LocalIndex } from './local-index.js';

/** Writers in one process (a server handling parallel requests) take turns per clone. */
const cloneLocks = new Map<string, Promise<unknown>>();

export function withCloneLock<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const previous = cloneLocks.get(dir) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  cloneLocks.set(dir, settled);
  void settled.then(() => {
    if (cloneLocks.get(dir) === settled) cloneLocks.delete(dir);
  });
  return run;
}

/**
 * Fetches origin into the ref writes build on, under the clone's lock: git updates that ref
 * with a compare-and-swap, so a fetch racing another (or a write moving it after its push)
 * fails with "cannot lock ref" (measured: 2 of 20 concurrent publishes answered 502).
 */
export function fetchWriteBase(index: LocalIndex): Promise<void> {
  return withCloneLock(index.dir, () => fetchOrigin(index));
}
