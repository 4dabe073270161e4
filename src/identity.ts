/**
 * Who is making a request or running a command: what the scope checks and the audit
 * trailer of every index commit need to know. The publisher id (`userId`) is the number
 * `scope.toml` lists as an owner, whatever kind of credential proved it.
 */
import { RegistryError } from './errors.js';

export type IdentityKind =
  /** a per-user token from the token store */
  | 'token'
  /** a GitHub OAuth token, checked with GitHub */
  | 'github'
  /** ACCESS_TOKEN, or the read/write tokens: one secret shared by everyone */
  | 'legacy'
  /** no auth configured: anyone, as publisher 0 */
  | 'none'
  /** the command line on a clone of the index (`--owner` and the git identity) */
  | 'cli'
  /** a CI provider's OIDC ID token that a trust rule accepted (trusted publishing) */
  | 'oidc';

export interface Identity {
  kind: IdentityKind;
  /** the publisher id scope owners are checked against */
  userId: number;
  /** a user name, GitHub user, shared token's name, or git identity; for people and the audit trail */
  userName: string;
  /** per-user tokens only */
  tokenId?: string | undefined;
  /** scopes this credential may write to; 'all' for every scope the user owns */
  scopes: readonly string[] | 'all';
  readOnly: boolean;
  /** more audit trailers, `[key, value]` (trusted publishing: issuer, repository, ref, run id) */
  trailers?: ReadonlyArray<readonly [string, string]> | undefined;
}

/** Who may do everything the publisher id allows: shared tokens, GitHub, the CLI. */
export function unrestrictedIdentity(kind: IdentityKind, userId: number, userName: string): Identity {
  return { kind, userId, userName, scopes: 'all', readOnly: false };
}

/** Whether `assertMayWrite` would let this credential write to `scope`. */
export function mayWrite(identity: Identity | undefined, scope: string): boolean {
  return identity === undefined || (!identity.readOnly && (identity.scopes === 'all' || identity.scopes.includes(scope)));
}

/**
 * Throws 403 unless this credential may write to `scope`. Scope ownership (scope.toml) is
 * checked separately, against the tip the change is built on.
 */
export function assertMayWrite(identity: Identity | undefined, scope: string): void {
  if (identity === undefined || mayWrite(identity, scope)) return;
  const credential = identity.tokenId === undefined ? 'this credential' : `token ${identity.tokenId}`;
  if (identity.readOnly) {
    throw new RegistryError('forbidden', `${credential} is read-only: it cannot write to scope "${scope}"`);
  }
  // mayWrite said no and it is not read-only: its scopes leave this one out
  const scopes = identity.scopes === 'all' ? 'all' : identity.scopes.join(', ') || 'none';
  throw new RegistryError('forbidden', `${credential} may not write to scope "${scope}" (its scopes: ${scopes})`);
}
