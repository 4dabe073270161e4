/**
 * Who may read and write, per auth mode, over real HTTP: every mode the official registry
 * chooses from its environment, against every route, with each kind of Authorization
 * header. Write routes are called so that, once past auth, they stop at a cheap 4xx
 * (oversized body, malformed version, empty reason): 401 means auth refused, anything else
 * that it let the request through. GitHub mode runs against a fake GitHub API on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { IndexConfig } from '../../src/index-repo/types.js';
import { authSettingsFromEnv, createAuthenticator } from '../../src/server/auth.js';
import { silentLogger } from '../../src/server/logger.js';
import { cloneFixtureIndex } from '../helpers/fixture-index.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';

const READ_TOKEN = 'read-secret-token';
const WRITE_TOKEN = 'write-secret-token';
const ACCESS_TOKEN = 'access-secret-token';
const GITHUB_CLIENT_ID = 'a1d648966fdfbdcd9295'; // the fixture index's github_oauth_client_id
const GITHUB_SECRET = 'client-secret';
/** GitHub tokens the fake API knows, and whose user they are */
const GITHUB_USERS: Record<string, number> = { 'gho_owner_of_pesde': 72147841, 'gho_someone_else': 12345 };

let indexDir: string;
let github: FakeGitHub;

const baseConfig: IndexConfig = {
  api: 'http://127.0.0.1:1',
  git_allowed: false,
  other_registries_allowed: false,
  wally_allowed: false,
  max_archive_size: 4 * 1024 * 1024,
  scripts_packages: [],
};

interface FakeGitHub {
  url: string;
  calls: number;
  badAuthCalls: number;
  close(): Promise<void>;
}

