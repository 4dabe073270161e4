/**
 * Keeps the served state in step with the index's origin: fetches every interval, and at
 * once when asked (after the server's own writes), then advances the state if the tip
 * moved. So versions pushed by anyone else (CI, another replica) appear within one
 * interval, unlike the official registry, which only refreshes when it publishes itself.
 * Failures are logged and retried next time; they never stop the server.
 */
import { errorMessage } from '../errors.js';
import { isAncestor } from '../index-repo/git-queries.js';
import { fetchServedTip } from '../index-repo/served-tip.js';
import { tipCommit, type LocalIndex } from '../index-repo/local-index.js';
import type { IndexState } from './index-state.js';
import type { Logger } from './logger.js';

export interface RefresherOptions {
  index: LocalIndex;
  initial: IndexState;
  intervalMs: number;
  logger: Logger;
  /** told how long each refresh took and whether it succeeded (the metrics) */
  onRefreshed?: (seconds: number, ok: boolean) => void;
}

export interface RefreshRequest {
  /** false when the origin ref is known to be current (our own push just updated it) */
  fetch?: boolean;
}

export class IndexRefresher {
  private current: IndexState;
  private readonly opts: RefresherOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** a refresh asked for while one runs: one more follows, however many were asked for */
  private queued: { promise: Promise<void>; fetch: boolean } | undefined;
  private stopped = false;
  refreshedAt: Date;
  lastError: string | null = null;

  constructor(opts: RefresherOptions) {
    this.opts = opts;
    this.current = opts.initial;
    this.refreshedAt = opts.initial.loadedAt;
  }

  get state(): IndexState {
    return this.current;
  }

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer !== undefined) return;
    const { intervalMs } = this.opts;
    const tick = () => {
      const started = Date.now();
      void this.refresh().finally(() => {
        // ticks keep to the interval from their start: under write load a tick's refresh
        // waits behind after-write refreshes, and counting the interval from its end would
        // add that wait to how late other writers' pushes are seen (a short gap stays, so a
        // slow refresh is not followed by a fetch at once)
        const next = Math.max(intervalMs / 4, intervalMs - (Date.now() - started));
        if (!this.stopped) this.timer = setTimeout(tick, next).unref();
      });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops the timer and waits for a refresh in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await this.queued?.promise.catch(() => undefined);
  }

  /**
   * Resolves once a refresh that started after this call has finished, so a caller that
   * just pushed sees its commit. Never rejects: errors are logged and kept in lastError.
   */
  refresh(request: RefreshRequest = {}): Promise<void> {
    const fetch = request.fetch ?? true;
    if (this.queued !== undefined) {
      this.queued.fetch ||= fetch;
      return this.queued.promise;
    }
    if (this.running === undefined) return this.run(fetch);
    const queued: { promise: Promise<void>; fetch: boolean } = { fetch, promise: Promise.resolve() };
    queued.promise = this.running.then(() => {
      this.queued = undefined;
      return this.run(queued.fetch);
    });
    this.queued = queued;
    return queued.promise;
  }

  /** While a refresh runs (or one is queued), a promise of its end; undefined when idle. Never rejects. */
  get busy(): Promise<void> | undefined {
    return this.queued?.promise ?? this.running;
  }

  private run(fetch: boolean): Promise<void> {
    const running = this.refreshOnce(fetch).finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async refreshOnce(fetch: boolean): Promise<void> {
    const { index, logger } = this.opts;
    const started = performance.now();
    try {
      // no lock: the fetch lands in a ref of its own, so it never waits for (or breaks) a write
      const tip = fetch && index.remote !== null ? await fetchServedTip(index) : await tipCommit(index);
      // a fetch that started before our own push landed must not take the state back
      if (tip !== this.current.commit && !(await isAncestor(index.dir, tip, this.current.commit))) {
        const before = this.current;
        const next = await before.advance(tip, { warn: (m) => logger.warn(m) });
        // a slower refresh must not replace a newer state (advance never runs twice at once, but be safe)
        if (this.current === before) this.current = next;
        logger.info(`index advanced to ${tip.slice(0, 12)} (${next.filesRead} changed files read)`, {
          commit: tip,
          from: before.commit,
          filesRead: next.filesRead,
        });
      }
      this.refreshedAt = new Date();
      this.lastError = null;
      this.opts.onRefreshed?.((performance.now() - started) / 1000, true);
    } catch (error) {
      this.lastError = errorMessage(error);
      logger.warn(`index refresh failed: ${this.lastError}`);
      this.opts.onRefreshed?.((performance.now() - started) / 1000, false);
    }
  }
}
