/**
 * Per-publisher rate limit for publishing, like the official registry's governor: a burst
 * of `burst` requests, then one every `periodMs` (GCRA: each key stores the time at which
 * its bucket is full again).
 */
export interface RateLimitOptions {
  burst: number;
  periodMs: number;
}

export const DEFAULT_PUBLISH_RATE_LIMIT: RateLimitOptions = { burst: 12, periodMs: 60_000 };

export type RateDecision =
  | { allowed: true; limit: number; remaining: number }
  | { allowed: false; limit: number; retryAfterMs: number };

export class RateLimiter {
  private readonly opts: RateLimitOptions;
  /** key -> theoretical arrival time of the next request */
  private readonly tat = new Map<string, number>();
  private readonly now: () => number;

  constructor(opts: RateLimitOptions, now: () => number = Date.now) {
    this.opts = opts;
    this.now = now;
  }

  take(key: string): RateDecision {
    const { burst, periodMs } = this.opts;
    const now = this.now();
    this.forgetIdle(now);
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const allowance = (burst - 1) * periodMs;
    if (tat - now > allowance) {
      return { allowed: false, limit: burst, retryAfterMs: tat - now - allowance };
    }
    const next = tat + periodMs;
    this.tat.set(key, next);
    return { allowed: true, limit: burst, remaining: Math.max(0, Math.floor((allowance - (next - now) + periodMs) / periodMs)) };
  }

  /** Keys whose bucket is full again carry no state; dropping them bounds memory. */
  private forgetIdle(now: number): void {
    if (this.tat.size < 1024) return;
    for (const [key, tat] of this.tat) if (tat <= now) this.tat.delete(key);
  }
}
