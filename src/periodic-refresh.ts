/**
 * A cache that re-reads its source every interval in the background (the next run is
 * scheduled when the last one ends, so slow storage never piles up runs) and on demand; a
 * refresh asked for while one runs joins that one. The timer does not keep the process alive.
 */
export abstract class PeriodicRefresh {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly intervalMs: number) {}

  /** one re-read; must never reject (it reports its own failures) */
  protected abstract refreshOnce(): Promise<void>;

  start(): void {
    const tick = () => {
      void this.refresh().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, this.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Never rejects; a refresh asked for while one runs waits for that one. */
  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
