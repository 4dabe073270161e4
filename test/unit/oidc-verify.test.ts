/**
 * ID-token verification against a fake OIDC issuer on 127.0.0.1 (real keys, real HTTP):
 * every kind of bad token is refused with 401 and a clear reason, key rotation is picked
 * up with one re-fetch, and an issuer whose key set hangs or is garbage costs a bounded
 * wait and accepts nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { IdTokenVerifier } from '../../src/oidc/verify-id-token.js';
import { looksLikeJwt } from '../../src/trust/trusted-publishing.js';
import { startFakeIssuer, type FakeIssuer } from '../helpers/fake-oidc-issuer.js';

const AUDIENCE = 'https://registry.test.invalid';
let issuer: FakeIssuer;
let trusted: Set<string>;

const verifier = (opts: { timeoutMs?: number; refetchCooldownMs?: number } = {}) =>
  new IdTokenVerifier({ audience: AUDIENCE, allowInsecure: true, timeoutMs: opts.timeoutMs ?? 2_000, refetchCooldownMs: opts.refetchCooldownMs ?? 0 });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  issuer = await startFakeIssuer({ audience: AUDIENCE });
  trusted = new Set([issuer.url]);
});
after(() => issuer?.close());

describe('IdTokenVerifier', () => {
  it('accepts a token signed by the issuer and returns its claims', async () => {
    const result = await verifier().verify(await issuer.sign(), trusted);
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.claims.repository, 'acme/tools');
  });

  const refusals: Array<{ name: string; token: () => Promise<string>; message: RegExp }> = [
    { name: 'expired', token: () => issuer.sign({ iat: now() - 900, nbf: now() - 900, exp: now() - 600 }), message: /expired/ },
    { name: 'not yet valid (nbf)', token: () => issuer.sign({ nbf: now() + 600 }), message: /not valid yet/ },
    { name: 'issued in the future (iat)', token: () => issuer.sign({ iat: now() + 600, nbf: undefined }), message: /iat/ },
    { name: 'without exp', token: () => issuer.sign({ exp: undefined }), message: /"exp"/ },
    { name: 'for another audience', token: () => issuer.sign({ aud: 'https://elsewhere.invalid' }), message: /another audience.*registry\.test\.invalid/ },
    { name: 'from an untrusted issuer', token: () => issuer.sign({ iss: 'https://token.actions.githubusercontent.com.evil.invalid' }), message: /issuer .* is not trusted/ },
    { name: 'unsigned (alg none)', token: async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: issuer.url, aud: AUDIENCE, exp: now() + 300, iat: now() })}.`, message: /algorithm "none" is not accepted/ },
    { name: 're-signed with another key under the issuer\'s key id', token: async () => issuer.sign({}, { key: await issuer.foreignKey() }), message: /signature does not verify/ },
    {
      name: 'HMAC-confused (HS256 with the public key as secret)',
      token: async () => {
        const secret = new TextEncoder().encode(JSON.stringify(issuer.publicJwk()));
        return new SignJWT({ iss: issuer.url, aud: AUDIENCE, exp: now() + 300, iat: now() }).setProtectedHeader({ alg: 'HS256', kid: issuer.publicJwk().kid }).sign(secret);
      },
      message: /algorithm "HS256" is not accepted/,
    },
    { name: 'signed with a key id the issuer does not publish', token: async () => issuer.sign({}, { kid: 'nobody-knows', key: await issuer.foreignKey() }), message: /key its issuer does not publish/ },
    { name: 'malformed', token: async () => 'eyJhbGciOi.not-a-jwt.at-all', message: /well-formed JWT/ },
    { name: 'huge', token: async () => `eyJ${'a'.repeat(100_000)}.b.c`, message: /more than the 8192 accepted/ },
    { name: 'a tampered payload', token: async () => { const [h, , s] = (await issuer.sign()).split('.'); return `${h}.${b64({ iss: issuer.url, aud: AUDIENCE, exp: now() + 300, iat: now(), repository: 'evil/repo' })}.${s}`; }, message: /signature does not verify/ },
  ];
  for (const { name, token, message } of refusals) {
    it(`refuses a token that is ${name} with 401`, async () => {
      const result = await verifier().verify(await token(), trusted);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.status, 401);
        assert.match(result.message, message);
      }
    });
  }

  it('picks up a rotated key with one re-fetch, and does not re-fetch for every unknown key id', async () => {
    const v = verifier({ refetchCooldownMs: 60_000 });
    assert.equal((await v.verify(await issuer.sign(), trusted)).ok, true);
    const before = issuer.jwksFetches;
    // cooldown: a token with an unknown kid right after a fetch does not cause another fetch
    await v.verify(await issuer.sign({}, { kid: 'made-up', key: await issuer.foreignKey() }), trusted);
    assert.equal(issuer.jwksFetches, before);
    const rotating = verifier({ refetchCooldownMs: 0 });
    assert.equal((await rotating.verify(await issuer.sign(), trusted)).ok, true);
    await issuer.rotate();
    const fetchesBefore = issuer.jwksFetches;
    const result = await rotating.verify(await issuer.sign(), trusted);
    assert.equal(result.ok, true, result.ok ? '' : result.message);
    assert.equal(issuer.jwksFetches, fetchesBefore + 1);
  });

  for (const mode of ['hang', 'garbage', 'huge', 'error'] as const) {
    it(`accepts nothing, within a bounded wait, when the key set ${mode === 'error' ? 'answers 500' : mode === 'hang' ? 'hangs' : `is ${mode}`}`, async () => {
      issuer.jwksMode = mode;
      try {
        const started = Date.now();
        const result = await verifier({ timeoutMs: 500 }).verify(await issuer.sign(), trusted);
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.status, 503);
        assert.ok(Date.now() - started < 3_000, 'the wait is bounded by the fetch deadline');
      } finally {
        issuer.jwksMode = 'ok';
      }
    });
  }

  it('refuses a plain-http issuer unless insecure issuers are allowed, without fetching anything', async () => {
    const fetches = issuer.jwksFetches;
    const strict = new IdTokenVerifier({ audience: AUDIENCE, allowInsecure: false });
    const result = await strict.verify(await issuer.sign(), trusted);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /OIDC_ALLOW_INSECURE_ISSUERS=1/);
    assert.equal(issuer.jwksFetches, fetches);
  });

  it('tells JWTs from opaque tokens', () => {
    assert.equal(looksLikeJwt('pesde_abc_def'), false);
    assert.equal(looksLikeJwt('gho_16C7e42F292c6912E7710c838347Ae178B4a'), false);
    assert.equal(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln'), true);
  });
});
