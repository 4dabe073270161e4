/**
 * The CLI's side of the registry's write API (`POST /v1/packages`, yank, deprecate): one
 * request with a deadline and a bounded answer, sent again after network failures, 5xx
 * and 429, and every refusal turned into the RegistryError whose exit code the README
 * documents. The token goes into the Authorization header and nowhere else: messages name
 * the registry by its origin and path only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { boundedFetch, FetchFailure, type BoundedAnswer } from '../bounded-fetch.js';
import { RegistryError, usageError, type ErrorKind } from '../errors.js';
import { DEFAULT_RETRY_POLICY, isRetryableStatus, retryDelay, type RetryPolicy } from './retry-policy.js';

export interface RegistryClientOptions {
  /** the registry's API base URL (config.toml's `api`) */
  url: string;
  token?: string | undefined;
  /** deadline of each attempt */
  timeoutMs: number;
  retry?: RetryPolicy;
  /** told before each wait, for progress output */
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
  userAgent: string;
}

export interface SendResult {
  status: number;
  text: string;
  /** attempts made, the successful one included */
  attempts: number;
}

/** Answers are one line of text or `{"error"}`; more than this is not a registry talking. */
const MAX_ANSWER_BYTES = 64 * 1024;

export class RegistryClient {
  readonly base: string;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: RegistryClientOptions) {
    this.base = parseRegistryUrl(options.url);
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    if (options.token !== undefined && !/^[\x21-\x7e]+$/.test(options.token)) {
      throw usageError('the registry token holds spaces, line breaks or other characters a token cannot have (is the variable or file right?)');
    }
  }

  /** `path` is appended to the base URL; its segments must already be percent-encoded. */
  async send(method: string, path: string, body?: Buffer, contentType?: string): Promise<SendResult> {
    const headers: Record<string, string> = { accept: 'application/json, text/plain', 'user-agent': this.options.userAgent };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (contentType !== undefined) headers['content-type'] = contentType;
    for (let attempt = 1; ; attempt++) {
      let answer: BoundedAnswer | null = null;
      let failure: FetchFailure;
      try {
        answer = await boundedFetch(`${this.base}${path}`, { method, headers, body, timeoutMs: this.options.timeoutMs, maxBytes: MAX_ANSWER_BYTES });
        if (!isRetryableStatus(answer.status)) return { status: answer.status, text: answer.body.toString('utf8'), attempts: attempt };
        failure = new FetchFailure('network', `${answer.status} ${errorText(answer)}`);
      } catch (error) {
        if (!(error instanceof FetchFailure)) throw error;
        failure = error;
      }
      const delay = retryDelay(this.retry, attempt, answer?.headers.get('retry-after') ?? null);
      if (delay === null) throw this.gaveUp(method, path, answer, failure, attempt);
      this.options.onRetry?.(attempt, failure.message, delay);
      await sleep(delay);
    }
  }

  /**
   * One GET of up to `maxBytes`, without retries. A redirect (to a pre-signed S3 URL) is
   * followed without the token, which is for the registry only.
   */
  async fetchBounded(path: string, maxBytes: number): Promise<BoundedAnswer> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    const request = { timeoutMs: this.options.timeoutMs, maxBytes, redirect: 'manual' as const };
    const answer = await boundedFetch(`${this.base}${path}`, { ...request, headers });
    const location = answer.headers.get('location');
    if (answer.status < 300 || answer.status > 399 || location === null) return answer;
    return boundedFetch(new URL(location, `${this.base}/`).href, { ...request, headers: { 'user-agent': this.options.userAgent } });
  }

  private gaveUp(method: string, path: string, answer: BoundedAnswer | null, failure: FetchFailure, attempts: number): RegistryError {
    const where = `${method} ${this.base}${path}`;
    const tries = attempts === 1 ? '' : ` (${attempts} attempts)`;
    if (answer?.status === 429) {
      const after = answer.headers.get('retry-after');
      return new RegistryError('rate_limited', `the registry limits how often you may publish: ${errorText(answer)}${after === null ? '' : `; retry in ${after}s`}${tries}`, { details: { status: 429, attempts } });
    }
    if (answer !== null) {
      return new RegistryError('unavailable', `${where} failed with ${answer.status}: ${errorText(answer)}${tries}`, { details: { status: answer.status, attempts } });
    }
    return new RegistryError('unavailable', `${where}: ${failure.message}${tries}`, { details: { attempts } });
  }
}

/** The RegistryError for an answer that is neither success nor worth retrying. */
export function refusal(result: SendResult, what: string): RegistryError {
  const text = errorFromBody(result.text);
  const kind: ErrorKind =
    result.status === 401
      ? 'unauthorized'
      : result.status === 403
        ? 'forbidden'
        : result.status === 404
          ? 'not_found'
          : result.status === 409
            ? 'conflict'
            : result.status === 413
              ? 'too_large'
              : 'invalid_input';
  const hint = result.status === 401 ? ' (pass --token, set PESDE_REGISTRY_TOKEN, or use --oidc in CI)' : '';
  return new RegistryError(kind, `the registry refused ${what} (${result.status}): ${text}${hint}`, { details: { status: result.status, attempts: result.attempts } });
}

/** The base URL without a trailing slash; refused when it could leak credentials into logs. */
export function parseRegistryUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError('--registry: not a URL; pass the registry API base, e.g. https://registry.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError('--registry: expected an http(s) URL, e.g. https://registry.example.com');
  if (url.username !== '' || url.password !== '') throw usageError('--registry: the URL must not hold a user name or password; pass the token with --token or PESDE_REGISTRY_TOKEN');
  if (url.search !== '' || url.hash !== '') throw usageError('--registry: the URL must not have a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function errorText(answer: BoundedAnswer): string {
  return errorFromBody(answer.body.toString('utf8'));
}

/** `{"error": "..."}` as the registry sends it, else the first line of whatever came. */
function errorFromBody(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return oneLine(parsed.error);
  } catch {
    // not JSON: a proxy's page, or plain text
  }
  return oneLine(text) || 'no explanation given';
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}
