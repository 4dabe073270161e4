/**
 * A fake OIDC issuer (a CI provider such as GitHub Actions) as a real HTTP server on
 * 127.0.0.1: its own discovery document, a JWKS with real RSA keys made by `jose`, key
 * rotation, and misbehaviour on demand (a JWKS that hangs, or answers garbage). Plus a fake
 * GitHub Actions ID-token endpoint that mints tokens from it, as the runner's service does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyObject } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] | KeyObject;

interface SigningKey {
  kid: string;
  privateKey: PrivateKey;
  jwk: JWK;
}

export type JwksMode = 'ok' | 'hang' | 'garbage' | 'huge' | 'error';

export interface FakeIssuer {
  /** the issuer URL, `iss` of its tokens */
  url: string;
  /** requests for the key set so far */
  jwksFetches: number;
  jwksMode: JwksMode;
  /** a token signed with the current key; `claims` override the defaults */
  sign(claims?: Record<string, unknown>, opts?: { kid?: string; alg?: string; key?: PrivateKey; header?: Record<string, unknown> }): Promise<string>;
  /** a new current key; the old one leaves the JWKS unless `keepOld` */
  rotate(keepOld?: boolean): Promise<void>;
  /** a key pair the issuer never publishes */
  foreignKey(): Promise<PrivateKey>;
  /** the current public key as a JWK (what an HMAC-confusion attack uses as its secret) */
  publicJwk(): JWK;
  close(): Promise<void>;
}

/** Claims a GitHub Actions job token carries (a subset), for acme/tools at tag v1.0.0. */
export function githubClaims(issuer: string, audience: string): Record<string, unknown> {
  return {
    iss: issuer,
    aud: audience,
    sub: 'repo:acme/tools:ref:refs/tags/v1.0.0',
    repository: 'acme/tools',
    repository_owner: 'acme',
    ref: 'refs/tags/v1.0.0',
    ref_type: 'tag',
    workflow: 'publish',
    workflow_ref: 'acme/tools/.github/workflows/publish.yml@refs/tags/v1.0.0',
    environment: 'release',
    run_id: '4242',
    run_attempt: '1',
    event_name: 'push',
  };
}

export async function startFakeIssuer(defaults: { audience: string }): Promise<FakeIssuer> {
  let keys: SigningKey[] = [await newKey()];
  let state: FakeIssuer;
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ issuer: state.url, jwks_uri: `${state.url}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
    }
    if (req.url === '/jwks') {
      state.jwksFetches++;
      if (state.jwksMode === 'hang') return;
      if (state.jwksMode === 'error') return void res.writeHead(500).end('oops');
      res.writeHead(200, { 'content-type': 'application/json' });
      if (state.jwksMode === 'garbage') return void res.end('{"keys": [{"kty": "RSA", "kid": "k1", "n": "???"}');
      if (state.jwksMode === 'huge') return void res.end(`{"keys": [], "pad": "${'x'.repeat(2 * 1024 * 1024)}"}`);
      return void res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const current = () => keys[keys.length - 1] as SigningKey;
  state = {
    url,
    jwksFetches: 0,
    jwksMode: 'ok',
    async sign(claims = {}, opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      const key = current();
      const payload = { ...githubClaims(url, defaults.audience), iat: now, nbf: now, exp: now + 300, ...claims };
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete (payload as Record<string, unknown>)[name];
      return new SignJWT(payload)
        .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? key.kid, typ: 'JWT', ...opts.header })
        .sign(opts.key ?? key.privateKey);
    },
    async rotate(keepOld = false) {
      const next = await newKey();
      keys = keepOld ? [...keys, next] : [next];
    },
    async foreignKey() {
      return (await generateKeyPair('RS256')).privateKey;
    },
    publicJwk: () => current().jwk,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

let kidCounter = 0;
async function newKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = `key-${++kidCounter}-${Date.now().toString(36)}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** The Actions runner's token service: GET ?audience=... with the request token as bearer. */
export async function startFakeActionsTokenEndpoint(issuer: FakeIssuer, requestToken: string, claims: Record<string, unknown> = {}): Promise<{ url: string; audiences: string[]; close(): Promise<void> }> {
  const audiences: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== `Bearer ${requestToken}`) return void res.writeHead(401).end('{"message":"bad request token"}');
      const audience = new URL(req.url ?? '/', 'http://x').searchParams.get('audience') ?? 'https://github.com/acme';
      audiences.push(audience);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ count: 1, value: await issuer.sign({ aud: audience, ...claims }) }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    // the runner's URL already has a query (api-version); the client appends &audience=
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/_apis/distributedtask/token?api-version=2.0`,
    audiences,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
