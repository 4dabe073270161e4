/**
 * The token matrix: every kind of credential (per-user read-only, scoped and all-scopes
 * tokens, expired, revoked, wrong and malformed ones, no header, the legacy ACCESS_TOKEN,
 * a GitHub token) against every route (reads with and without READ_NEEDS_AUTH, publish,
 * yank and deprecate in an allowed and a forbidden scope, the web login), beside each
 * official auth mode. Every write that passes really lands, and its commit carries the
 * audit trailer naming who. Tokens and owners are set up with the real CLI; GitHub is a
 * fake on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPackage, writePackage } from '../helpers/package-fixture.js';
import { cli } from '../helpers/cli.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { runGit } from '../helpers/git.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';

const CLIENT_ID = 'Iv1.fakeclient';
const CLIENT_SECRET = 'github-app-secret';
const GITHUB_TOKEN = 'gho_team_member';
const GITHUB_USER = { id: 72147841, login: 'octo' };
const ACCESS_TOKEN = 'shared-access-token';

type KindName = 'read-only' | 'scoped' | 'all-scopes' | 'expired' | 'revoked' | 'wrong' | 'malformed' | 'no header' | 'ACCESS_TOKEN' | 'GitHub';
type RouteName = 'read' | 'publish' | 'yank' | 'deprecate' | 'web login';

interface Kind {
  name: KindName;
  header: () => string | undefined;
  /** the trailer its writes carry, or the error its requests get */
  trailer?: () => string;
  refused?: RegExp;
  signedInAs?: string;
  /** may it write in this scope; a string is the 403 message expected */
  write: (scope: 'acme' | 'other') => true | RegExp;
}

interface Mode {
  name: string;
  env: () => Record<string, string>;
  readNeedsAuth: boolean;
  kinds: KindName[];
}

let setup: IndexSetup;
let github: FakeGitHub;
const tokens = new Map<string, { token: string; id: string }>();

const USER_KINDS: KindName[] = ['read-only', 'scoped', 'all-scopes', 'expired', 'revoked', 'wrong', 'malformed', 'no header'];
const MODES: Mode[] = [
  { name: 'ACCESS_TOKEN', env: () => ({ ACCESS_TOKEN }), readNeedsAuth: false, kinds: [...USER_KINDS, 'ACCESS_TOKEN'] },
  { name: 'ACCESS_TOKEN + READ_NEEDS_AUTH', env: () => ({ ACCESS_TOKEN, READ_NEEDS_AUTH: '1' }), readNeedsAuth: true, kinds: [...USER_KINDS, 'ACCESS_TOKEN'] },
  { name: 'GitHub', env: () => ({ GITHUB_CLIENT_SECRET: CLIENT_SECRET, GITHUB_API_URL: github.url }), readNeedsAuth: false, kinds: [...USER_KINDS, 'GitHub'] },
  { name: 'GitHub + READ_NEEDS_AUTH', env: () => ({ GITHUB_CLIENT_SECRET: CLIENT_SECRET, GITHUB_API_URL: github.url, READ_NEEDS_AUTH: '1' }), readNeedsAuth: true, kinds: [...USER_KINDS, 'GitHub'] },
  { name: 'no auth variables + READ_NEEDS_AUTH', env: () => ({ READ_NEEDS_AUTH: '1' }), readNeedsAuth: true, kinds: USER_KINDS },
];

const token = (user: string) => tokens.get(user)!.token;
const userTrailer = (user: string, id: number) => () => `${user} (id ${id}, token ${tokens.get(user)!.id})`;

