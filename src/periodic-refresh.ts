/**
 * A refresh that runs every interval in the background (the next one is scheduled when the
 * last one ends, so slow storage never piles up runs) and on demand; a refresh asked for
 * while one runs joins that one. The timer does not keep the process alive.
 */
export class PeriodicRefresh {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  /** `once` must never reject: it reports its own failures */
  constructor(
    private readonly once: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

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

  refresh(): Promise<void> {
    this.running ??= this.once().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
