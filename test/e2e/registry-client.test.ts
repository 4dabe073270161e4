/**
 * `publish`, `yank`, `unyank`, `deprecate`, `undeprecate` with `--registry`: the real CLI
 * against a real `serve` (file storage, and S3 through s3rver), through a fault proxy that
 * drops connections and answers 5xx/429, with the documented exit codes for every answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, type CliResult } from '../helpers/cli.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { runGit, tempDir } from '../helpers/git.js';
import { enc, startTestServer, type TestServer } from '../helpers/http.js';
import { buildPackage, manifestFor, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const TOKEN = 'registry-client-test-token-3f9a';
let server: TestServer;
let proxy: FaultProxy;
let work: { dir: string; cleanup: () => Promise<void> };
let counter = 0;

async function archiveFile(spec: PackageSpec): Promise<string> {
  const file = path.join(work.dir, `pkg-${++counter}.tar.gz`);
  await writeFile(file, await buildPackage(spec));
  return file;
}

function run(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return cli(args, { env: { PESDE_REGISTRY_TOKEN: undefined, PESDE_REGISTRY_ID_TOKEN: undefined, ...env } });
}

function json(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
}

function assertNoToken(result: CliResult): void {
  assert.ok(!result.stdout.includes(TOKEN) && !result.stderr.includes(TOKEN), 'the token must never be printed');
}

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  work = await tempDir('pesde-registry-client-');
  server = await startTestServer({ env: { ACCESS_TOKEN: TOKEN }, flags: { publishRateLimit: 'off' } });
  proxy = await startFaultProxy(server.url);
});

after(async () => {
  await proxy?.close();
  await server?.dispose();
  await work?.cleanup();
});

describe('publish --registry (file storage)', () => {
  it('publishes an archive with --token, with progress lines, and the server serves it', async () => {
    const file = await archiveFile({ name: 'acme/remote', version: '1.0.0' });
    const result = await run(['publish', file, '--registry', server.url, '--token', TOKEN]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /published acme\/remote@1\.0\.0 luau to http:\/\/127\.0\.0\.1:\d+/);
    assert.match(result.stderr, /Validating the package\.\.\.\nPublishing to http/);
    assertNoToken(result);
    const answer = await server.get(`/v1/packages/${enc('acme/remote')}/1.0.0/luau`);
    assert.equal(answer.status, 200);
  });

  it('packs a folder, takes the token from PESDE_REGISTRY_TOKEN, and --json says what was packed', async () => {
    const dir = path.join(work.dir, 'folder-pkg');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'pesde.toml'), manifestFor({ name: 'acme/folder', version: '0.1.0' }).replace('\n\n[target]', '\nincludes = ["pesde.toml", "src/**"]\n\n[target]'));
    await writeFile(path.join(dir, 'src', 'init.luau'), 'return {}\n');
    const result = await run(['publish', dir, '--registry', server.url, '--json'], { PESDE_REGISTRY_TOKEN: TOKEN });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const data = json(result);
    assert.equal(data.name, 'acme/folder');
    assert.equal(data.attempts, 1);
    assert.equal(data.alreadyPublished, false);
    assert.deepEqual(data.files, ['pesde.toml', 'src/init.luau']);
    assertNoToken(result);
  });

  it('without a token is refused with 401, exit 11, and a hint', async () => {
    const file = await archiveFile({ name: 'acme/remote', version: '1.0.1' });
    const result = await run(['publish', file, '--registry', server.url, '--json']);
    assert.equal(result.code, 11);
    const data = json(result);
    assert.equal(data.code, 'unauthorized');
    assert.match(String(data.error), /\(401\): a token is required to write.*--token/);
  });

  it('with a wrong token is exit 11, and the wrong token is not printed', async () => {
    const file = await archiveFile({ name: 'acme/remote', version: '1.0.1' });
    const wrong = 'wrong-token-value-77';
    const result = await run(['publish', file, '--registry', server.url, '--token', wrong]);
    assert.equal(result.code, 11);
    assert.ok(!result.stderr.includes(wrong) && !result.stdout.includes(wrong));
  });

  it('an already published version is exit 4 (409), alreadyPublished in --json', async () => {
    const file = await archiveFile({ name: 'acme/remote', version: '1.0.0' });
    const result = await run(['publish', file, '--registry', server.url, '--token', TOKEN, '--json']);
    assert.equal(result.code, 4);
    const data = json(result);
    assert.equal(data.alreadyPublished, true);
    assert.match(String(data.error), /already published/);
  });

  it('a package the registry refuses (a git dependency its config forbids) is exit 3 (400)', async () => {
    const file = await archiveFile({ name: 'acme/gitdep', version: '1.0.0', extra: '[dependencies]\nfoo = { repo = "https://github.com/a/b", rev = "main" }\n' });
    const result = await run(['publish', file, '--registry', server.url, '--token', TOKEN]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /\(400\)/);
  });

  it('an archive over max_archive_size is exit 3 (413)', async () => {
    // base64 of random bytes: about 6 bits of entropy a byte, so gzip cannot get it under 4 MiB
    const big = randomBytes(4_500_000).toString('base64');
    const file = await archiveFile({ name: 'acme/big', version: '1.0.0', files: { 'src/big.luau': big } });
    const result = await run(['publish', file, '--registry', server.url, '--token', TOKEN]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /\(413\)/);
  });

  it('a scope owned by someone else is exit 5 (403)', async () => {
    const clone = path.join(work.dir, 'owner-clone');
    await runGit(work.dir, ['clone', '--quiet', path.join(path.dirname(server.index.dir), 'index.git'), clone]);
    await mkdir(path.join(clone, 'taken'), { recursive: true });
    await writeFile(path.join(clone, 'taken', 'scope.toml'), 'owners = [42]\n');
    await runGit(clone, ['add', '--all']);
    await runGit(clone, ['commit', '--quiet', '-m', 'taken scope']);
    await runGit(clone, ['push', '--quiet', 'origin', 'HEAD:main']);
    const file = await archiveFile({ name: 'taken/pkg', version: '1.0.0' });
    const result = await run(['publish', file, '--registry', server.url, '--token', TOKEN]);
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /\(403\)/);
  });

  it('--dry-run validates locally and sends nothing (the registry may be down)', async () => {
    const file = await archiveFile({ name: 'acme/dry', version: '1.0.0' });
    const ok = await run(['publish', file, '--registry', 'http://127.0.0.1:1', '--dry-run', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json(ok).dryRun, true);
    const broken = path.join(work.dir, 'broken.tar.gz');
    await writeFile(broken, 'not a tarball');
    const bad = await run(['publish', broken, '--registry', 'http://127.0.0.1:1', '--dry-run']);
    assert.equal(bad.code, 3);
  });

  it('refuses a registry URL with userinfo without echoing it, and --token with --oidc', async () => {
    const file = await archiveFile({ name: 'acme/dry', version: '1.0.0' });
    const userinfo = await run(['publish', file, '--registry', 'http://bot:hunter2@127.0.0.1:1']);
    assert.equal(userinfo.code, 2);
    assert.ok(!userinfo.stderr.includes('hunter2'));
    const both = await run(['publish', file, '--registry', server.url, '--token', 'x', '--oidc']);
    assert.equal(both.code, 2);
  });
});

describe('publish --registry through faults', () => {
  it('retries after a connection dropped before the registry saw it, and publishes', async () => {
    proxy.plan('drop-before');
    const file = await archiveFile({ name: 'acme/flaky', version: '1.0.0' });
    const result = await run(['publish', file, '--registry', proxy.url, '--token', TOKEN, '--json']);
    assert.equal(result.code, 0, result.stdout);
    assert.deepEqual({ attempts: json(result).attempts, alreadyPublished: json(result).alreadyPublished }, { attempts: 2, alreadyPublished: false });
  });

  it('a publish that landed but whose answer was lost is retried, answered 409, and reported as published', async () => {
    proxy.plan('drop-after');
    const file = await archiveFile({ name: 'acme/flaky', version: '1.1.0' });
    const result = await run(['publish', file, '--registry', proxy.url, '--token', TOKEN, '--json']);
    assert.equal(result.code, 0, result.stdout);
    assert.deepEqual({ attempts: json(result).attempts, alreadyPublished: json(result).alreadyPublished }, { attempts: 2, alreadyPublished: true });
    assert.ok(proxy.seen.some((line) => line.endsWith('/1.1.0/luau/archive')), 'the stored archive is compared');
  });

  it('a 409 to a retry for different bytes (someone else published) stays exit 4', async () => {
    proxy.plan('drop-after');
    await run(['publish', await archiveFile({ name: 'acme/rival', version: '1.0.0', description: 'first' }), '--registry', server.url, '--token', TOKEN]);
    proxy.plan('drop-before');
    const mine = await archiveFile({ name: 'acme/rival', version: '1.0.0', description: 'second' });
    const result = await run(['publish', mine, '--registry', proxy.url, '--token', TOKEN]);
    assert.equal(result.code, 4, result.stderr);
  });

  it('5xx answers are retried with backoff, then exit 12 with the registry\'s error', async () => {
    proxy.plan(...Array.from({ length: 4 }, () => ({ status: 503, body: '{"error":"the index repository failed; try again later"}' })));
    const file = await archiveFile({ name: 'acme/flaky', version: '2.0.0' });
    const result = await run(['publish', file, '--registry', proxy.url, '--token', TOKEN]);
    assert.equal(result.code, 12, result.stderr);
    assert.match(result.stderr, /retrying in .* \(attempt 2\)[\s\S]*attempt 4/);
    assert.match(result.stderr, /failed with 503: the index repository failed; try again later \(4 attempts\)/);
  });

  it('a 5xx then success publishes on the second attempt', async () => {
    proxy.plan({ status: 502, body: 'Bad Gateway' });
    const result = await run(['publish', await archiveFile({ name: 'acme/flaky', version: '2.1.0' }), '--registry', proxy.url, '--token', TOKEN, '--json']);
    assert.equal(result.code, 0, result.stdout);
    assert.equal(json(result).attempts, 2);
  });

  it('429 with a short Retry-After waits and retries; a long one is exit 7 at once', async () => {
    proxy.plan({ status: 429, headers: { 'retry-after': '1' }, body: '{"error":"too many publishes, retry in 1s"}' });
    const ok = await run(['publish', await archiveFile({ name: 'acme/flaky', version: '2.2.0' }), '--registry', proxy.url, '--token', TOKEN, '--json']);
    assert.equal(ok.code, 0, ok.stdout);
    proxy.plan({ status: 429, headers: { 'retry-after': '3600' }, body: '{"error":"too many publishes, retry in 3600s"}' });
    const limited = await run(['publish', await archiveFile({ name: 'acme/flaky', version: '2.3.0' }), '--registry', proxy.url, '--token', TOKEN]);
    assert.equal(limited.code, 7, limited.stderr);
    assert.match(limited.stderr, /retry in 3600s/);
  });

  it('a registry that never answers costs --timeout per attempt, then exit 12', async () => {
    proxy.plan('hang', 'hang', 'hang', 'hang');
    const started = Date.now();
    const result = await run(['publish', await archiveFile({ name: 'acme/flaky', version: '3.0.0' }), '--registry', proxy.url, '--token', TOKEN, '--timeout', '1']);
    assert.equal(result.code, 12, result.stderr);
    assert.match(result.stderr, /no complete answer within 1 s/);
    assert.ok(Date.now() - started < 30_000);
  });

  it('a registry that cannot be reached is exit 12', async () => {
    const result = await run(['publish', await archiveFile({ name: 'acme/flaky', version: '3.0.0' }), '--registry', `http://127.0.0.1:${await closedPort()}`, '--token', TOKEN]);
    assert.equal(result.code, 12, result.stderr);
    assert.match(result.stderr, /ECONNREFUSED/);
  });
});

describe('yank, unyank, deprecate, undeprecate --registry', () => {
  const admin = (args: string[], env: Record<string, string> = { PESDE_REGISTRY_TOKEN: TOKEN }) => run([...args, '--registry', server.url], env);

  it('yanks and unyanks, with 409 (exit 4) when nothing changes', async () => {
    const yank = await admin(['yank', 'acme/remote', '1.0.0', 'luau']);
    assert.equal(yank.code, 0, yank.stderr);
    assert.match(yank.stdout, /yanked acme\/remote@1\.0\.0 luau/);
    const versions = (await server.get(`/v1/packages/${enc('acme/remote')}`)).json<{ versions: Record<string, { targets: Record<string, { yanked?: boolean }> }> }>();
    assert.equal(versions.versions['1.0.0']?.targets.luau?.yanked, true);
    assert.equal((await admin(['yank', 'acme/remote', '1.0.0'])).code, 4);
    assert.equal((await admin(['unyank', 'acme/remote', '1.0.0'])).code, 0);
    assert.equal((await admin(['yank', 'acme/nothing', '1.0.0'])).code, 6);
  });

  it('a yank whose answer was lost is reported as done on the retry', async () => {
    proxy.plan('drop-after');
    const result = await run(['yank', 'acme/remote', '1.0.0', '--registry', proxy.url, '--json'], { PESDE_REGISTRY_TOKEN: TOKEN });
    assert.equal(result.code, 0, result.stdout);
    assert.equal(json(result).alreadyDone, true);
    assert.equal((await admin(['unyank', 'acme/remote', '1.0.0'])).code, 0);
  });

  it('deprecates with a reason and undeprecates', async () => {
    const result = await admin(['deprecate', 'acme/remote', 'use acme/other']);
    assert.equal(result.code, 0, result.stderr);
    const pkg = (await server.get(`/v1/packages/${enc('acme/remote')}`)).json<{ deprecated?: string }>();
    assert.equal(pkg.deprecated, 'use acme/other');
    assert.equal((await admin(['undeprecate', 'acme/remote'])).code, 0);
    assert.equal((await admin(['undeprecate', 'acme/remote'])).code, 4);
  });

  it('without a token is exit 11', async () => {
    assert.equal((await admin(['deprecate', 'acme/remote', 'x'], {})).code, 11);
  });
});

describe('publish --registry with S3 storage (s3rver)', () => {
  let s3: TestS3;
  let s3Server: TestServer;
  let s3Proxy: FaultProxy;
  before(async () => {
    s3 = await startS3();
    const clone = path.join(work.dir, 's3-index');
    await runGit(work.dir, ['clone', '--quiet', path.join(path.dirname(server.index.dir), 'index.git'), clone]);
    s3Server = await startTestServer({ env: { ACCESS_TOKEN: TOKEN, ...s3.env }, flags: { publishRateLimit: 'off', index: clone } });
    s3Proxy = await startFaultProxy(s3Server.url);
  });
  after(async () => {
    await s3Proxy?.close();
    await s3Server?.dispose();
    await s3?.dispose();
  });

  it('publishes, and a retry after a lost answer compares the archive through the S3 redirect', async () => {
    const first = await run(['publish', await archiveFile({ name: 'acme/ons3', version: '1.0.0' }), '--registry', s3Server.url, '--token', TOKEN]);
    assert.equal(first.code, 0, first.stderr);
    s3Proxy.plan('drop-after');
    const retried = await run(['publish', await archiveFile({ name: 'acme/ons3', version: '1.1.0' }), '--registry', s3Proxy.url, '--token', TOKEN, '--json']);
    assert.equal(retried.code, 0, retried.stdout);
    assert.equal(json(retried).alreadyPublished, true);
    const archive = await s3Server.get(`/v1/packages/${enc('acme/ons3')}/1.1.0/luau/archive`, { headers: { authorization: TOKEN } });
    assert.equal(archive.status, 307);
  });
});
