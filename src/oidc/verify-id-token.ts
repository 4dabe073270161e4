/**
 * Checks a CI provider's OIDC ID token with `jose`: the issuer must be one we trust, the
 * signature must verify against that issuer's published keys with an asymmetric algorithm
 * from the allow-list (no `none`, no HMAC: a public key is never a shared secret), and
 * `aud`, `exp`, `nbf`, `iat` must hold within a small leeway. What it returns is the
 * verified claims; which claims may publish what is the trust rules' business.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { IssuerKeys, IssuerUnavailable, type IssuerKeysOptions } from './issuer-keys.js';
import { issuerProblem } from './issuer-url.js';

export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** clocks of CI runners and registries drift a little */
export const CLOCK_LEEWAY_SECONDS = 60;
/** real ID tokens are 1-2 KB; larger ones are refused before they are parsed (and stay under Node's 16 KB header limit) */
export const MAX_ID_TOKEN_BYTES = 8 * 1024;

export type IdTokenCheck =
  | { ok: true; claims: JWTPayload & Record<string, unknown> }
  /** 401: not a valid token for us; 503: the issuer's keys could not be fetched */
  | { ok: false; status: 401 | 503; message: string };

export class IdTokenVerifier {
  private readonly keys = new Map<string, IssuerKeys>();

  constructor(private readonly opts: IssuerKeysOptions & { audience: string }) {}

  async verify(token: string, trustedIssuers: ReadonlySet<string>): Promise<IdTokenCheck> {
    if (token.length > MAX_ID_TOKEN_BYTES) return refuse(`the ID token is ${token.length} bytes, more than the ${MAX_ID_TOKEN_BYTES} accepted`);
    let alg: unknown;
    let kid: unknown;
    let iss: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
      ({ iss } = decodeJwt(token));
    } catch {
      return refuse('the token is not a well-formed JWT');
    }
    if (typeof alg !== 'string' || !ALLOWED_ALGORITHMS.includes(alg)) {
      return refuse(`the ID token's algorithm ${JSON.stringify(alg)} is not accepted (allowed: ${ALLOWED_ALGORITHMS.join(', ')})`);
    }
    if (typeof iss !== 'string' || !trustedIssuers.has(iss)) {
      return refuse(`the ID token's issuer ${JSON.stringify(clip(iss))} is not trusted by this registry (no trust rule names it)`);
    }
    // a rule written around `trust add` (by hand, or before the setting was turned off) must not make us fetch over http
    const problem = issuerProblem(iss, this.opts.allowInsecure);
    if (problem !== null) return refuse(`the ID token's issuer cannot be trusted: ${problem}`);
    const keys = this.keysOf(iss);
    try {
      const getKey = await keys.keySet(typeof kid === 'string' ? kid : undefined);
      const { payload } = await jwtVerify(token, getKey, {
        issuer: iss,
        audience: this.opts.audience,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: CLOCK_LEEWAY_SECONDS,
        requiredClaims: ['exp', 'iat'],
      });
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_LEEWAY_SECONDS) return refuse('the ID token was issued in the future (iat)');
      return { ok: true, claims: payload as JWTPayload & Record<string, unknown> };
    } catch (error) {
      if (error instanceof IssuerUnavailable) return { ok: false, status: 503, message: `cannot check the ID token now: ${error.message}` };
      return refuse(joseMessage(error, this.opts.audience));
    }
  }

  private keysOf(issuer: string): IssuerKeys {
    let keys = this.keys.get(issuer);
    if (keys === undefined) {
      keys = new IssuerKeys(issuer, this.opts);
      this.keys.set(issuer, keys);
    }
    return keys;
  }
}

function joseMessage(error: unknown, audience: string): string {
  if (error instanceof joseErrors.JWTExpired) return 'the ID token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `the ID token is for another audience (this registry expects "${audience}")`;
    if (error.claim === 'nbf') return 'the ID token is not valid yet (nbf)';
    if (error.claim === 'iat') return 'the ID token has an invalid issue time (iat)';
    return `the ID token's "${error.claim}" claim does not hold: ${error.reason}`;
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'the ID token is signed with a key its issuer does not publish';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the ID token\'s signature does not verify against its issuer\'s keys';
  if (error instanceof joseErrors.JOSEError) return `the ID token is not valid (${error.code})`;
  return 'the ID token is not valid';
}

function refuse(message: string): IdTokenCheck {
  return { ok: false, status: 401, message };
}

function clip(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}
