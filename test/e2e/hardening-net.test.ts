/**
 * `serve` against remotes that misbehave, as real processes: an origin that accepts and
 * never answers costs a bounded wait (the local clone is served at once, writes answer 503
 * and release the lock, /health says so, SIGTERM stops at once); a redirect never carries
 * credentials to another host; no secret appears in any output; auth that cannot be
 * enforced refuses to start; a package folder linking to a file outside is refused.
 */
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, type CliResult } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { startRedirectingRemote, startSilentRemote, spawnServe, type ServeProcess, type SilentRemote } from '../helpers/hostile-remotes.js';
import { http } from '../helpers/http.js';
import { setupIndex, worldState, type IndexSetup } from '../helpers/index-setup.js';
import { writePackage } from '../helpers/package-fixture.js';

const ACCESS_TOKEN = 'access-token-5d1f8e';
const GIT_PASSWORD = 'git-password-93ab20';
const URL_PASSWORD = 'url-password-c41e77';
const SECRETS = [ACCESS_TOKEN, GIT_PASSWORD, URL_PASSWORD];

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where} shows a secret:\n${text}`);
}

/** stderr of a failed CLI run: exactly one `error:` line besides step lines */
function errorLine(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((l) => l !== '' && !/^[A-Z][a-z]+( \S+)*\.\.\.$/.test(l));
  assert.equal(lines.length, 1, `expected one error line, got:\n${result.stderr}`);
  return lines[0]!;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await run();
  return { value, ms: Date.now() - started };
}

async function stop(serve: ServeProcess): Promise<void> {
  if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
  await serve.exited;
}

let setup: IndexSetup;
let silent: SilentRemote;

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-hardening-net-' });
  silent = await startSilentRemote();
});
after(async () => {
  await silent?.close();
  await setup?.cleanup();
});

describe('an origin that accepts connections and never answers', () => {
  let clone: string;
  let serve: ServeProcess;
  let base: string;
  let hangingUrl: string;

  before(async () => {
    clone = await setup.cloneAnother('served-clone');
    hangingUrl = `http://bot:${URL_PASSWORD}@127.0.0.1:${silent.port}/idx.git`;
    await runGit(clone, ['remote', 'set-url', 'origin', hangingUrl]);
    serve = spawnServe(
      ['--index', clone, '--storage-root', path.join(setup.root, 'served-storage'), '--refresh-interval', '0', '--git-connect-timeout', '1', '--git-timeout', '4'],
      { ACCESS_TOKEN, GIT_USERNAME: 'bot', GIT_PASSWORD },
    );
    base = await serve.url;
  });
  after(() => stop(serve));

  it('serves the local clone at once, and /health turns degraded, naming the remote without its password', async () => {
    const search = await http(base, '/v1/search', { timeoutMs: 2000 });
    assert.equal(search.status, 200, search.text);
    let health: { status: string; refreshError: string | null; staleSeconds: number } | undefined;
    for (let i = 0; i < 100 && health?.status !== 'degraded'; i++) {
      health = (await http(base, '/health')).json();
      if (health?.status !== 'degraded') await sleep(100);
    }
    assert.equal(health?.status, 'degraded', JSON.stringify(health));
    assert.match(health!.refreshError ?? '', new RegExp(`^cannot fetch the index from http://\\*\\*\\*@127\\.0\\.0\\.1:${silent.port}/idx\\.git: `));
    assert.equal(typeof health!.staleSeconds, 'number');
  });

  it('a write answers 503 naming the remote within the deadline; the next one fails fast instead of queueing', async () => {
    const before = await worldState(setup.remote, [clone], async () => []);
    const headers = { authorization: `Bearer ${ACCESS_TOKEN}` };
    const first = await timed(() => http(base, `/v1/packages/${encodeURIComponent('acme/x')}/deprecate`, { method: 'PUT', body: 'old', headers, timeoutMs: 20_000 }));
    assert.equal(first.value.status, 503, first.value.text);
    assert.deepEqual(first.value.json(), { error: `cannot reach the index remote http://***@127.0.0.1:${silent.port}/idx.git; try again later` });
    assert.equal(first.value.headers['retry-after'], '30');
    assert.ok(first.ms < 10_000, `the write took ${first.ms} ms`);
    const second = await timed(() => http(base, `/v1/packages/${encodeURIComponent('acme/y')}/deprecate`, { method: 'DELETE', headers, timeoutMs: 20_000 }));
    assert.equal(second.value.status, 503, second.value.text);
    assert.ok(second.ms < 6_000, `the second write took ${second.ms} ms`);
    assert.deepEqual(await worldState(setup.remote, [clone], async () => []), before);
  });

  it('/health?max-stale answers 503 once the index is older than that', async () => {
    await sleep(2100);
    const stale = await http(base, '/health?max-stale=1');
    assert.equal(stale.status, 503, stale.text);
    assert.equal((await http(base, '/health?max-stale=3600')).status, 200);
    assert.equal((await http(base, '/health?max-stale=soon')).status, 400);
  });

  it('no secret in the banner, the logs or any answer', async () => {
    const answers = [await http(base, '/health'), await http(base, '/v1/packages/acme%2Fnope/deprecate', { method: 'PUT', body: 'x', headers: { authorization: 'wrong' } })];
    for (const answer of answers) assertNoSecret(answer.text, `${answer.status} answer`);
    assertNoSecret(serve.output(), 'serve output');
    assert.match(serve.output(), new RegExp(`origin http://\\*\\*\\*@127\\.0\\.0\\.1:${silent.port}/idx\\.git`));
  });
});