const KINDS: Record<KindName, Kind> = {
  'read-only': { name: 'read-only', header: () => `Bearer ${token('dave')}`, signedInAs: 'dave', write: () => /token t[0-9a-f]{12} is read-only/ },
  scoped: { name: 'scoped', header: () => `Bearer ${token('carol')}`, signedInAs: 'carol', trailer: userTrailer('carol', 3), write: (s) => (s === 'acme' ? true : /token t[0-9a-f]{12} may not write to scope "other" \(its scopes: acme\)/) },
  'all-scopes': { name: 'all-scopes', header: () => token('alice'), signedInAs: 'alice', trailer: userTrailer('alice', 1), write: () => true },
  expired: { name: 'expired', header: () => `Bearer ${token('erin')}`, refused: /^the token has expired$/, write: () => true },
  revoked: { name: 'revoked', header: () => `Bearer ${token('frank')}`, refused: /^the token has been revoked$/, write: () => true },
  wrong: { name: 'wrong', header: () => `Bearer ${token('alice').slice(0, -4)}AAAA`, refused: /^the token is unknown to this registry$/, write: () => true },
  malformed: { name: 'malformed', header: () => 'Bearer pesde_t3f9a_short', refused: /^the token is malformed/, write: () => true },
  'no header': { name: 'no header', header: () => undefined, refused: /^a token is required to (read from|write to) this registry$/, write: () => true },
  ACCESS_TOKEN: { name: 'ACCESS_TOKEN', header: () => ACCESS_TOKEN, signedInAs: 'ACCESS_TOKEN', trailer: () => 'ACCESS_TOKEN (id 0, via legacy)', write: (s) => (s === 'acme' ? true : /publisher 0 is not an owner of scope "other"/) },
  GitHub: { name: 'GitHub', header: () => `Bearer ${GITHUB_TOKEN}`, signedInAs: `GitHub user ${GITHUB_USER.id}`, trailer: () => `GitHub user ${GITHUB_USER.id} (id ${GITHUB_USER.id}, via github)`, write: (s) => (s === 'acme' ? true : /publisher 72147841 is not an owner of scope "other"/) },
};

const TRAILER_KEY: Record<'publish' | 'yank' | 'deprecate', string> = { publish: 'Published-by', yank: 'Yanked-by', deprecate: 'Deprecated-by' };
/** seed versions for the yanks that land (one each), per scope: every mode's passing kinds */
const SEED_VERSIONS = { acme: 14, other: 5 };
const nextSeed: Record<string, number> = { acme: 0, other: 0 };
let counter = 0;

async function run(args: string[]): Promise<void> {
  const result = await cli(args, { cwd: setup.clone, env: { FS_STORAGE_ROOT: setup.storage } });
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
  if (args[0] === 'token' && args[1] === 'create') {
    const created = JSON.parse(result.stdout) as { token: string; id: string; user: string };
    tokens.set(created.user, created);
  }
}

before(async () => {
  github = await startFakeGitHub(CLIENT_ID, CLIENT_SECRET, { [GITHUB_TOKEN]: GITHUB_USER });
  setup = await setupIndex({ prefix: 'pesde-token-matrix-', initArgs: ['--github-oauth-client-id', CLIENT_ID] });
  await run(['token', 'create', '--user', 'alice', '--json']);
  await run(['token', 'create', '--user', 'carol', '--id', '3', '--scopes', 'acme', '--json']);
  await run(['token', 'create', '--user', 'dave', '--id', '4', '--read-only', '--json']);
  await run(['token', 'create', '--user', 'erin', '--id', '5', '--expires', '30m', '--json']);
  await run(['token', 'create', '--user', 'frank', '--id', '6', '--json']);
  await run(['token', 'revoke', tokens.get('frank')!.id]);
  // expiry is a stored time: move erin's into the past, as if 30 minutes had gone by
  const erinFile = path.join(setup.storage, '_tokens', `${tokens.get('erin')!.id}.json`);
  const erin = JSON.parse(await readFile(erinFile, 'utf8')) as { expiresAt: string };
  await writeFile(erinFile, JSON.stringify({ ...erin, expiresAt: new Date(Date.now() - 1000).toISOString() }));

  for (const owner of ['alice', '0', '3', '4', String(GITHUB_USER.id)]) await run(['owner', 'add', 'acme', owner]);
  for (const owner of ['1', '3', '4']) await run(['owner', 'add', 'other', owner]);
  for (const scope of ['acme', 'other']) {
    for (let v = 0; v < SEED_VERSIONS[scope as 'acme' | 'other']; v++) {
      const file = await writePackage(setup.root, `${scope}-seed-${v}.tar.gz`, { name: `${scope}/seed`, version: `0.1.${v}` });
      await run(['publish', file, '--owner', '1']);
    }
  }
});

after(async () => {
  await github?.close();
  await setup?.cleanup();
});

async function lastTrailers(): Promise<string> {
  return (await runGit(setup.remote, ['log', '-1', '--format=%(trailers:only,unfold)', 'main'])).trim();
}

function assertRefused(res: HttpAnswer, kind: Kind, what: string): void {
  assert.equal(res.status, 401, `${what}: ${res.status} ${res.text}`);
  const { error } = res.json<{ error: string }>();
  assert.match(error, kind.refused!, what);
  for (const user of ['alice', 'carol', 'dave', 'erin', 'frank']) assert.ok(!error.includes(user), `${what}: the answer names a user`);
}

