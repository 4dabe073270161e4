/**
 * What other web sites and strangers can make a registry do, over real HTTP on 127.0.0.1:
 * writes only from the registry's own pages (or allowed origins) and, without auth, only at
 * a host name it knows; the pesde client, which sends no Origin, unaffected; GitHub asked
 * at most once per bad token and throttled per address; /health telling a private
 * registry's details only to readers; a login `next` that is not ASCII.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/server/logger.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';
import { setupIndex, worldState, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage } from '../helpers/package-fixture.js';

const API_HOST = 'registry.example.com:8080';
const GITHUB_CLIENT_ID = 'hardening-client';
const GITHUB_SECRET = 'github-client-secret-77aa';
/** token -> GitHub user id; every other token is unknown to GitHub */
const GITHUB_USERS: Record<string, number> = { gho_valid_user: 4242 };

let setup: IndexSetup;

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-hardening-web-', api: `http://${API_HOST}`, initArgs: ['--github-oauth-client-id', GITHUB_CLIENT_ID] });
});
after(() => setup?.cleanup());

async function withServer(env: Record<string, string>, flags: Record<string, string>, run: (server: TestServer) => Promise<void>, logger?: ReturnType<typeof createLogger>): Promise<void> {
  const server = await startTestServer({ flags: { index: setup.clone, storageRoot: setup.storage, publishRateLimit: 'off', ...flags }, env, ...(logger === undefined ? {} : { logger }) });
  try {
    await run(server);
  } finally {
    await server.dispose();
  }
}

/** DELETE deprecate of a package that does not exist: 404 once past every guard, and it changes nothing either way. */
const probeWrite = (server: TestServer, headers: Record<string, string>) => server.get(`/v1/packages/${enc('nobody/nothing')}/deprecate`, { method: 'DELETE', headers });

function assertRefused(res: HttpAnswer, pattern: RegExp, what: string): void {
  assert.equal(res.status, 403, `${what}: ${res.status} ${res.text}`);
  assert.match(res.json<{ error: string }>().error, pattern, what);
}