describe('stopping', () => {
  it('SIGTERM stops serve within a few seconds while git waits on the remote for a write', async () => {
    const clone = await setup.cloneAnother('stopped-clone');
    await runGit(clone, ['remote', 'set-url', 'origin', `http://127.0.0.1:${silent.port}/idx.git`]);
    const serve = spawnServe(['--index', clone, '--storage-root', path.join(setup.root, 'stopped-storage'), '--refresh-interval', '0', '--git-connect-timeout', '60', '--git-timeout', '120'], {});
    try {
      const base = await serve.url;
      const write = http(base, `/v1/packages/${encodeURIComponent('acme/x')}/deprecate`, { method: 'DELETE', timeoutMs: 30_000 });
      await sleep(500);
      const stopped = await timed(async () => {
        serve.child.kill('SIGTERM');
        return serve.exited;
      });
      assert.equal(stopped.value, 0, serve.output());
      assert.ok(stopped.ms < 5_000, `exit took ${stopped.ms} ms`);
      const answer = await write;
      assert.equal(answer.status, 503, answer.text);
      assert.deepEqual(answer.json(), { error: `cannot reach the index remote http://127.0.0.1:${silent.port}/idx.git; try again later` });
      // the git processes went with it: the remote sees every connection closed
      await silent.allClosed(3_000);
    } finally {
      await stop(serve);
    }
  });
});

describe('git deadlines in the CLI', () => {
  it('git:// that never answers: publish gives up after GIT_TIMEOUT with exit 9 and one line, and leaves no git behind', async () => {
    const clone = await setup.cloneAnother('git-protocol-clone');
    await runGit(clone, ['remote', 'set-url', 'origin', `git://127.0.0.1:${silent.port}/idx.git`]);
    const file = await writePackage(setup.root, 'deadline.tar.gz', { name: 'acme/deadline', version: '1.0.0' });
    const result = await timed(() => cli(['publish', file, '--index', clone, '--storage-root', path.join(setup.root, 'deadline-storage')], { env: { GIT_TIMEOUT: '2' } }));
    assert.equal(result.value.code, 9, result.value.stderr);
    assert.equal(errorLine(result.value), `error: cannot fetch the index from git://127.0.0.1:${silent.port}/idx.git: no answer within 2 s (GIT_TIMEOUT)`);
    assert.ok(result.ms < 10_000, `publish took ${result.ms} ms`);
    await silent.allClosed(3_000);
  });

  it('--json errors carry the remote without its password', async () => {
    const clone = await setup.cloneAnother('json-clone');
    await runGit(clone, ['remote', 'set-url', 'origin', `http://bot:${URL_PASSWORD}@127.0.0.1:${silent.port}/idx.git`]);
    const file = await writePackage(setup.root, 'json.tar.gz', { name: 'acme/json', version: '1.0.0' });
    const result = await cli(['publish', file, '--index', clone, '--storage-root', path.join(setup.root, 'json-storage'), '--json'], { env: { GIT_CONNECT_TIMEOUT: '1', GIT_PASSWORD } });
    assert.equal(result.code, 9, result.stderr);
    const out = JSON.parse(result.stdout) as { error: string; code: string; remote: string };
    assert.equal(out.code, 'remote_unavailable');
    assert.equal(out.remote, `http://***@127.0.0.1:${silent.port}/idx.git`);
    assert.match(out.error, /^cannot fetch the index from http:\/\/\*\*\*@127\.0\.0\.1:\d+\/idx\.git: .*Operation too slow/);
    assertNoSecret(result.stdout + result.stderr, 'publish --json');
  });

  it('bad deadline values are refused with exit 2', async () => {
    const result = await cli(['serve', '--index', setup.clone, '--storage-root', setup.storage, '--git-timeout', 'soon']);
    assert.equal(result.code, 2);
    assert.equal(errorLine(result), 'error: --git-timeout (GIT_TIMEOUT): "soon" is not a number of seconds above 0');
  });
});

