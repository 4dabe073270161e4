/**
 * GitHub tokens (`pesde auth login`), checked the way the official registry checks them:
 * POST /applications/{client_id}/token with the app's credentials. Every check is a call on
 * the app's GitHub quota, so answers are cached (a valid token for a few minutes, an invalid
 * one for a minute; both bounded, keyed by a hash of the token), checks of one token in
 * flight are shared, and a client address whose tokens keep failing is throttled before
 * GitHub is asked again. A bad token therefore costs GitHub one call a minute at most.
 */
import { createHash } from 'node:crypto';
import { HttpError } from './http-error.js';
import type { Logger } from './logger.js';

export interface GitHubAuthOptions {
  clientId: string;
  clientSecret: string;
  apiUrl: string;
  logger: Logger;
  userAgent: string;
  fetch?: typeof fetch | undefined;
  now?: () => number;
}

const VALID_FOR_MS = 5 * 60_000;
const INVALID_FOR_MS = 60_000;
/** entries per cache; at ~150 bytes each both together stay under a few MB */
const CACHE_ENTRIES = 10_000;
/** checks of unknown tokens one client address may cause per window before it must wait */
const FAILURES_PER_WINDOW = 10;
const FAILURE_WINDOW_MS = 60_000;
const TRACKED_ADDRESSES = 10_000;
const GITHUB_TIMEOUT_MS = 10_000;

/** Resolves to the GitHub user id, or null for a token GitHub does not know for this app. */
export type GitHubCheck = (token: string, client: string | undefined) => Promise<number | null>;

export function gitHubTokenChecker(opts: GitHubAuthOptions): GitHubCheck {
  const now = opts.now ?? Date.now;
  const doFetch = opts.fetch ?? fetch;
  const base = opts.apiUrl.replace(/\/+$/, '');
  const basic = Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64');
  const valid = new BoundedCache<number>(CACHE_ENTRIES);
  const invalid = new BoundedCache<true>(CACHE_ENTRIES);
  const inFlight = new Map<string, Promise<number | null>>();
  const failures = new BoundedCache<{ count: number; since: number }>(TRACKED_ADDRESSES);

  const askGitHub = async (token: string): Promise<number | null> => {
    let response: Response;
    try {
      response = await doFetch(`${base}/applications/${encodeURIComponent(opts.clientId)}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, accept: 'application/vnd.github+json', 'content-type': 'application/json', 'user-agent': opts.userAgent },
        body: JSON.stringify({ access_token: token }),
        signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS),
      });
    } catch (error) {
      opts.logger.error(`cannot reach GitHub to check a token: ${(error as Error).message}`);
      throw unavailable();
    }
    // 404 is GitHub's answer for a token that is not valid for this app (422: not a token at all)
    if (response.status === 404 || response.status === 422) return null;
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      opts.logger.error(`GitHub answered ${response.status} to a token check: ${text.slice(0, 200)}`);
      throw unavailable();
    }
    const id = (safeJson(text) as { user?: { id?: unknown } } | null)?.user?.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      opts.logger.error('GitHub answered a token check without a user id');
      throw unavailable();
    }
    return id;
  };

  return async (token, client) => {
    const key = createHash('sha256').update(token).digest('hex');
    const t = now();
    const known = valid.get(key, t);
    if (known !== undefined) return known;
    if (invalid.get(key, t) !== undefined) return null;
    // every call to GitHub counts against the address until it proves valid, so that many
    // bad tokens sent at once are throttled as surely as one after another
    const address = client ?? 'unknown';
    let record = failures.get(address, t);
    if (record === undefined) {
      record = { count: 0, since: t };
      failures.set(address, record, t + FAILURE_WINDOW_MS);
    }
    if (record.count >= FAILURES_PER_WINDOW) {
      const seconds = Math.max(1, Math.ceil((record.since + FAILURE_WINDOW_MS - t) / 1000));
      throw new HttpError(429, `too many invalid tokens from this address, retry in ${seconds}s`, { 'retry-after': String(seconds) });
    }
    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = askGitHub(token).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    record.count++;
    let userId: number | null;
    try {
      userId = await pending;
    } catch (error) {
      // GitHub being down is not the client's fault
      record.count--;
      throw error;
    }
    const after = now();
    if (userId === null) {
      invalid.set(key, true, after + INVALID_FOR_MS);
      return null;
    }
    record.count--;
    valid.set(key, userId, after + VALID_FOR_MS);
    return userId;
  };
}

function unavailable(): HttpError {
  return new HttpError(503, 'cannot check the token with GitHub right now; try again later', { 'retry-after': '10' });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A map whose entries expire, holding at most `max` (the oldest go first). */
export class BoundedCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();
  constructor(private readonly max: number) {}

  get(key: string, now: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: T, until: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until });
  }
}
