/**
 * What the store keeps per token: one JSON object at `_tokens/<token id>.json`. Never the
 * token itself, only its SHA-256. A record is parsed strictly: one that does not hold up
 * is reported and skipped by its reader, never trusted in part.
 */
import { isTokenId } from './token-secret.js';

export const TOKENS_PREFIX = '_tokens/';
export const RECORD_FORMAT = 1;

export interface TokenRecord {
  format: typeof RECORD_FORMAT;
  id: string;
  /** the user name, lower case */
  user: string;
  /** the publisher id scope.toml owners hold */
  userId: number;
  sha256: string;
  scopes: string[] | 'all';
  readOnly: boolean;
  createdAt: string;
  expiresAt: string | null;
  note: string;
  revokedAt: string | null;
}

/** A stored object that is not a usable token record: skipped with a warning, never trusted. */
export class CorruptRecord extends Error {
  override readonly name = 'CorruptRecord';
}

export type TokenStatus = 'active' | 'revoked' | 'expired';

const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_NOTE_LENGTH = 200;

export function recordKey(tokenId: string): string {
  return `${TOKENS_PREFIX}${tokenId}.json`;
}

/** The token id a key names, or null for a key that is not a token record. */
export function tokenIdOfKey(key: string): string | null {
  if (!key.startsWith(TOKENS_PREFIX) || !key.endsWith('.json')) return null;
  const id = key.slice(TOKENS_PREFIX.length, -'.json'.length);
  return isTokenId(id) ? id : null;
}

export function userNameProblem(name: string): string | null {
  return USER_NAME_PATTERN.test(name) ? null : `user name "${name}" must be 1-64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit`;
}

export function tokenStatus(record: TokenRecord, now: number = Date.now()): TokenStatus {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now) return 'expired';
  return 'active';
}

/** The record in `text`, stored under `key`; throws CorruptRecord saying what is wrong. */
export function parseTokenRecord(text: string, key: string): TokenRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CorruptRecord(`${key} is not valid JSON`);
  }
  const r = raw as Partial<Record<keyof TokenRecord, unknown>>;
  const fail = (field: string): never => {
    throw new CorruptRecord(`${key} has no valid "${field}"`);
  };
  if (typeof raw !== 'object' || raw === null) throw new CorruptRecord(`${key} is not a JSON object`);
  if (r.format !== RECORD_FORMAT) fail('format');
  if (typeof r.id !== 'string' || r.id !== tokenIdOfKey(key)) fail('id');
  if (typeof r.user !== 'string' || userNameProblem(r.user) !== null) fail('user');
  if (typeof r.userId !== 'number' || !Number.isSafeInteger(r.userId) || r.userId < 0) fail('userId');
  if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) fail('sha256');
  const scopes = r.scopes;
  if (scopes !== 'all' && !(Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))) fail('scopes');
  if (typeof r.readOnly !== 'boolean') fail('readOnly');
  if (!isTime(r.createdAt)) fail('createdAt');
  if (r.expiresAt !== null && !isTime(r.expiresAt)) fail('expiresAt');
  if (r.revokedAt !== null && !isTime(r.revokedAt)) fail('revokedAt');
  if (typeof r.note !== 'string') fail('note');
  return r as TokenRecord;
}

function isTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

/** What `token list` and `--json` show: everything but the hash. */
export function describeRecord(record: TokenRecord, now: number = Date.now()) {
  return {
    id: record.id,
    user: record.user,
    userId: record.userId,
    permissions: record.readOnly ? 'read' : 'read, publish',
    scopes: record.scopes,
    status: tokenStatus(record, now),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    note: record.note,
  };
}