async function write(server: TestServer, route: 'publish' | 'yank' | 'deprecate', scope: 'acme' | 'other', kind: Kind): Promise<void> {
  const header = kind.header();
  const expected = kind.refused === undefined ? kind.write(scope) : kind.refused;
  const n = ++counter;
  const passes = kind.refused === undefined && expected === true;
  const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
  let res: HttpAnswer;
  if (route === 'publish') {
    res = await server.get('/v1/packages', { method: 'POST', headers, body: await buildPackage({ name: `${scope}/pub_${n}`, version: '1.0.0' }) });
  } else if (route === 'yank') {
    // a refused yank never reaches the version, so any one will do
    const seed = passes ? (nextSeed[scope] = (nextSeed[scope] ?? 0) + 1) - 1 : 0;
    assert.ok(seed < SEED_VERSIONS[scope], 'the test needs more seed versions');
    const version = `0.1.${seed}`;
    res = await server.get(`/v1/packages/${enc(`${scope}/seed`)}/${version}/luau/yank`, { method: 'PUT', headers });
  } else {
    res = await server.get(`/v1/packages/${enc(`${scope}/seed`)}/deprecate`, { method: 'PUT', headers, body: `use ${scope}/pub_${n} instead` });
  }
  const what = `${kind.name} ${route} in ${scope}`;
  if (kind.refused !== undefined) return assertRefused(res, kind, what);
  if (expected !== true) {
    assert.equal(res.status, 403, `${what}: ${res.status} ${res.text}`);
    assert.match(res.json<{ error: string }>().error, expected, what);
    return;
  }
  assert.equal(res.status, 200, `${what}: ${res.status} ${res.text}`);
  assert.equal(await lastTrailers(), `${TRAILER_KEY[route]}: ${kind.trailer!()}`, `${what}: the audit trailer`);
}

async function read(server: TestServer, mode: Mode, kind: Kind): Promise<void> {
  const header = kind.header();
  const res = await server.get(`/v1/packages/${enc('acme/seed')}`, { headers: header === undefined ? {} : { authorization: header } });
  if (mode.readNeedsAuth && kind.refused !== undefined) return assertRefused(res, kind, `${kind.name} read`);
  assert.equal(res.status, 200, `${kind.name} read: ${res.status} ${res.text}`);
}

async function webLogin(server: TestServer, kind: Kind): Promise<void> {
  const header = kind.header();
  const raw = header?.replace(/^Bearer /, '') ?? '';
  const res = await server.get('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ token: raw, next: '/packages/acme/seed' }).toString(),
  });
  if (kind.refused !== undefined) {
    assert.equal(res.status, 401, `${kind.name} login: ${res.status}`);
    assert.match(res.text, /does not give read access/);
    assert.equal(res.headers['set-cookie'], undefined);
    return;
  }
  assert.equal(res.status, 303, `${kind.name} login: ${res.status} ${res.text.slice(0, 200)}`);
  const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
  const page = await server.get('/packages/acme/seed', { headers: { accept: 'text/html', cookie } });
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(`Signed in as ${kind.signedInAs}`), `${kind.name}: the page says who is signed in`);
}

for (const mode of MODES) {
  describe(`per-user tokens beside ${mode.name}`, () => {
    let server: TestServer;
    before(async () => {
      const clone = await setup.cloneAnother(`server-${mode.name.replace(/\W+/g, '-')}`);
      server = await startTestServer({ flags: { index: clone, storageRoot: setup.storage, publishRateLimit: 'off' }, env: mode.env() });
    });
    after(() => server?.dispose());

    for (const kindName of mode.kinds) {
      const kind = KINDS[kindName];
      const routes: Array<[RouteName, 'acme' | 'other' | null]> = [
        ['read', null],
        ...(['publish', 'yank', 'deprecate'] as const).flatMap((r) => [[r, 'acme'], [r, 'other']] as Array<[RouteName, 'acme' | 'other']>),
        ...(mode.readNeedsAuth ? [['web login', null] as [RouteName, null]] : []),
      ];
      for (const [route, scope] of routes) {
        it(`${kind.name} x ${route}${scope === null ? '' : ` in ${scope}`}${route === 'read' ? (mode.readNeedsAuth ? ' (READ_NEEDS_AUTH)' : ' (open reads)') : ''}`, async () => {
          if (route === 'read') return read(server, mode, kind);
          if (route === 'web login') return webLogin(server, kind);
          return write(server, route, scope!, kind);
        });
      }
    }
  });
}
