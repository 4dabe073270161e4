/**
 * A replica's copy of the token store, refreshed every interval with one listing (keys,
 * sizes, times) plus a read of each new or changed record, so a token created or revoked
 * anywhere takes effect here within one interval, without a restart. Requests are checked
 * against memory only. When the store cannot be read, the last good copy stays in use and
 * the failure is logged and shown in /health; a record that does not parse is skipped.
 */
import { errorMessage } from '../errors.js';
import { PeriodicRefresh } from '../periodic-refresh.js';
import type { Identity } from '../identity.js';
import type { Logger } from '../server/logger.js';
import type { Storage } from '../storage/storage.js';
import { CorruptRecord, parseTokenRecord, tokenIdOfKey, TOKENS_PREFIX, tokenStatus, type TokenRecord } from './token-record.js';
import { tokenIdOf, tokenMatches } from './token-secret.js';
import { readSmallObject } from './token-store.js';

export type TokenLookup = { ok: true; identity: Identity } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' };

interface Entry {
  tag: string;
  record: TokenRecord | null;
}

export interface TokenCacheHealth {
  tokens: number;
  refreshedAt: string | null;
  error: string | null;
}

/** Reads of changed records run this many at a time. */
const READ_CONCURRENCY = 8;

export class TokenCache extends PeriodicRefresh {
  private entries = new Map<string, Entry>();
  private byId = new Map<string, TokenRecord>();
  private loaded = false;
  private refreshedAt: Date | null = null;
  lastError: string | null = null;

  constructor(private readonly opts: { storage: Storage; logger: Logger; intervalMs: number }) {
    super(opts.intervalMs);
  }

  /**
   * Per-user tokens are in use once the store holds any record (revoking every token does
   * not reopen a registry), and, failing closed, while the store has never been read.
   */
  get inUse(): boolean {
    return this.entries.size > 0 || !this.loaded;
  }

  get count(): number {
    return this.byId.size;
  }

  health(): TokenCacheHealth {
    return { tokens: this.byId.size, refreshedAt: this.refreshedAt?.toISOString() ?? null, error: this.lastError };
  }

  lookup(token: string, now: number = Date.now()): TokenLookup {
    const id = tokenIdOf(token);
    if (id === null) return { ok: false, reason: 'malformed' };
    const record = this.byId.get(id);
    // a wrong secret for a real id is "unknown" too: the answer must not confirm the id
    if (record === undefined || !tokenMatches(token, record.sha256)) return { ok: false, reason: 'unknown' };
    const status = tokenStatus(record, now);
    if (status !== 'active') return { ok: false, reason: status };
    return {
      ok: true,
      identity: { kind: 'token', userId: record.userId, userName: record.user, tokenId: record.id, scopes: record.scopes, readOnly: record.readOnly },
    };
  }

  protected async refreshOnce(): Promise<void> {
    const { storage, logger } = this.opts;
    try {
      const listed = new Map<string, string>();
      // size, time and (S3) MD5 from the listing: a rewritten record (a revocation) differs in at least one
      for await (const { key, size, modified, md5 } of storage.listObjects(TOKENS_PREFIX)) listed.set(key, `${size}:${modified.getTime()}:${md5 ?? ''}`);
      const next = new Map<string, Entry>();
      const changed: Array<[string, string]> = [];
      for (const [key, tag] of listed) {
        const known = this.entries.get(key);
        if (known !== undefined && known.tag === tag) next.set(key, known);
        else changed.push([key, tag]);
      }
      for (let i = 0; i < changed.length; i += READ_CONCURRENCY) {
        const batch = changed.slice(i, i + READ_CONCURRENCY);
        const read = await Promise.all(batch.map(([key]) => this.readEntry(key)));
        batch.forEach(([key, tag], n) => next.set(key, { tag, record: read[n] ?? null }));
      }
      this.entries = next;
      this.byId = new Map([...next.values()].flatMap((e) => (e.record === null ? [] : [[e.record.id, e.record] as const])));
      this.loaded = true;
      this.refreshedAt = new Date();
      if (this.lastError !== null) logger.info('the token store can be read again');
      this.lastError = null;
    } catch (error) {
      this.lastError = errorMessage(error);
      logger.warn(`cannot read the token store, keeping the last good copy (${this.byId.size} tokens): ${this.lastError}`);
    }
  }

  /** null for a record to skip; storage failures propagate, so the whole refresh keeps the old copy. */
  private async readEntry(key: string): Promise<TokenRecord | null> {
    if (tokenIdOfKey(key) === null) {
      this.opts.logger.warn(`skipping ${key} in the token store: not a token record`);
      return null;
    }
    try {
      const text = await readSmallObject(this.opts.storage, key);
      return text === null ? null : parseTokenRecord(text, key);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      this.opts.logger.warn(`skipping a token record: ${error.message}`);
      return null;
    }
  }
}
