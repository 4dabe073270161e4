/**
 * Per-user tokens: `pesde_<token id>_<secret>`. The fixed prefix lets secret scanners
 * recognise a leaked token; the id lets the server find the token's record without a scan;
 * the secret is 32 random bytes, so a plain SHA-256 of the whole token is all the store
 * needs to keep (no salt or slow hash: there is nothing to guess).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'pesde_';
const TOKEN_ID_PATTERN = /^t[0-9a-f]{12}$/;
const TOKEN_PATTERN = /^pesde_(t[0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export function isTokenId(value: string): boolean {
  return TOKEN_ID_PATTERN.test(value);
}

export function newTokenId(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

export function newToken(tokenId: string): string {
  return `${TOKEN_PREFIX}${tokenId}_${randomBytes(32).toString('base64url')}`;
}

/** The token id of a well-formed token, else null. */
export function tokenIdOf(token: string): string | null {
  return TOKEN_PATTERN.exec(token)?.[1] ?? null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant time: both sides are digests of the same length. */
export function tokenMatches(token: string, sha256Hex: string): boolean {
  const expected = Buffer.from(sha256Hex, 'hex');
  const actual = createHash('sha256').update(token).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
