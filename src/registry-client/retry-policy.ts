/**
 * When a request to a registry is worth sending again, and after how long: network
 * failures, 5xx and 429 are (a registry write is safe to repeat: a publish that landed
 * answers 409 the second time), with exponential backoff and jitter, honouring a short
 * Retry-After; a Retry-After beyond what a CI job should sit through ends the retries.
 */

export interface RetryPolicy {
  /** total attempts, the first included */
  attempts: number;
  /** delay before the first retry; doubled for each further one */
  baseDelayMs: number;
  /** the longest single wait, also the longest Retry-After that is waited for */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 });

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Milliseconds to wait before attempt `attempt + 1` (attempt counts from 1), or null when
 * no retry should follow: attempts are used up, or the server asks for a longer pause.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfter: string | null, random: () => number = Math.random): number | null {
  if (attempt >= policy.attempts) return null;
  const asked = parseRetryAfter(retryAfter);
  if (asked !== null) return asked > policy.maxDelayMs ? null : asked;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // full jitter on half the delay: retries from many CI jobs do not arrive in lock step
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** Retry-After in seconds (the only form this registry sends) or an HTTP date. */
function parseRetryAfter(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
