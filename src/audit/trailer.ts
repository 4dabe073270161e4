/**
 * The audit trail lives in the index's own history: every commit written for someone keeps
 * the official first line (`add acme/foo@1.0.0 luau`) and adds one git trailer saying who,
 * e.g. `Published-by: alice (id 7, token t3f9a12bc4d5e)`. Git itself parses trailers
 * (`git log --format=%(trailers)`), so any tool can read them, and the history still reads
 * like the official registry's.
 */
import type { Identity } from '../identity.js';

/** The trailer key for each kind of write, by the verb that starts the commit subject. */
export const TRAILER_KEYS = {
  add: 'Published-by',
  yank: 'Yanked-by',
  unyank: 'Unyanked-by',
  deprecate: 'Deprecated-by',
  undeprecate: 'Undeprecated-by',
  owners: 'Owners-changed-by',
} as const;

export type AuditedAction = keyof typeof TRAILER_KEYS;

/** Every audit trailer key ends so; `log` reads any of them. */
const KEY_PATTERN = /^[A-Za-z]+(?:-[a-z]+)*-by$/;

/** `alice (id 7, token t3f9a12bc4d5e)`, `GitHub user 123 (id 123, via github)`, ... */
export function trailerValue(identity: Identity): string {
  const details = [`id ${identity.userId}`];
  if (identity.tokenId !== undefined) details.push(`token ${identity.tokenId}`);
  else details.push(`via ${identity.kind}`);
  // a git identity may hold anything; a trailer is one line and the details are parsed back
  const name = identity.userName.replace(/[\r\n()]+/g, ' ').replace(/\s+/g, ' ').trim() || 'unknown';
  return `${name} (${details.join(', ')})`;
}

/** The trailers of a write's commit (the writer puts them after the official subject); none without an identity. */
export function auditTrailers(action: AuditedAction, identity: Identity | undefined): Array<[string, string]> | undefined {
  return identity === undefined ? undefined : [[TRAILER_KEYS[action], trailerValue(identity)], ...extraTrailers(identity)];
}

/** For publishPackage: the credential (its scopes), a name for logs and the claim, the trailer. */
export function publishAudit(identity: Identity | undefined): { identity?: Identity; actor?: string; trailers?: Array<[string, string]> } {
  if (identity === undefined) return {};
  return { identity, actor: trailerValue(identity), trailers: [[TRAILER_KEYS.add, trailerValue(identity)], ...extraTrailers(identity)] };
}

/** What the credential itself adds (a trusted publish's issuer, repository, ref, run), one line each. */
function extraTrailers(identity: Identity): Array<[string, string]> {
  return (identity.trailers ?? []).map(([key, value]) => [key, value.replace(/[\r\n]+/g, ' ').trim()]);
}

export interface ParsedActor {
  /** the trailer as written */
  raw: string;
  key: string;
  userName: string;
  userId: number | null;
  tokenId: string | null;
  /** token, github, legacy, none or cli; null when the value is not in our format */
  via: string | null;
}

const VALUE_PATTERN = /^(.*) \(id (\d+), (?:token ([A-Za-z0-9]+)|via ([a-z]+))\)$/;

/** Reads back one `Key: value` trailer line; null when it is not an audit trailer. */
export function parseAuditTrailer(line: string): ParsedActor | null {
  const colon = line.indexOf(':');
  if (colon < 0) return null;
  const key = line.slice(0, colon).trim();
  if (!KEY_PATTERN.test(key)) return null;
  const raw = line.slice(colon + 1).trim();
  const match = VALUE_PATTERN.exec(raw);
  if (match === null) return { raw, key, userName: raw, userId: null, tokenId: null, via: null };
  const tokenId = match[3] ?? null;
  return { raw, key, userName: match[1] ?? '', userId: Number(match[2]), tokenId, via: tokenId === null ? (match[4] ?? null) : 'token' };
}
