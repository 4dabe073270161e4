/**
 * The signing keys of one OIDC issuer: its discovery document names the JWKS, both are
 * fetched with a deadline and a size cap, and the key set is kept for KEYS_TTL_MS. A token
 * whose key id is not in the set causes one re-fetch (key rotation), at most once per
 * cooldown, so a flood of made-up key ids cannot turn into a flood of fetches. A failed
 * fetch is remembered briefly and accepts nothing.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { boundedFetch, FetchFailure } from '../bounded-fetch.js';
import { issuerProblem } from './issuer-url.js';

export interface IssuerKeysOptions {
  timeoutMs?: number;
  /** least time between two fetches caused by unknown key ids */
  refetchCooldownMs?: number;
  allowInsecure: boolean;
  fetch?: typeof fetch;
}

/** The issuer could not tell us its keys: nothing signed by it can be accepted now. */
export class IssuerUnavailable extends Error {
  override readonly name = 'IssuerUnavailable';
}

const KEYS_TTL_MS = 10 * 60_000;
const FAILURE_MEMORY_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_REFETCH_COOLDOWN_MS = 30_000;
/** GitHub's discovery document and key set are a few KB each */
const MAX_DOCUMENT_BYTES = 256 * 1024;

interface KeySet {
  getKey: JWTVerifyGetKey;
  kids: Set<string>;
  fetchedAt: number;
}

export class IssuerKeys {
  private keys: KeySet | null = null;
  private inFlight: Promise<KeySet> | null = null;
  private failure: { error: IssuerUnavailable; at: number } | null = null;

  constructor(
    readonly issuer: string,
    private readonly opts: IssuerKeysOptions,
  ) {}

  /** The key set to verify with; `unknownKid` asks for a re-fetch when the cached set lacks that id. */
  async keySet(unknownKid?: string): Promise<JWTVerifyGetKey> {
    const now = Date.now();
    const cached = this.keys;
    const stale = cached === null || now - cached.fetchedAt > KEYS_TTL_MS;
    const rotated = cached !== null && unknownKid !== undefined && !cached.kids.has(unknownKid) && now - cached.fetchedAt >= (this.opts.refetchCooldownMs ?? DEFAULT_REFETCH_COOLDOWN_MS);
    if (!stale && !rotated) return cached.getKey;
    if (this.failure !== null && now - this.failure.at < FAILURE_MEMORY_MS) throw this.failure.error;
    this.inFlight ??= this.fetchKeys().finally(() => (this.inFlight = null));
    return (await this.inFlight).getKey;
  }

  private async fetchKeys(): Promise<KeySet> {
    try {
      const discovery = await this.fetchJson(`${this.issuer}/.well-known/openid-configuration`, 'discovery document');
      if (discovery.issuer !== this.issuer) throw new IssuerUnavailable(`the discovery document of ${this.issuer} names another issuer`);
      const jwksUri = discovery.jwks_uri;
      if (typeof jwksUri !== 'string' || issuerProblem(jwksUri, this.opts.allowInsecure) !== null) {
        throw new IssuerUnavailable(`the discovery document of ${this.issuer} has no usable jwks_uri`);
      }
      const jwks = await this.fetchJson(jwksUri, 'key set');
      if (!Array.isArray(jwks.keys)) throw new IssuerUnavailable(`the key set of ${this.issuer} has no "keys" list`);
      const set: JSONWebKeySet = { keys: jwks.keys as JSONWebKeySet['keys'] };
      const kids = new Set(set.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
      this.keys = { getKey: createLocalJWKSet(set), kids, fetchedAt: Date.now() };
      this.failure = null;
      return this.keys;
    } catch (error) {
      const unavailable = error instanceof IssuerUnavailable ? error : new IssuerUnavailable(`cannot read the keys of ${this.issuer}: ${(error as Error).message}`);
      this.failure = { error: unavailable, at: Date.now() };
      throw unavailable;
    }
  }

  private async fetchJson(url: string, what: string): Promise<Record<string, unknown>> {
    let answer;
    try {
      answer = await boundedFetch(url, {
        headers: { accept: 'application/json' },
        timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBytes: MAX_DOCUMENT_BYTES,
        redirect: 'error',
        fetch: this.opts.fetch,
      });
    } catch (error) {
      if (error instanceof FetchFailure) throw new IssuerUnavailable(`cannot fetch the ${what} of ${this.issuer}: ${error.message}`);
      throw error;
    }
    if (answer.status !== 200) throw new IssuerUnavailable(`the ${what} of ${this.issuer} answered ${answer.status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new IssuerUnavailable(`the ${what} of ${this.issuer} is not JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new IssuerUnavailable(`the ${what} of ${this.issuer} is not a JSON object`);
    return parsed as Record<string, unknown>;
  }
}
