/**
 * The HTTP core without a socket: router, auth modes, error answers and the v0/v1 shapes,
 * answered by the app's request listener in memory (test/helpers/in-process-app.ts) over
 * the real fixture index; a publish writes through the real writer to a bare origin.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scaffoldIndex } from '../../src/index-repo/scaffold.js';
import { cloneFixtureIndex } from '../helpers/fixture-index.js';
import { bareRepo, runGit, tempDir } from '../helpers/git.js';
import { enc } from '../helpers/http.js';
import { inProcessApp, type InProcessApp } from '../helpers/in-process-app.js';
import { buildPackage } from '../helpers/package-fixture.js';

let fixture: string;
before(async () => {
  fixture = await cloneFixtureIndex();
});

const errorOf = (text: string): string => (JSON.parse(text) as { error: string }).error;

describe('in memory: the router and its error answers', () => {
  let app: InProcessApp;
  before(async () => {
    app = await inProcessApp(fixture);
  });
  after(() => app.close());

  it('answers / and /health', async () => {
    assert.equal((await app.request('/')).status, 200);
    const health = await app.request('/health');
    assert.equal(health.status, 200);
    assert.equal(health.json<{ commit: string }>().commit, app.context.state().commit);
  });

  it('404 for an unknown path, 405 with Allow for a wrong method, each one JSON error', async () => {
    const missing = await app.request('/v2/nothing');
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing.text), 'no route for GET /v2/nothing');
    const wrong = await app.request(`/v1/packages/${enc('0jewell/prism')}`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET');
    assert.match(wrong.headers['content-type'] ?? '', /^application\/json/);
  });

  it('400 for a malformed name or version, 404 for an unknown package or version', async () => {
    assert.equal((await app.request(`/v1/packages/${enc('Not A Name')}`)).status, 400);
    assert.equal((await app.request(`/v1/packages/${enc('0jewell/prism')}/not.a.version/any`)).status, 400);
    assert.equal((await app.request(`/v1/packages/${enc('nobody/nothing')}`)).status, 404);
    assert.equal((await app.request(`/v1/packages/${enc('0jewell/prism')}/99.0.0/any`)).status, 404);
  });

  it('v1 lists versions as an object with targets; v0 as an array; one version is the same JSON in both', async () => {
    const v1 = await app.request(`/v1/packages/${enc('caveful_games/rng')}`);
    assert.equal(v1.status, 200);
    const body = v1.json<{ name: string; versions: Record<string, { targets: Record<string, unknown> }> }>();
    assert.equal(body.name, 'caveful_games/rng');
    assert.ok(Object.keys(body.versions).length > 0);
    for (const version of Object.values(body.versions)) assert.ok(Object.keys(version.targets).length > 0);
    const v0 = await app.request(`/v0/packages/${enc('caveful_games/rng')}`);
    const list = v0.json<Array<{ name: string; version: string }>>();
    assert.ok(Array.isArray(list));
    assert.deepEqual(new Set(list.map((v) => v.version)), new Set(Object.keys(body.versions)));
    const one1 = await app.request(`/v1/packages/${enc('0jewell/prism')}/latest/any`);
    const one0 = await app.request(`/v0/packages/${enc('0jewell/prism')}/latest/any`);
    assert.equal(one1.status, 200);
    assert.equal(one0.text, one1.text);
  });

  it('search answers the same shape on v0 and v1', async () => {
    const v1 = await app.request('/v1/search?query=prism');
    const v0 = await app.request('/v0/search?query=prism');
    assert.equal(v1.status, 200);
    assert.equal(v0.text, v1.text);
    const found = v1.json<{ data: Array<{ name: string }>; count: number }>();
    assert.ok(found.data.some((p) => p.name === '0jewell/prism'));
  });
});

describe('in memory: auth modes', () => {
  const read = `/v1/packages/${enc('0jewell/prism')}`;
  // past auth, a write with a malformed version stops at 400: 401 means auth refused it
  const write = `/v1/packages/${enc('0jewell/prism')}/x/luau/yank`;

  it('no auth: reads and writes pass', async () => {
    const app = await inProcessApp(fixture);
    try {
      assert.equal((await app.request(read)).status, 200);
      assert.equal((await app.request(write, { method: 'PUT' })).status, 400);
    } finally {
      await app.close();
    }
  });

  it('ACCESS_TOKEN: reads are open, a write needs the token, a wrong one says so', async () => {
    const app = await inProcessApp(fixture, { env: { ACCESS_TOKEN: 'secret-one' } });
    try {
      assert.equal((await app.request(read)).status, 200);
      const none = await app.request(write, { method: 'PUT' });
      assert.equal(none.status, 401);
      assert.equal(errorOf(none.text), 'a token is required to write to this registry');
      const wrong = await app.request(write, { method: 'PUT', headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      assert.equal(errorOf(wrong.text), 'the token is not valid for writing');
      assert.ok(!wrong.text.includes('secret-one'));
      assert.equal((await app.request(write, { method: 'PUT', headers: { authorization: 'Bearer secret-one' } })).status, 400);
    } finally {
      await app.close();
    }
  });

  it('read and write tokens with READ_NEEDS_AUTH: each token opens its own routes only', async () => {
    const app = await inProcessApp(fixture, { env: { READ_ACCESS_TOKEN: 'r-token', WRITE_ACCESS_TOKEN: 'w-token', READ_NEEDS_AUTH: '1' } });
    try {
      const anonymous = await app.request(read);
      assert.equal(anonymous.status, 401);
      assert.equal(errorOf(anonymous.text), 'a token is required to read from this registry');
      assert.equal((await app.request(read, { headers: { authorization: 'Bearer r-token' } })).status, 200);
      assert.equal((await app.request(write, { method: 'PUT', headers: { authorization: 'Bearer r-token' } })).status, 401);
      assert.equal((await app.request(write, { method: 'PUT', headers: { authorization: 'Bearer w-token' } })).status, 400);
      // routes with no auth stay open
      assert.equal((await app.request('/health')).status, 200);
    } finally {
      await app.close();
    }
  });
});

describe('in memory: a publish through the one writer', () => {
  let scratch: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    scratch = await tempDir();
  });
  after(() => scratch.cleanup());

  it('lands on the origin and is served at once; the same version again is a 409', async () => {
    const remote = await bareRepo(scratch.dir);
    const clone = path.join(scratch.dir, 'clone');
    await scaffoldIndex({ dir: clone, config: { api: 'http://127.0.0.1:1' }, remote, push: true });
    const app = await inProcessApp(clone);
    try {
      const archive = await buildPackage({ name: 'acme/inmem', version: '1.0.0' });
      const first = await app.request('/v1/packages', { method: 'POST', body: archive });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.text, 'published acme/inmem@1.0.0 luau');
      assert.equal(await runGit(remote, ['rev-parse', 'main']), app.context.state().commit);
      assert.equal((await app.request(`/v1/packages/${enc('acme/inmem')}/1.0.0/luau`)).status, 200);
      const again = await app.request('/v1/packages', { method: 'POST', body: archive });
      assert.equal(again.status, 409, again.text);
    } finally {
      await app.close();
    }
  });

  it('concurrent publishes of distinct packages all land (their validation fetches do not race on the ref writes build on)', async () => {
    const remote = await bareRepo(scratch.dir, 'many.git');
    const clone = path.join(scratch.dir, 'many');
    await scaffoldIndex({ dir: clone, config: { api: 'http://127.0.0.1:1' }, remote, push: true });
    const app = await inProcessApp(clone, { tweak: (o) => (o.publishRateLimit = null) });
    try {
      const archives = await Promise.all(Array.from({ length: 16 }, (_, i) => buildPackage({ name: `many/pkg_${i}`, version: '1.0.0' })));
      const answers = await Promise.all(archives.map((body) => app.request('/v1/packages', { method: 'POST', body })));
      assert.deepEqual(answers.map((a) => `${a.status} ${a.text}`), archives.map((_, i) => `200 published many/pkg_${i}@1.0.0 luau`));
      const files = await runGit(remote, ['ls-tree', '-r', '--name-only', 'main', 'many']);
      assert.deepEqual(files.split('\n').filter((f) => !f.endsWith('scope.toml')).sort(), archives.map((_, i) => `many/pkg_${i}`).sort());
    } finally {
      await app.close();
    }
  });
});
