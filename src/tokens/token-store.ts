/**
 * The token store: one object per token under `_tokens/` in the registry's own storage
 * (file system or S3), so every replica reads the same tokens, nothing about access is in
 * the index every client clones, and two admins creating tokens at once write two
 * different objects. Package keys start with a scope, which cannot start with `_`.
 */
import { readCapped } from '../storage/read-capped.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import { CorruptRecord, recordKey, RECORD_FORMAT, parseTokenRecord, tokenIdOfKey, TOKENS_PREFIX, type TokenRecord } from './token-record.js';
import { hashToken, newToken, newTokenId } from './token-secret.js';
import { UserDirectory } from './user-directory.js';

/** A record is a few hundred bytes; anything much larger is not one. */
export const MAX_RECORD_BYTES = 64 * 1024;
const MAX_CREATE_ATTEMPTS = 8;

export interface StoreContents {
  records: TokenRecord[];
  /** one line per object that could not be used */
  problems: string[];
}

export interface CreateTokenRequest {
  user: string;
  /** the publisher id; by default the user's existing id, or the next free one */
  userId?: number | undefined;
  scopes: string[] | 'all';
  readOnly: boolean;
  expiresAt: string | null;
  note: string;
}

export class TokenStore {
  constructor(readonly storage: Storage) {}

  async readAll(): Promise<StoreContents> {
    const records: TokenRecord[] = [];
    const problems: string[] = [];
    for await (const key of this.storage.listKeys(TOKENS_PREFIX)) {
      if (tokenIdOfKey(key) === null) {
        problems.push(`${key} is not a token record (expected ${TOKENS_PREFIX}<token id>.json)`);
        continue;
      }
      try {
        const text = await readSmallObject(this.storage, key);
        if (text !== null) records.push(parseTokenRecord(text, key));
      } catch (error) {
        if (!(error instanceof CorruptRecord)) throw error;
        problems.push(error.message);
      }
    }
    records.sort(byCreation);
    return { records, problems };
  }

  /**
   * Writes a new token and returns it (the only time it exists in clear). The user's name
   * and id must stay one pair for good, also when another admin creates a token at the
   * same moment: after writing, the store is read again, and a write that finds a
   * conflicting record (same id, other name, or same name, other id) withdraws itself and
   * tries again. A write that saw no conflict was seen by every later writer, so two
   * conflicting tokens never both survive.
   */
  async create(request: CreateTokenRequest): Promise<{ token: string; record: TokenRecord }> {
    for (let attempt = 1; attempt <= MAX_CREATE_ATTEMPTS; attempt++) {
      const directory = new UserDirectory((await this.readAll()).records);
      const userId = directory.idFor(request.user, request.userId);
      const id = newTokenId();
      const token = newToken(id);
      const record: TokenRecord = {
        format: RECORD_FORMAT,
        id,
        user: request.user,
        userId,
        sha256: hashToken(token),
        scopes: request.scopes,
        readOnly: request.readOnly,
        createdAt: new Date().toISOString(),
        expiresAt: request.expiresAt,
        note: request.note,
        revokedAt: null,
      };
      await this.storage.put(recordKey(id), Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
      const after = (await this.readAll()).records;
      if (!after.some((other) => other.id !== id && UserDirectory.conflicts(other, record))) return { token, record };
      await this.storage.delete(recordKey(id));
      await sleep(20 + Math.random() * 80 * attempt);
    }
    throw new RegistryError('conflict', `other tokens for user ids or names like "${request.user}" are being created right now; try again`);
  }

  async revoke(tokenId: string): Promise<TokenRecord> {
    const key = recordKey(tokenId);
    const text = await readSmallObject(this.storage, key);
    if (text === null) throw new RegistryError('not_found', `there is no token ${tokenId} (see \`pesde-registry token list\`)`);
    const record = parseTokenRecord(text, key);
    if (record.revokedAt !== null) throw new RegistryError('conflict', `token ${tokenId} was already revoked at ${record.revokedAt}`);
    const revoked: TokenRecord = { ...record, revokedAt: new Date().toISOString() };
    await this.storage.put(key, Buffer.from(`${JSON.stringify(revoked, null, 2)}\n`));
    return revoked;
  }
}

/** Oldest first, then by id: the order in which a user name and id were bound. */
export function byCreation(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The object's text, or null when it vanished; a record over the cap is CorruptRecord, not read on. */
export async function readSmallObject(storage: Storage, key: string): Promise<string | null> {
  const read = await readCapped(storage, key, MAX_RECORD_BYTES);
  if (read.kind === 'too-large') throw new CorruptRecord(`${key} is larger than ${MAX_RECORD_BYTES} bytes`);
  return read.kind === 'missing' ? null : read.bytes.toString('utf8');
}
