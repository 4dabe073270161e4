/**
 * Who a request is, from its Authorization header: per-user tokens (`pesde_...`, checked
 * against the token store's in-memory copy) beside the official registry's modes
 * (ACCESS_TOKEN, READ/WRITE tokens, GitHub, none) from auth.ts. Precedence:
 * 1. a header that equals a shared token (ACCESS_TOKEN, READ/WRITE_ACCESS_TOKEN) is that token;
 * 2. any other `pesde_` token is a per-user token, never sent to GitHub;
 * 3. anything else goes to the official mode; with no auth mode, once per-user tokens exist,
 *    writes (and reads under READ_NEEDS_AUTH) need one.
 */
import { unrestrictedIdentity, type Identity } from '../identity.js';
import type { TokenCache } from '../tokens/token-cache.js';
import { TOKEN_PREFIX } from '../tokens/token-secret.js';
import { tokenFromHeader, type Authenticator } from './auth.js';

export type Access = 'read' | 'write';

export type AccessOutcome = { ok: true; identity: Identity } | { ok: false; status: 401 | 403 | 503; message: string };

export interface AccessControl {
  readonly readNeedsAuth: boolean;
  describe(): string;
  /** `client` is the caller's address, for modes that throttle failed attempts per client */
  check(need: Access, header: string | undefined, client?: string): Promise<AccessOutcome>;
}

const REFUSED_TOKEN: Record<'malformed' | 'unknown' | 'revoked' | 'expired', string> = {
  malformed: 'the token is malformed (per-user tokens look like pesde_<token id>_<secret>)',
  unknown: 'the token is unknown to this registry',
  revoked: 'the token has been revoked',
  expired: 'the token has expired',
};

export function createAccessControl(legacy: Authenticator, tokens: TokenCache): AccessControl {
  const sharedTokens = legacy.mode === 'token' || legacy.mode === 'rw-token';
  const legacyCheck = (need: Access, header: string | undefined, client: string | undefined) =>
    need === 'read' ? legacy.forRead(header, client) : legacy.forWrite(header, client);

  return {
    readNeedsAuth: legacy.readNeedsAuth,
    describe: () => `${legacy.describe()}; per-user tokens from the token store (${tokens.count} now)`,
    async check(need, header, client) {
      const token = tokenFromHeader(header);
      if (token !== null && token.startsWith(TOKEN_PREFIX)) {
        const shared = sharedTokens ? await legacyCheck(need, header, client) : null;
        if (shared !== null) return { ok: true, identity: legacyIdentity(legacy, shared, need) };
        const found = tokens.lookup(token);
        if (!found.ok) return { ok: false, status: 401, message: REFUSED_TOKEN[found.reason] };
        if (need === 'write' && found.identity.readOnly) {
          return { ok: false, status: 403, message: `token ${found.identity.tokenId} is read-only: it cannot publish, yank or deprecate` };
        }
        return { ok: true, identity: found.identity };
      }
      // no auth mode lets anyone in, until the registry has per-user tokens
      const id = legacy.mode === 'none' && tokens.inUse ? null : await legacyCheck(need, header, client);
      if (id === null) return { ok: false, status: 401, message: refusal(need, header) };
      return { ok: true, identity: legacyIdentity(legacy, id, need) };
    },
  };
}

function refusal(need: Access, header: string | undefined): string {
  if (header === undefined) return `a token is required to ${need === 'read' ? 'read from' : 'write to'} this registry`;
  return `the token is not valid for ${need === 'read' ? 'reading' : 'writing'}`;
}

function legacyIdentity(legacy: Authenticator, id: number, need: Access): Identity {
  switch (legacy.mode) {
    case 'github':
      return unrestrictedIdentity('github', id, `GitHub user ${id}`);
    case 'token':
      return unrestrictedIdentity('legacy', id, 'ACCESS_TOKEN');
    case 'rw-token':
      return unrestrictedIdentity('legacy', id, need === 'write' ? 'WRITE_ACCESS_TOKEN' : 'READ_ACCESS_TOKEN');
    case 'none':
      return unrestrictedIdentity('none', id, 'anonymous');
  }
}
