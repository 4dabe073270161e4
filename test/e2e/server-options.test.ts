/**
 * How `serve` is configured: flags over the official registry's environment variables,
 * the choice between a local clone, INDEX_REPO_URL and the embedded default, and the
 * embedded default surviving a restart.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/server/logger.js';
import { resolveServerOptions } from '../../src/server/server-options.js';
import { cloneFixtureIndex } from '../helpers/fixture-index.js';
import { bareRepo, runGit, tempDir } from '../helpers/git.js';
import { enc, startTestServer } from '../helpers/http.js';
import { buildPackage } from '../helpers/package-fixture.js';

describe('resolveServerOptions', () => {
  const cwd = '/srv/registry';

  it('defaults like the official registry: 127.0.0.1:8080, {CWD}/data, embedded index with storage in it', () => {
    const o = resolveServerOptions({}, {}, cwd);
    assert.equal(o.address, '127.0.0.1');
    assert.equal(o.port, 8080);
    assert.equal(o.dataDir, '/srv/registry/data');
    assert.deepEqual(o.index, { kind: 'embedded', dir: '/srv/registry/data/index', bareDir: '/srv/registry/data/index.git' });
    assert.deepEqual(o.storage, { kind: 'fs', root: '/srv/registry/data/storage' });
    assert.equal(o.refreshIntervalMs, 10_000);
    assert.equal(o.logFormat, 'text');
    assert.deepEqual(o.publishRateLimit, { burst: 12, periodMs: 60_000 });
    assert.equal(o.s3Proxy, false);
  });

  it('reads the official environment variables, and flags win over them', () => {
    const env = {
      ADDRESS: '0.0.0.0',
      PORT: '9000',
      DATA_DIR: '{CWD}/state',
      INDEX_REPO_URL: 'https://github.com/acme/index',
      FS_STORAGE_ROOT: '/var/pkgs',
      COMMITTER_GIT_NAME: 'Registry',
      COMMITTER_GIT_EMAIL: 'registry@acme.test',
      ACCESS_TOKEN: 't',
      READ_NEEDS_AUTH: '',
    };
    const o = resolveServerOptions({}, env, cwd);
    assert.equal(o.address, '0.0.0.0');
    assert.equal(o.port, 9000);
    assert.equal(o.dataDir, '/srv/registry/state');
    assert.deepEqual(o.index, { kind: 'clone', url: 'https://github.com/acme/index', dir: '/srv/registry/state/index' });
    assert.deepEqual(o.storage, { kind: 'fs', root: '/var/pkgs' });
    assert.deepEqual(o.committer, { name: 'Registry', email: 'registry@acme.test' });
    assert.equal(o.auth.accessToken, 't');
    assert.equal(o.auth.readNeedsAuth, true, 'READ_NEEDS_AUTH counts when set at all, even empty');

    const f = resolveServerOptions({ address: '::1', port: '0', index: 'idx', storageRoot: 'pkgs', refreshInterval: '0.5', logFormat: 'json', s3Proxy: true, publishRateLimit: '3/10' }, env, cwd);
    assert.equal(f.address, '::1');
    assert.equal(f.port, 0);
    assert.deepEqual(f.index, { kind: 'local', dir: '/srv/registry/idx' });
    assert.deepEqual(f.storage, { kind: 'fs', root: 'pkgs' });
    assert.equal(f.refreshIntervalMs, 500);
    assert.equal(f.logFormat, 'json');
    assert.equal(f.s3Proxy, true);
    assert.deepEqual(f.publishRateLimit, { burst: 3, periodMs: 10_000 });
    assert.equal(resolveServerOptions({ publishRateLimit: 'off' }, {}, cwd).publishRateLimit, null);
  });

  it('refuses settings that cannot work, saying what to do', () => {
    assert.throws(() => resolveServerOptions({ index: 'idx' }, {}, cwd), /no storage configured/);
    assert.throws(() => resolveServerOptions({}, { FS_STORAGE_ROOT: '/x' }, cwd), /INDEX_REPO_URL/);
    assert.throws(() => resolveServerOptions({}, { PORT: '99999' }, cwd), /port/);
    assert.throws(() => resolveServerOptions({ logFormat: 'xml' }, {}, cwd), /log-format/);
    assert.throws(() => resolveServerOptions({ refreshInterval: '-1' }, {}, cwd), /refresh-interval/);
    assert.throws(() => resolveServerOptions({ publishRateLimit: '12' }, {}, cwd), /burst/);
    assert.throws(() => resolveServerOptions({}, { S3_ENDPOINT: 'http://s3', INDEX_REPO_URL: 'x' }, cwd), /S3/);
  });
});

describe('the embedded default across restarts', () => {
  let scratch: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    scratch = await tempDir('pesde-embedded-');
  });
  after(async () => {
    await scratch?.cleanup();
  });

  it('is created once, reused with its packages, and follows the server to a new port', async () => {
    const dataDir = path.join(scratch.dir, 'data');
    const first = await startTestServer({ flags: { dataDir } });
    let firstUrl: string;
    try {
      firstUrl = first.url;
      assert.ok(first.banner.some((l) => l.startsWith('created an index')), first.banner.join('\n'));
      const res = await first.get('/v1/packages', { method: 'POST', body: await buildPackage({ name: 'acme/kept', version: '1.0.0' }) });
      assert.equal(res.status, 200, res.text);
    } finally {
      await first.dispose();
    }
    const second = await startTestServer({ flags: { dataDir } });
    try {
      assert.ok(second.banner.some((l) => l.startsWith('using the index')), second.banner.join('\n'));
      assert.equal((await second.get(`/v1/packages/${enc('acme/kept')}`)).status, 200);
      const bare = path.join(dataDir, 'index.git');
      if (second.url !== firstUrl) {
        assert.ok(second.banner.some((l) => l.includes(`its api moved from ${firstUrl} to ${second.url}`)), second.banner.join('\n'));
      }
      assert.match(await runGit(bare, ['show', 'main:config.toml']), new RegExp(`^api = "${second.url}"`, 'm'));
      assert.equal(second.state.config.api, second.url);
    } finally {
      await second.dispose();
    }
  });

  it('clones INDEX_REPO_URL into DATA_DIR/index once, and refuses a clone of another URL', async () => {
    const origin = await bareRepo(scratch.dir, 'origin.git');
    await runGit(scratch.dir, ['clone', '--quiet', '--mirror', await cloneFixtureIndex(), 'mirror.git']);
    await runGit(path.join(scratch.dir, 'mirror.git'), ['push', '--quiet', origin, 'refs/remotes/origin/main:refs/heads/main']);
    const dataDir = path.join(scratch.dir, 'cloned');
    const env = { INDEX_REPO_URL: origin, FS_STORAGE_ROOT: path.join(scratch.dir, 'pkgs') };
    for (let i = 0; i < 2; i++) {
      const server = await startTestServer({ flags: { dataDir }, env });
      try {
        assert.equal(server.index.dir, path.join(dataDir, 'index'));
        assert.equal(server.index.remote, origin);
        assert.ok(server.state.packages.size > 500);
      } finally {
        await server.dispose();
      }
    }
    await assert.rejects(startTestServer({ flags: { dataDir }, env: { ...env, INDEX_REPO_URL: `${origin}-other` } }), /not of INDEX_REPO_URL/);
  });
});

describe('logs', () => {
  it('writes one JSON object per request with --log-format json', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const server = await startTestServer({ flags: { index: await cloneFixtureIndex() }, logger: createLogger('json', out) });
    try {
      await server.get(`/v1/packages/${enc('pesde/rojo')}`);
      await server.get('/nope');
      const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.method !== undefined);
      // a line written soon after another waits for the next write, at most 20 ms later
      for (let i = 0; i < 50 && logged().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const requests = logged();
      assert.deepEqual(requests.map((r) => [r.level, r.method, r.path, r.status]), [
        ['info', 'GET', `/v1/packages/${enc('pesde/rojo')}`, 200],
        ['info', 'GET', '/nope', 404],
      ]);
      assert.equal(typeof requests[0]?.ms, 'number');
      assert.ok(!Number.isNaN(Date.parse(String(requests[0]?.time))));
    } finally {
      await server.dispose();
    }
  });

  it('writes readable lines with --log-format text', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    createLogger('text', out).warn('index refresh failed', { commit: 'abc', reason: 'two words' });
    assert.match(text, /^\S+Z WARN  index refresh failed commit=abc reason="two words"\n$/);
  });
});