describe('credentials and redirects', () => {
  it('a 302 from the origin to another port gets no credentials there (GIT_USERNAME/GIT_PASSWORD or in the URL)', async () => {
    const remote = await startRedirectingRemote();
    try {
      for (const url of [remote.url, remote.url.replace('http://', `http://bot:${URL_PASSWORD}@`)]) {
        const result = await cli(['serve', '--port', '0', '--data-dir', path.join(setup.root, `redirect-${url.length}`), '--storage-root', setup.storage, '--json'], {
          env: { INDEX_REPO_URL: url, GIT_USERNAME: 'bot', GIT_PASSWORD },
        });
        assert.equal(result.code, 9, result.stdout + result.stderr);
        assert.match((JSON.parse(result.stdout) as { error: string }).error, /^cannot clone the index from http:\/\/(\*\*\*@)?127\.0\.0\.1:\d+\/idx\.git: .*302/);
        assertNoSecret(result.stdout + result.stderr, 'serve');
      }
      assert.deepEqual(remote.credentialsReceived, []);
      assert.equal(remote.requestsReceived, 0, 'git did not follow the redirect at all');
    } finally {
      await remote.close();
    }
  });
});

describe('auth that cannot be enforced refuses to start', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['READ_NEEDS_AUTH without any token', { READ_NEEDS_AUTH: '1' }, /^error: READ_NEEDS_AUTH is set but no token is: set ACCESS_TOKEN, READ_ACCESS_TOKEN \+ WRITE_ACCESS_TOKEN or GITHUB_CLIENT_SECRET, create a per-user token \(pesde-registry token create\), or unset READ_NEEDS_AUTH$/],
    ['an empty ACCESS_TOKEN', { ACCESS_TOKEN: '' }, /^error: ACCESS_TOKEN is set but empty: give it a value, or unset it$/],
    ['ACCESS_TOKEN and the read/write pair', { ACCESS_TOKEN, READ_ACCESS_TOKEN: 'read-token-1', WRITE_ACCESS_TOKEN: 'write-token-1' }, /^error: ACCESS_TOKEN and READ_ACCESS_TOKEN\/WRITE_ACCESS_TOKEN are both set: choose one auth mode/],
    ['half the read/write pair', { READ_ACCESS_TOKEN: 'read-token-1' }, /^error: READ_ACCESS_TOKEN and WRITE_ACCESS_TOKEN must be set together/],
    ['GITHUB_CLIENT_SECRET without github_oauth_client_id', { GITHUB_CLIENT_SECRET: 'github-secret-1' }, /^error: GITHUB_CLIENT_SECRET is set but the index config\.toml has no github_oauth_client_id/],
  ];
  for (const [what, env, line] of cases) {
    it(what, async () => {
      const result = await cli(['serve', '--port', '0', '--index', setup.clone, '--storage-root', setup.storage], { env });
      assert.equal(result.code, 2, result.stderr);
      assert.match(errorLine(result), line);
      assertNoSecret(result.stderr, 'refusal');
    });
  }
});

describe('publish <folder> and symbolic links', () => {
  it('refuses a link to a file outside the package folder with exit 3 and one line; nothing is published', async () => {
    const dir = path.join(setup.root, 'linked-package');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(
      path.join(dir, 'pesde.toml'),
      'name = "acme/linked"\nversion = "1.0.0"\ndescription = "Links"\nlicense = "MIT"\nincludes = ["pesde.toml", "src/**", "ci.env"]\n\n[target]\nenvironment = "luau"\nlib = "src/init.luau"\n',
    );
    await writeFile(path.join(dir, 'src', 'init.luau'), 'return {}\n');
    await writeFile(path.join(setup.root, 'secret.env'), 'DEPLOY_KEY=abc\n');
    await symlink(path.join(setup.root, 'secret.env'), path.join(dir, 'ci.env'));
    const before = await worldState(setup.remote, [setup.clone], async () => []);
    const result = await cli(['publish', dir, '--index', setup.clone, '--storage-root', path.join(setup.root, 'linked-storage')]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(errorLine(result), /^error: included file "ci\.env" is a symbolic link to .*secret\.env, outside the package folder: copy the file into the package or exclude it from includes$/);
    assert.deepEqual(await worldState(setup.remote, [setup.clone], async () => []), before);
  });
});
