/**
 * Runs tasks one at a time. The server's git work (fetches by the refresher, publish,
 * yank, deprecate) shares one clone, and two git processes updating the same ref at once
 * fail on its lock file, so they take turns.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