describe('cross-site writes, no auth (the npm start default)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ flags: { index: setup.clone, storageRoot: setup.storage, publishRateLimit: 'off', allowedOrigins: 'https://packages.example.com', allowedHosts: 'registry.internal' } });
  });
  after(() => server?.dispose());

  it('refuses a text/plain publish, a yank and a deprecation from another site, changing nothing', async () => {
    const before = await worldState(setup.remote, [setup.clone], async () => []);
    const archive = await buildPackage({ name: 'acme/csrf', version: '1.0.0' });
    const origin = { origin: 'https://evil.example' };
    assertRefused(await server.get('/v1/packages', { method: 'POST', body: archive, headers: { ...origin, 'content-type': 'text/plain' } }), /^writes from pages at https:\/\/evil\.example are refused/, 'publish');
    assertRefused(await server.get(`/v1/packages/${enc('acme/csrf')}/1.0.0/luau/yank`, { method: 'PUT', headers: origin }), /refused/, 'yank');
    assertRefused(await server.get(`/v1/packages/${enc('acme/csrf')}/deprecate`, { method: 'PUT', body: 'x', headers: origin }), /refused/, 'deprecate');
    assertRefused(await probeWrite(server, { origin: 'null' }), /refused/, 'Origin: null');
    assertRefused(await probeWrite(server, { 'sec-fetch-site': 'cross-site' }), /^writes from other sites are refused$/, 'Sec-Fetch-Site without Origin');
    assert.deepEqual(await worldState(setup.remote, [setup.clone], async () => []), before);
  });

  it("lets the registry's own pages, allowed origins and clients without Origin write", async () => {
    const own = server.url;
    for (const headers of [{}, { origin: own }, { origin: `http://${API_HOST}` }, { origin: 'https://packages.example.com' }] as Array<Record<string, string>>) {
      const res = await probeWrite(server, headers);
      assert.equal(res.status, 404, `${JSON.stringify(headers)}: ${res.text}`);
    }
  });

  it('answers write preflights only for origins that may write; reads stay open to every origin', async () => {
    const preflight = (origin: string, method: string) =>
      server.get('/v1/packages', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' } });
    const foreignPut = await preflight('https://evil.example', 'PUT');
    assert.equal(foreignPut.headers['access-control-allow-origin'], undefined);
    assert.equal(foreignPut.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
    const foreignGet = await preflight('https://evil.example', 'GET');
    assert.equal(foreignGet.headers['access-control-allow-origin'], 'https://evil.example');
    const allowed = await preflight('https://packages.example.com', 'DELETE');
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://packages.example.com');
    assert.match(String(allowed.headers['access-control-allow-methods']), /DELETE/);
    const read = await server.get('/v1/search', { headers: { origin: 'https://pesde.dev' } });
    assert.equal(read.status, 200);
    assert.equal(read.headers['access-control-allow-origin'], 'https://pesde.dev');
  });

  it('refuses writes at a host name it does not know (DNS rebinding), also when Origin matches that host', async () => {
    const port = new URL(server.url).port;
    for (const host of [`attacker.example:${port}`, 'intranet-registry.evil.example']) {
      assertRefused(await probeWrite(server, { host }), /^writes without auth are taken only at a known host name/, host);
      assertRefused(await probeWrite(server, { host, origin: `http://${host}` }), /known host name/, `${host} with its own Origin`);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, '10.1.2.3', API_HOST, 'registry.internal:9000']) {
      const res = await probeWrite(server, { host });
      assert.equal(res.status, 404, `${host}: ${res.text}`);
    }
    // reads are not writes: a page is still shown at any name
    assert.equal((await server.get('/v1/search', { headers: { host: 'attacker.example' } })).status, 200);
  });

  it('a pesde-client-like publish (no Origin, its own user agent) works', async () => {
    const archive = await buildPackage({ name: 'acme/client', version: '1.0.0' });
    const res = await server.get('/v1/packages', { method: 'POST', body: archive, headers: { 'user-agent': 'pesde/0.7.3', 'content-type': 'application/octet-stream', accept: 'application/json' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, 'published acme/client@1.0.0 luau');
  });
});

describe('cross-site writes with a token', () => {
  it('needs no known Host (a token cannot be rebound), but still refuses other origins', async () => {
    await withServer({ ACCESS_TOKEN: 'cross-site-token-1' }, {}, async (server) => {
      const auth = { authorization: 'Bearer cross-site-token-1' };
      assert.equal((await probeWrite(server, { ...auth, host: 'attacker.example' })).status, 404);
      assertRefused(await probeWrite(server, { ...auth, origin: 'https://evil.example' }), /refused/, 'foreign origin with a token');
    });
  });

  it('the login form refuses another origin', async () => {
    await withServer({ ACCESS_TOKEN: 'cross-site-token-1', READ_NEEDS_AUTH: '1' }, {}, async (server) => {
      const res = await server.get('/login', {
        method: 'POST',
        body: 'token=cross-site-token-1&next=%2F',
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers['set-cookie'], undefined);
    });
  });
});

interface FakeGitHub {
  url: string;
  readonly calls: number;
  /** answer every call with this status and body instead (null: behave) */
  failWith: { status: number; body: string } | null;
  close(): Promise<void>;
}

async function startFakeGitHub(): Promise<FakeGitHub> {
  const fake = { calls: 0, failWith: null as { status: number; body: string } | null };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fake.calls++;
      if (fake.failWith !== null) return void res.writeHead(fake.failWith.status).end(fake.failWith.body);
      const { access_token: token } = JSON.parse(Buffer.concat(chunks).toString()) as { access_token: string };
      const id = GITHUB_USERS[token];
      if (id === undefined) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: { login: 'someone', id } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

describe('GitHub mode: bad tokens cost GitHub (almost) nothing', () => {
  let github: FakeGitHub;
  before(async () => {
    github = await startFakeGitHub();
  });
  after(() => github?.close());
  const env = () => ({ GITHUB_CLIENT_SECRET: GITHUB_SECRET, GITHUB_API_URL: github.url });

  it('30 requests with one bad token, 30 at once: one GitHub call; distinct bad tokens: throttled per address', async () => {
    await withServer(env(), {}, async (server) => {
      const start = github.calls;
      for (let i = 0; i < 30; i++) assert.equal((await probeWrite(server, { authorization: 'gho_bad' })).status, 401);
      assert.equal(github.calls - start, 1, 'one bad token, asked once');
      const parallel = await Promise.all(Array.from({ length: 30 }, () => probeWrite(server, { authorization: 'gho_bad_parallel' })));
      assert.deepEqual(new Set(parallel.map((r) => r.status)), new Set([401]));
      assert.equal(github.calls - start, 2, 'checks of one token in flight are shared');
      assert.equal((await probeWrite(server, { authorization: 'gho_valid_user' })).status, 404, 'a valid token is cached before the flood');

      const flood: number[] = [];
      for (let i = 0; i < 30; i++) flood.push((await probeWrite(server, { authorization: `gho_bad_${i}` })).status);
      assert.ok(github.calls - start <= 11, `GitHub was called ${github.calls - start} times`);
      assert.ok(flood.includes(429), `no throttling: ${flood.join(',')}`);
      const throttled = await probeWrite(server, { authorization: 'gho_bad_again' });
      assert.equal(throttled.status, 429);
      assert.match(String(throttled.headers['retry-after']), /^\d+$/);
      // whoever already proved their token is not locked out by the flood
      assert.equal((await probeWrite(server, { authorization: 'gho_valid_user' })).status, 404);
    });
  });

  it('bogus login cookies are throttled the same way', async () => {
    await withServer({ ...env(), READ_NEEDS_AUTH: '1' }, {}, async (server) => {
      const start = github.calls;
      for (let i = 0; i < 30; i++) {
        const res = await server.get('/', { headers: { accept: 'text/html', cookie: `pesde_registry_token=bogus-${i}` } });
        assert.ok(res.status === 401 || res.status === 429, String(res.status));
      }
      assert.ok(github.calls - start <= 10, `GitHub was called ${github.calls - start} times`);
    });
  });

  it('GitHub failing is a 503, not cached, and its answer never puts the client secret in the log', async () => {
    const lines: string[] = [];
    const out = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    await withServer(env(), {}, async (server) => {
      github.failWith = { status: 500, body: `internal error for ${GITHUB_SECRET}` };
      try {
        const res = await probeWrite(server, { authorization: 'gho_valid_user' });
        assert.equal(res.status, 503, res.text);
      } finally {
        github.failWith = null;
      }
      assert.equal((await probeWrite(server, { authorization: 'gho_valid_user' })).status, 404, 'the failure was not cached');
    }, createLogger('text', out));
    assert.ok(lines.join('').includes('GitHub answered 500'), lines.join(''));
    assert.ok(!lines.join('').includes(GITHUB_SECRET), lines.join(''));
  });
});

describe('a private registry (READ_NEEDS_AUTH)', () => {
  const TOKEN = 'private-read-token-9';
  it('/health: only the status without a token, everything with one', async () => {
    await withServer({ ACCESS_TOKEN: TOKEN, READ_NEEDS_AUTH: '1' }, {}, async (server) => {
      for (const headers of [{}, { authorization: 'wrong' }] as Array<Record<string, string>>) {
        const minimal = await server.get('/health', { headers });
        assert.equal(minimal.status, 200);
        assert.deepEqual(minimal.json(), { status: 'ok' });
      }
      const full = (await server.get('/health', { headers: { authorization: `Bearer ${TOKEN}` } })).json<Record<string, unknown>>();
      assert.deepEqual(Object.keys(full).sort(), ['commit', 'packages', 'refreshError', 'refreshedAt', 'staleSeconds', 'status', 'storage', 'tokenStoreError']);
      assert.equal(full.commit, server.state.commit);
    });
  });

  it('POST /login with a valid token and a non-ASCII next goes there, percent-encoded', async () => {
    await withServer({ ACCESS_TOKEN: TOKEN, READ_NEEDS_AUTH: '1' }, {}, async (server) => {
      const res = await server.get('/login', {
        method: 'POST',
        body: new URLSearchParams({ token: TOKEN, next: '/packages/acme/é?q=ü 1' }).toString(),
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 303, res.text);
      assert.equal(res.headers.location, '/packages/acme/%C3%A9?q=%C3%BC%201');
      const form = await server.get(`/login?next=${encodeURIComponent('/ü')}`, { headers: { accept: 'text/html' } });
      assert.equal(form.status, 200);
      assert.match(form.text, /name="next" value="\/%C3%BC"/);
    });
  });
});
