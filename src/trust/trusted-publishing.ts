/**
 * Trusted publishing at the server's door: a bearer token that is a JWT from an issuer a
 * trust rule names is verified (oidc/verify-id-token.ts) and matched against the rules;
 * the first matching rule (oldest first) says who it publishes as and into which scopes.
 * Every other token goes on to the access control it wraps, unchanged. A verified token
 * that matches no rule is a 403 listing the claims seen (never the token).
 */
import type { Identity } from '../identity.js';
import type { IdTokenVerifier } from '../oidc/verify-id-token.js';
import type { AccessControl, AccessOutcome } from '../server/access-control.js';
import type { Logger } from '../server/logger.js';
import { tokenFromHeader } from '../server/auth.js';
import type { TrustCache } from './trust-cache.js';
import { describeClaims, ruleMatches, seenClaims, type SeenClaims, type TrustRule } from './trust-rule.js';
import type { TrustedPublishingSettings } from './trust-settings.js';

/** Three base64url parts, the first a JSON header: a JWT, not an opaque registry or GitHub token. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);
}

export function withTrustedPublishing(inner: AccessControl, rules: TrustCache, settings: TrustedPublishingSettings, api: string, logger: Logger): AccessControl {
  const audience = settings.audience ?? api.replace(/\/+$/, '');
  // jose loads with the first ID token, not with every server
  let verifier: Promise<IdTokenVerifier> | undefined;
  const getVerifier = () =>
    (verifier ??= import('../oidc/verify-id-token.js').then(
      ({ IdTokenVerifier }) => new IdTokenVerifier({ audience, allowInsecure: settings.allowInsecureIssuers, refetchCooldownMs: settings.refetchCooldownMs }),
    ));
  return {
    readNeedsAuth: inner.readNeedsAuth,
    describe: () => `${inner.describe()}; trusted publishing for ID tokens with audience ${audience} (${rules.rules.length} rules now)`,
    async check(need, header, client): Promise<AccessOutcome> {
      const token = tokenFromHeader(header);
      if (token === null || rules.rules.length === 0 || !looksLikeJwt(token)) return inner.check(need, header, client);
      const verified = await (await getVerifier()).verify(token, rules.issuers);
      if (!verified.ok) {
        // the operator must hear that an issuer is unreachable; a bad token is the caller's business
        if (verified.status === 503) logger.warn(verified.message);
        return { ok: false, status: verified.status, message: verified.message };
      }
      const seen = seenClaims(verified.claims);
      const rule = rules.rules.find((r) => ruleMatches(r, seen));
      if (rule === undefined) return { ok: false, status: 403, message: `no trust rule matches this ID token (claims seen: ${describeClaims(seen)})` };
      return { ok: true, identity: trustedIdentity(rule, seen) };
    },
  };
}

function trustedIdentity(rule: TrustRule, seen: SeenClaims): Identity {
  const trailers: Array<[string, string]> = [
    ['OIDC-Issuer', seen.issuer],
    ['OIDC-Repository', seen.repository ?? 'none'],
    ['OIDC-Ref', seen.ref ?? 'none'],
    ['OIDC-Run-Id', seen.runId ?? 'none'],
    ['Trust-Rule', rule.id],
  ];
  return { kind: 'oidc', userId: rule.userId, userName: rule.user, scopes: rule.scopes, readOnly: false, trailers };
}