/** POST /applications/{client_id}/token with basic auth: 200 {user:{id}} for a known token, else 404. */
async function startFakeGitHub(): Promise<FakeGitHub> {
  const state = { calls: 0, badAuthCalls: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.calls++;
      const expectedAuth = `Basic ${Buffer.from(`${GITHUB_CLIENT_ID}:${GITHUB_SECRET}`).toString('base64')}`;
      if (req.method !== 'POST' || req.url !== `/applications/${GITHUB_CLIENT_ID}/token` || req.headers.authorization !== expectedAuth || !req.headers['user-agent']) {
        state.badAuthCalls++;
        res.writeHead(401).end('{"message":"Bad credentials"}');
        return;
      }
      const { access_token: token } = JSON.parse(Buffer.concat(chunks).toString()) as { access_token: string };
      const id = GITHUB_USERS[token];
      if (id === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, token, user: { login: 'someone', id } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get calls() {
      return state.calls;
    },
    get badAuthCalls() {
      return state.badAuthCalls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const pkg = enc('pesde/rojo');
const READ_ROUTES = [
  `/v1/packages/${pkg}`,
  `/v1/packages/${pkg}/latest/any`,
  `/v1/packages/${pkg}/latest/any/archive`,
  `/v1/packages/${pkg}/latest/any/readme`,
  `/v1/packages/${pkg}/latest/any/doc?doc=x`,
  '/v1/search?query=rojo',
  `/v0/packages/${pkg}`,
  `/v0/packages/${pkg}/latest/any`,
  '/v0/search',
];

interface WriteCall {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
/** Each stops right after auth with a cheap client error. */
const WRITE_ROUTES: WriteCall[] = [
  { method: 'POST', path: '/v1/packages', headers: { 'content-length': String(10 * 1024 * 1024 * 1024) } },
  { method: 'POST', path: '/v0/packages', headers: { 'content-length': String(10 * 1024 * 1024 * 1024) } },
  { method: 'PUT', path: `/v1/packages/${pkg}/01.0.0/lune/yank` },
  { method: 'DELETE', path: `/v1/packages/${pkg}/01.0.0/all/yank` },
  { method: 'PUT', path: `/v1/packages/${pkg}/deprecate`, body: '   ' },
  { method: 'DELETE', path: `/v1/packages/${enc('bad name')}/deprecate` },
];

/** Authorization headers to try for a secret, and whether each carries the secret. */
function headerVariants(secret: string): Array<{ label: string; header: string | undefined; carries: boolean }> {
  const offByOne = secret.slice(0, -1) + (secret.endsWith('n') ? 'm' : 'n');
  return [
    { label: 'no header', header: undefined, carries: false },
    { label: 'bare token', header: secret, carries: true },
    { label: 'Bearer token', header: `Bearer ${secret}`, carries: true },
    { label: 'bearer (lower case) token', header: `bearer ${secret}`, carries: true },
    { label: 'BEARER token', header: `BEARER ${secret}`, carries: true },
    { label: 'token in the wrong case', header: `Bearer ${secret.toUpperCase()}`, carries: false },
    { label: 'token one character off', header: `Bearer ${offByOne}`, carries: false },
    { label: 'token with a trailing character', header: `${secret}x`, carries: false },
    { label: 'Basic scheme', header: `Basic ${secret}`, carries: false },
    { label: 'empty header', header: '', carries: false },
  ];
}

interface Mode {
  name: string;
  env: Record<string, string>;
  /** the secrets a client might hold */
  secrets: string[];
  canRead(secret: string | null): boolean;
  canWrite(secret: string | null): boolean;
}

const githubEnv = () => ({ GITHUB_CLIENT_SECRET: GITHUB_SECRET, GITHUB_API_URL: github.url });
const anyGithubUser = (s: string | null) => s !== null && s in GITHUB_USERS;

const MODES: Mode[] = [
  { name: 'none', env: {}, secrets: ['whatever'], canRead: () => true, canWrite: () => true },
  {
    name: 'ACCESS_TOKEN',
    env: { ACCESS_TOKEN },
    secrets: [ACCESS_TOKEN, 'not-the-token'],
    canRead: () => true,
    canWrite: (s) => s === ACCESS_TOKEN,
  },
  {
    name: 'ACCESS_TOKEN + READ_NEEDS_AUTH',
    env: { ACCESS_TOKEN, READ_NEEDS_AUTH: '' },
    secrets: [ACCESS_TOKEN],
    canRead: (s) => s === ACCESS_TOKEN,
    canWrite: (s) => s === ACCESS_TOKEN,
  },
  {
    name: 'READ_ACCESS_TOKEN + WRITE_ACCESS_TOKEN',
    env: { READ_ACCESS_TOKEN: READ_TOKEN, WRITE_ACCESS_TOKEN: WRITE_TOKEN },
    secrets: [READ_TOKEN, WRITE_TOKEN],
    canRead: (s) => s === READ_TOKEN || s === WRITE_TOKEN,
    canWrite: (s) => s === WRITE_TOKEN,
  },
  {
    name: 'GitHub',
    env: {},
    secrets: ['gho_owner_of_pesde', 'gho_unknown_token'],
    canRead: () => true,
    canWrite: anyGithubUser,
  },
  {
    name: 'GitHub + READ_NEEDS_AUTH',
    env: { READ_NEEDS_AUTH: 'true' },
    secrets: ['gho_someone_else', 'gho_unknown_token'],
    canRead: anyGithubUser,
    canWrite: anyGithubUser,
  },
];

before(async () => {
  indexDir = await cloneFixtureIndex();
  github = await startFakeGitHub();
});

after(async () => {
  await github?.close();
});

async function withServer(env: Record<string, string>, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startTestServer({ flags: { index: indexDir, publishRateLimit: 'off' }, env });
  try {
    await run(server);
  } finally {
    await server.dispose();
  }
}

function headersFor(header: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return header === undefined ? extra : { ...extra, authorization: header };
}

function assertAuthOutcome(res: HttpAnswer, allowed: boolean, what: string): void {
  if (allowed) {
    assert.notEqual(res.status, 401, `${what}: expected to pass auth, got 401 ${res.text}`);
    assert.ok(res.status < 500, `${what}: ${res.status} ${res.text}`);
  } else {
    assert.equal(res.status, 401, `${what}: expected 401, got ${res.status} ${res.text}`);
    assert.equal(typeof res.json<{ error: string }>().error, 'string');
  }
}

describe('auth matrix: every mode x every route x each Authorization header', () => {
  for (const mode of MODES) {
    it(mode.name, async () => {
      const env = mode.name.startsWith('GitHub') ? { ...githubEnv(), ...mode.env } : mode.env;
      await withServer(env, async (server) => {
        for (const secret of mode.secrets) {
          for (const variant of headerVariants(secret)) {
            const effective = variant.carries ? secret : variant.header === undefined ? null : `not:${variant.header}`;
            const what = `${mode.name}, ${variant.label} (${secret})`;
            for (const route of READ_ROUTES) {
              const res = await server.get(route, { headers: headersFor(variant.header) });
              assertAuthOutcome(res, mode.canRead(effective), `${what}: GET ${route}`);
            }
            for (const call of WRITE_ROUTES) {
              const res = await server.get(call.path, {
                method: call.method,
                headers: headersFor(variant.header, call.headers),
                ...(call.body === undefined ? {} : { body: call.body }),
              });
              assertAuthOutcome(res, mode.canWrite(effective), `${what}: ${call.method} ${call.path}`);
            }
            for (const open of ['/', '/health']) {
              assert.equal((await server.get(open, { headers: headersFor(variant.header) })).status, 200, `${what}: ${open}`);
            }
          }
        }
      });
    });
  }
});

describe('auth modes in detail', () => {
  it('GitHub: the user id becomes the publisher id (owner -> 409 nothing to change, non-owner -> 403)', async () => {
    await withServer(githubEnv(), async (server) => {
      const path = `/v1/packages/${enc('pesde/rojo')}/deprecate`;
      const owner = await server.get(path, { method: 'DELETE', headers: { authorization: 'Bearer gho_owner_of_pesde' } });
      assert.equal(owner.status, 409, owner.text);
      const stranger = await server.get(path, { method: 'DELETE', headers: { authorization: 'Bearer gho_someone_else' } });
      assert.equal(stranger.status, 403, stranger.text);
    });
  });

  it('GitHub: a confirmed token is cached, and so is a refused one; the app credentials are sent', async () => {
    await withServer({ ...githubEnv(), READ_NEEDS_AUTH: '1' }, async (server) => {
      const before = github.calls;
      for (let i = 0; i < 5; i++) {
        assert.equal((await server.get('/v1/search', { headers: { authorization: 'gho_someone_else' } })).status, 200);
      }
      assert.equal(github.calls - before, 1);
      for (let i = 0; i < 3; i++) {
        assert.equal((await server.get('/v1/search', { headers: { authorization: 'gho_nobody' } })).status, 401);
      }
      assert.equal(github.calls - before, 2);
      assert.equal(github.badAuthCalls, 0, 'every call carried basic auth, the right path and a user agent');
    });
  });

  it('GitHub: an unreachable API means 503 (try again), not a crash and not "bad token"', async () => {
    await withServer({ GITHUB_CLIENT_SECRET: GITHUB_SECRET, GITHUB_API_URL: 'http://127.0.0.1:9' }, async (server) => {
      const res = await server.get(`/v1/packages/${enc('pesde/rojo')}/deprecate`, { method: 'PUT', body: 'x', headers: { authorization: 'gho_owner_of_pesde' } });
      assert.equal(res.status, 503, res.text);
      assert.deepEqual(res.json(), { error: 'cannot check the token with GitHub right now; try again later' });
    });
  });

  it('takes one auth mode; several at once, or a token set to nothing, are refused', async () => {
    const config = { ...baseConfig, github_oauth_client_id: GITHUB_CLIENT_ID };
    const choose = (env: Record<string, string>) => createAuthenticator(authSettingsFromEnv(env), config, { logger: silentLogger, userAgent: 'test' }).mode;
    const rw = { READ_ACCESS_TOKEN: READ_TOKEN, WRITE_ACCESS_TOKEN: WRITE_TOKEN };
    assert.equal(choose({ ACCESS_TOKEN }), 'token');
    assert.equal(choose({ GITHUB_CLIENT_SECRET: GITHUB_SECRET }), 'github');
    assert.equal(choose(rw), 'rw-token');
    assert.equal(choose({}), 'none');
    assert.throws(() => choose({ ACCESS_TOKEN, GITHUB_CLIENT_SECRET: GITHUB_SECRET, ...rw }), /^RegistryError: ACCESS_TOKEN and GITHUB_CLIENT_SECRET and READ_ACCESS_TOKEN\/WRITE_ACCESS_TOKEN are both set: choose one auth mode/);
    assert.throws(() => choose({ GITHUB_CLIENT_SECRET: GITHUB_SECRET, ...rw }), /GITHUB_CLIENT_SECRET and READ_ACCESS_TOKEN\/WRITE_ACCESS_TOKEN are both set/);
    assert.throws(() => choose({ ACCESS_TOKEN: '' }), /^RegistryError: ACCESS_TOKEN is set but empty: give it a value, or unset it$/);
    assert.throws(() => choose({ ...rw, WRITE_ACCESS_TOKEN: '  ' }), /WRITE_ACCESS_TOKEN is set but empty/);
    // with no shared token, reads that need auth are open to per-user tokens only (the server
    // refuses to start while the token store has none: hardening-net.test.ts)
    const perUserOnly = createAuthenticator(authSettingsFromEnv({ READ_NEEDS_AUTH: '1' }), config, { logger: silentLogger, userAgent: 'test' });
    assert.equal(perUserOnly.mode, 'none');
    assert.equal(await perUserOnly.forRead(undefined), null);
    assert.equal(await perUserOnly.forRead('anything'), null);
    assert.equal(await perUserOnly.forWrite('anything'), null);
  });

  it('refuses to start with a half-configured mode instead of silently allowing everyone', async () => {
    assert.throws(() => createAuthenticator(authSettingsFromEnv({ READ_ACCESS_TOKEN: READ_TOKEN }), baseConfig, { logger: silentLogger, userAgent: 'test' }), /WRITE_ACCESS_TOKEN/);
    // the embedded default index has no github_oauth_client_id
    await assert.rejects(startTestServer({ env: { GITHUB_CLIENT_SECRET: GITHUB_SECRET } }), /github_oauth_client_id/);
  });
});
