/**
 * Trusted publishing end to end: a real `serve` (embedded index, file storage), a fake OIDC
 * issuer and a fake GitHub Actions token endpoint on 127.0.0.1, trust rules made with the
 * real CLI, and publishes by the real CLI (--id-token-file, PESDE_REGISTRY_ID_TOKEN,
 * --oidc), by the pesde client's request, and by the GitHub Action's script. Every refused
 * token is a 401/403 with `{"error"}`; the index commit's trailers say which run published.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, ROOT, type CliResult } from '../helpers/cli.js';
import { startFakeActionsTokenEndpoint, startFakeIssuer, type FakeIssuer } from '../helpers/fake-oidc-issuer.js';
import { GIT_TEST_ENV, runGit, tempDir } from '../helpers/git.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';
import { buildPackage, manifestFor, type PackageSpec } from '../helpers/package-fixture.js';

const ACCESS_TOKEN = 'shared-access-token-for-trust-tests';
let server: TestServer;
let issuer: FakeIssuer;
let work: { dir: string; cleanup: () => Promise<void> };
let storageRoot: string;
let bare: string;
let counter = 0;

const env = () => ({ OIDC_ALLOW_INSECURE_ISSUERS: '1', FS_STORAGE_ROOT: storageRoot, PESDE_REGISTRY_TOKEN: undefined, PESDE_REGISTRY_ID_TOKEN: undefined });
const run = (args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> => cli(args, { env: { ...env(), ...extra } });

async function archiveFile(spec: PackageSpec): Promise<string> {
  const file = path.join(work.dir, `pkg-${++counter}.tar.gz`);
  await writeFile(file, await buildPackage(spec));
  return file;
}

function postArchive(body: Buffer, authorization: string | undefined): Promise<HttpAnswer> {
  return server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', ...(authorization === undefined ? {} : { authorization }) } });
}

/** A yank of a package that does not exist: 404 once the token is accepted, 401/403 while not. */
function probe(token: string): Promise<HttpAnswer> {
  return server.get(`/v1/packages/${enc('acme/nothing')}/1.0.0/all/yank`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function addRule(args: string[]): Promise<string> {
  const result = await run(['trust', 'add', '--issuer', issuer.url, '--as', 'ci-bot', '--json', ...args]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return (JSON.parse(result.stdout) as { rule: { id: string } }).rule.id;
}

async function removeRule(id: string): Promise<void> {
  const result = await run(['trust', 'remove', id]);
  assert.equal(result.code, 0, result.stderr);
}

before(async () => {
  work = await tempDir('pesde-trusted-');
  server = await startTestServer({
    env: { ACCESS_TOKEN, OIDC_ALLOW_INSECURE_ISSUERS: '1' },
    flags: { publishRateLimit: 'off', refreshInterval: 1 },
    tweak: (o) => (o.trustedPublishing.refetchCooldownMs = 0),
  });
  const dataDir = path.dirname(server.index.dir);
  storageRoot = path.join(dataDir, 'storage');
  bare = path.join(dataDir, 'index.git');
  issuer = await startFakeIssuer({ audience: server.url });
  // users come from the token store: one token (revoked at once) makes "ci-bot"
  const created = await run(['token', 'create', '--user', 'ci-bot', '--json']);
  assert.equal(created.code, 0, created.stderr + created.stdout);
  const { id } = JSON.parse(created.stdout) as { id: string };
  assert.equal((await run(['token', 'revoke', id])).code, 0);
  await addRule(['--repository', 'acme/tools', '--ref', 'refs/tags/v*', '--workflow', 'publish.yml', '--environment', 'release', '--scopes', 'acme']);
  const token = await issuer.sign();
  await waitFor(async () => (await probe(token)).status === 404, 'the server to load the trust rule');
});

after(async () => {
  await server?.dispose();
  await issuer?.close();
  await work?.cleanup();
});

describe('trust rules with the CLI', () => {
  it('lists rules, and refuses an http issuer without OIDC_ALLOW_INSECURE_ISSUERS and an unknown user', async () => {
    const list = await run(['trust', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /r[0-9a-f]{12} {2}ID tokens from http:\/\/127\.0\.0\.1:\d+ with repository acme\/tools, ref refs\/tags\/v\*, workflow publish\.yml, environment release publish as ci-bot \(id 1\) into acme/);
    const insecure = await run(['trust', 'add', '--issuer', issuer.url, '--repository', 'a/b', '--scopes', 'acme', '--as', 'ci-bot'], { OIDC_ALLOW_INSECURE_ISSUERS: undefined });
    assert.equal(insecure.code, 2);
    assert.match(insecure.stderr, /OIDC_ALLOW_INSECURE_ISSUERS=1/);
    const nobody = await run(['trust', 'add', '--issuer', issuer.url, '--repository', 'a/b', '--scopes', 'acme', '--as', 'nobody']);
    assert.equal(nobody.code, 6);
    assert.equal((await run(['trust', 'add', '--issuer', 'https://x.invalid', '--repository', 'a/b', '--as', 'ci-bot'])).code, 2, 'scopes are required');
    assert.equal((await run(['trust', 'remove', 'r000000000000'])).code, 6);
  });
});

describe('publishing with an ID token', () => {
  it('publish --registry --id-token-file publishes, and the commit names issuer, repository, ref and run id', async () => {
    const tokenFile = path.join(work.dir, 'id-token');
    await writeFile(tokenFile, `${await issuer.sign()}\n`);
    const result = await run(['publish', await archiveFile({ name: 'acme/trusted', version: '1.0.0' }), '--registry', server.url, '--id-token-file', tokenFile]);
    assert.equal(result.code, 0, result.stderr);
    const message = await runGit(bare, ['log', '-1', '--format=%B', 'main']);
    assert.match(message, /^add acme\/trusted@1\.0\.0 luau\n\nPublished-by: ci-bot \(id 1, via oidc\)\nOIDC-Issuer: http:\/\/127\.0\.0\.1:\d+\nOIDC-Repository: acme\/tools\nOIDC-Ref: refs\/tags\/v1\.0\.0\nOIDC-Run-Id: 4242\nTrust-Rule: r[0-9a-f]{12}/);
  });

  it('takes the ID token from PESDE_REGISTRY_ID_TOKEN, and yanks with it', async () => {
    const token = await issuer.sign();
    const published = await run(['publish', await archiveFile({ name: 'acme/trusted', version: '1.1.0' }), '--registry', server.url], { PESDE_REGISTRY_ID_TOKEN: token });
    assert.equal(published.code, 0, published.stderr);
    assert.ok(!published.stderr.includes(token) && !published.stdout.includes(token));
    const yanked = await run(['yank', 'acme/trusted', '1.1.0', '--registry', server.url], { PESDE_REGISTRY_ID_TOKEN: token });
    assert.equal(yanked.code, 0, yanked.stderr);
  });

  it('publish --oidc asks the Actions token endpoint for the registry URL as audience', async () => {
    const endpoint = await startFakeActionsTokenEndpoint(issuer, 'runner-request-token');
    try {
      const result = await run(['publish', await archiveFile({ name: 'acme/trusted', version: '1.2.0' }), '--registry', server.url, '--oidc', '--json'], {
        ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
      });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.deepEqual(endpoint.audiences, [server.url]);
      const missing = await run(['publish', await archiveFile({ name: 'acme/trusted', version: '1.3.0' }), '--registry', server.url, '--oidc']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /id-token: write/);
    } finally {
      await endpoint.close();
    }
  });

  it('the pesde client\'s request (Authorization: Bearer <ID token> from `pesde auth login --token`) publishes', async () => {
    const token = await issuer.sign();
    const bearer = await postArchive(await buildPackage({ name: 'acme/trusted', version: '1.4.0' }), `Bearer ${token}`);
    assert.equal(bearer.status, 200, bearer.text);
    assert.equal(bearer.text, 'published acme/trusted@1.4.0 luau');
    const bare = await postArchive(await buildPackage({ name: 'acme/trusted', version: '1.5.0' }), token);
    assert.equal(bare.status, 200, bare.text);
  });

  it('shared and per-user tokens keep working beside trusted publishing', async () => {
    const res = await postArchive(await buildPackage({ name: 'other/shared', version: '1.0.0' }), ACCESS_TOKEN);
    assert.equal(res.status, 200, res.text);
  });

  it('the GitHub Action\'s script publishes with the fake endpoints and writes its output', async () => {
    const endpoint = await startFakeActionsTokenEndpoint(issuer, 'runner-request-token');
    const pkg = path.join(work.dir, 'action-pkg');
    await mkdir(path.join(pkg, 'src'), { recursive: true });
    await writeFile(path.join(pkg, 'pesde.toml'), manifestFor({ name: 'acme/viaaction', version: '1.0.0' }).replace('\n\n[target]', '\nincludes = ["pesde.toml", "src/**"]\n\n[target]'));
    await writeFile(path.join(pkg, 'src', 'init.luau'), 'return {}\n');
    const outputFile = path.join(work.dir, 'github-output');
    try {
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile('bash', [path.join(ROOT, 'action', 'publish.sh')], {
          cwd: pkg,
          env: { ...process.env, ...GIT_TEST_ENV, CI: 'true', GITHUB_ACTION_PATH: ROOT, GITHUB_OUTPUT: outputFile, INPUT_REGISTRY: server.url, INPUT_PATH: '.', INPUT_AUDIENCE: '', ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' },
        }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }));
      });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const { readFile } = await import('node:fs/promises');
      const output = await readFile(outputFile, 'utf8');
      assert.match(output, /^result=\{"name":"acme\/viaaction","version":"1\.0\.0","target":"luau"/);
    } finally {
      await endpoint.close();
    }
  });
});

describe('ID tokens that are refused', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const cases: Array<{ name: string; token: () => Promise<string>; status: number; error: RegExp }> = [
    { name: 'expired', token: () => issuer.sign({ iat: now() - 900, nbf: now() - 900, exp: now() - 600 }), status: 401, error: /expired/ },
    { name: 'not yet valid', token: () => issuer.sign({ nbf: now() + 900 }), status: 401, error: /not valid yet/ },
    { name: 'for another audience', token: () => issuer.sign({ aud: 'https://another.invalid' }), status: 401, error: /another audience/ },
    { name: 'from an issuer no rule names', token: () => issuer.sign({ iss: 'https://token.actions.githubusercontent.com' }), status: 401, error: /not trusted/ },
    { name: 'unsigned (alg none)', token: async () => `${b64({ alg: 'none' })}.${b64({ iss: issuer.url, aud: server.url, exp: now() + 60, iat: now(), repository: 'acme/tools' })}.`, status: 401, error: /"none" is not accepted/ },
    { name: 're-signed with another key', token: async () => issuer.sign({}, { key: await issuer.foreignKey() }), status: 401, error: /signature/ },
    { name: 'huge', token: async () => `eyJ${'A'.repeat(12_000)}.eyJ.x`, status: 401, error: /accepted/ },
    { name: 'malformed', token: async () => 'eyJ!!.??.x', status: 401, error: /not valid|well-formed/ },
    { name: 'from another repository', token: () => issuer.sign({ repository: 'evil/tools' }), status: 403, error: /no trust rule matches this ID token \(claims seen: issuer "http:\/\/127\.0\.0\.1:\d+", repository "evil\/tools", ref "refs\/tags\/v1\.0\.0", workflow "\.github\/workflows\/publish\.yml", environment "release"\)/ },
    { name: 'from a branch instead of a tag', token: () => issuer.sign({ ref: 'refs/heads/main' }), status: 403, error: /ref "refs\/heads\/main"/ },
    { name: 'from another workflow', token: () => issuer.sign({ workflow_ref: 'acme/tools/.github/workflows/other.yml@refs/tags/v1.0.0' }), status: 403, error: /workflow "\.github\/workflows\/other\.yml"/ },
    { name: 'without the environment', token: () => issuer.sign({ environment: undefined }), status: 403, error: /environment none/ },
  ];
  for (const { name, token, status, error } of cases) {
    it(`${name}: ${status}, nothing published`, async () => {
      const value = await token();
      const tip = await runGit(bare, ['rev-parse', 'main']);
      const res = await postArchive(await buildPackage({ name: 'acme/refused', version: '1.0.0' }), `Bearer ${value}`);
      assert.equal(res.status, status, res.text);
      assert.match(res.json<{ error: string }>().error, error);
      assert.ok(!res.text.includes(value.slice(0, 40)), 'the token is not echoed');
      assert.equal(await runGit(bare, ['rev-parse', 'main']), tip);
    });
  }

  it('a package outside the rule\'s scopes is 403', async () => {
    const res = await postArchive(await buildPackage({ name: 'other/outside', version: '1.0.0' }), `Bearer ${await issuer.sign()}`);
    assert.equal(res.status, 403, res.text);
    assert.match(res.json<{ error: string }>().error, /may not write to scope "other"/);
  });

  it('the CLI maps a refused ID token to exit 11 (401) and 5 (403)', async () => {
    const expired = await run(['publish', await archiveFile({ name: 'acme/refused', version: '1.0.0' }), '--registry', server.url], { PESDE_REGISTRY_ID_TOKEN: await issuer.sign({ exp: now() - 600, iat: now() - 900, nbf: now() - 900 }) });
    assert.equal(expired.code, 11, expired.stderr);
    const mismatch = await run(['publish', await archiveFile({ name: 'acme/refused', version: '1.0.0' }), '--registry', server.url], { PESDE_REGISTRY_ID_TOKEN: await issuer.sign({ repository: 'evil/tools' }) });
    assert.equal(mismatch.code, 5, mismatch.stderr);
  });

  it('a key set that answers garbage accepts nothing (503, the CLI retries then exits 12)', async () => {
    await issuer.rotate();
    issuer.jwksMode = 'garbage';
    try {
      const res = await postArchive(await buildPackage({ name: 'acme/refused', version: '1.0.0' }), `Bearer ${await issuer.sign()}`);
      assert.equal(res.status, 503, res.text);
      assert.match(res.json<{ error: string }>().error, /cannot check the ID token now/);
    } finally {
      issuer.jwksMode = 'ok';
    }
    await sleep(5_100); // past the remembered failure
    const rotated = await postArchive(await buildPackage({ name: 'acme/rotated', version: '1.0.0' }), `Bearer ${await issuer.sign()}`);
    assert.equal(rotated.status, 200, rotated.text);
  });

  it('rules by ref pattern alone, and removing a rule stops its tokens', async () => {
    const id = await addRule(['--repository', 'acme/branchy', '--ref', 'refs/heads/release-*', '--scopes', 'acme']);
    const good = await issuer.sign({ repository: 'acme/branchy', ref: 'refs/heads/release-2', environment: undefined, workflow_ref: undefined });
    await waitFor(async () => (await probe(good)).status === 404, 'the new rule');
    assert.equal((await probe(await issuer.sign({ repository: 'acme/branchy', ref: 'refs/heads/main' }))).status, 403);
    await removeRule(id);
    await waitFor(async () => (await probe(good)).status === 403, 'the rule to be gone');
  });
});
