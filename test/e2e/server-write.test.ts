/**
 * Publishing, yanking and deprecating over HTTP against the embedded default index (a
 * bare repo and a clone under the data folder, fs storage): what the pesde client's
 * `publish`, `yank` and `deprecate` commands send, and what must change (or must not).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { runGit, tempDir } from '../helpers/git.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';
import { buildPackage, type PackageSpec } from '../helpers/package-fixture.js';

let server: TestServer;
let dataDir: string;
let bare: string;
let other: { dir: string; cleanup: () => Promise<void> };

async function publish(spec: PackageSpec | Buffer, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const body = Buffer.isBuffer(spec) ? spec : await buildPackage(spec);
  return server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', ...headers } });
}

async function storedFiles(): Promise<string[]> {
  const root = path.join(dataDir, 'storage');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

async function originTip(): Promise<string> {
  return runGit(bare, ['rev-parse', 'main']);
}

/** A change to the index pushed by someone other than the server, then picked up. */
async function pushFromElsewhere(files: Record<string, string>, message: string): Promise<void> {
  await runGit(other.dir, ['pull', '--quiet', '--ff-only', 'origin', 'main']);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(other.dir, file)), { recursive: true });
    await writeFile(path.join(other.dir, file), content);
  }
  await runGit(other.dir, ['add', '--all']);
  await runGit(other.dir, ['commit', '--quiet', '-m', message]);
  await runGit(other.dir, ['push', '--quiet', 'origin', 'HEAD:main']);
  await server.refresh();
}

async function latest(name: string): Promise<string> {
  return (await server.get(`/v1/packages/${enc(name)}/latest/any`)).json<{ version: string }>().version;
}

before(async () => {
  server = await startTestServer({ flags: { publishRateLimit: 'off' }, tweak: (o) => (o.bodyIdleTimeoutMs = 500) });
  dataDir = path.dirname(server.index.dir);
  bare = path.join(dataDir, 'index.git');
  other = await tempDir('pesde-write-other-');
  await runGit(other.dir, ['clone', '--quiet', bare, '.']);
});

after(async () => {
  await server?.dispose();
  await other?.cleanup();
});

describe('the embedded default index', () => {
  it('is a bare repo plus a clone under DATA_DIR, api pointing at this server, and the banner says how to use it', async () => {
    const config = await runGit(bare, ['show', 'main:config.toml']);
    assert.match(config, new RegExp(`^api = "${server.url}"`, 'm'));
    assert.ok(server.banner.some((l) => l.includes('[indices]')));
    assert.ok(server.banner.some((l) => l.includes(`default = "${pathToFileURL(bare).href}"`)), server.banner.join('\n'));
  });
});

describe('POST /v1/packages', () => {
  it('publishes, answers like the official registry, and serves the new version at once', async () => {
    const res = await publish({
      name: 'acme/hello',
      version: '1.0.0',
      files: { 'README.md': '# Hello\n', 'docs/intro.md': '# Intro\n\nWelcome.' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, 'published acme/hello@1.0.0 luau');
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.equal(await runGit(bare, ['log', '-1', '--format=%s', 'main']), 'add acme/hello@1.0.0 luau');
    assert.equal(server.state.commit, await originTip(), 'the state advanced before the answer');

    const meta = await server.get(`/v1/packages/${enc('acme/hello')}/1.0.0/luau`);
    assert.equal(meta.status, 200);
    const body = meta.json<{ description: string; docs: Array<{ label: string; name: string }> }>();
    assert.equal(body.description, 'A test package');
    assert.deepEqual(body.docs, [{ label: 'Intro', name: 'intro' }]);
    assert.equal((await server.get(`/v1/packages/${enc('acme/hello')}/1.0.0/luau/readme`)).text, '# Hello\n');
    assert.equal((await server.get(`/v1/packages/${enc('acme/hello')}/1.0.0/luau/doc?doc=intro`)).text, '# Intro\n\nWelcome.');
    const search = (await server.get('/v1/search?query=hello')).json<{ data: Array<{ name: string }> }>();
    assert.equal(search.data[0]?.name, 'acme/hello');
  });

  it('serves exactly the uploaded archive', async () => {
    const archive = await buildPackage({ name: 'acme/bytes', version: '0.1.0' });
    assert.equal((await publish(archive)).status, 200);
    const res = await server.get(`/v1/packages/${enc('acme/bytes')}/0.1.0/luau/archive`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.raw, archive);
    assert.ok(gunzipSync(res.raw).includes('pesde.toml'));
  });

  it('answers 409 for a version that exists, 400 for a broken archive, and changes nothing', async () => {
    const before = { tip: await originTip(), files: await storedFiles() };
    const again = await publish({ name: 'acme/hello', version: '1.0.0' });
    assert.equal(again.status, 409);
    assert.match(again.json<{ error: string }>().error, /already/);
    const broken = await publish(Buffer.from('this is not a gzip file'));
    assert.equal(broken.status, 400);
    assert.equal(typeof broken.json<{ error: string }>().error, 'string');
    assert.deepEqual({ tip: await originTip(), files: await storedFiles() }, before);
  });

  it('accepts dependencies on its own index by the URL the banner prints', async () => {
    const res = await publish({
      name: 'acme/uses_hello',
      version: '1.0.0',
      extra: `[indices]\ndefault = "${pathToFileURL(bare).href}"\n\n[dependencies]\nhello = { name = "acme/hello", version = "^1.0.0", index = "${pathToFileURL(bare).href}" }\n`,
    });
    assert.equal(res.status, 200, res.text);
  });

  it('publishes concurrent requests one after another without losing any', async () => {
    const results = await Promise.all([1, 2, 3].map((n) => publish({ name: `acme/parallel_${n}`, version: '1.0.0' })));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200], results.map((r) => r.text).join('\n'));
    for (const n of [1, 2, 3]) assert.equal((await server.get(`/v1/packages/${enc(`acme/parallel_${n}`)}`)).status, 200);
  });
});

describe('archive size limit', () => {
  before(async () => {
    const config = await runGit(bare, ['show', 'main:config.toml']);
    await pushFromElsewhere({ 'config.toml': `${config}\nmax_archive_size = 4096\n` }, 'lower the limit');
    assert.equal(server.state.config.max_archive_size, 4096);
  });

  it('answers 413 at once when Content-Length is over the limit', async () => {
    const before = { tip: await originTip(), files: await storedFiles() };
    const res = await publish(Buffer.alloc(4097, 1));
    assert.equal(res.status, 413);
    assert.match(res.json<{ error: string }>().error, /4096/);
    assert.deepEqual({ tip: await originTip(), files: await storedFiles() }, before);
  });

  it('stops reading a chunked body at the limit and still delivers the 413 to a client that keeps sending', async () => {
    const before = { tip: await originTip(), files: await storedFiles() };
    const url = new URL(server.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/packages', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      // 8 MiB in 64 KiB chunks, far past the limit; the server answers long before the end
      let sent = 0;
      const pump = () => {
        while (sent < 8 * 1024 * 1024) {
          sent += 65536;
          if (!req.write(Buffer.alloc(65536, 7))) return void req.once('drain', pump);
        }
        req.end();
      };
      req.on('error', () => undefined);
      pump();
    });
    assert.equal(answer.status, 413);
    assert.deepEqual({ tip: await originTip(), files: await storedFiles() }, before);
  });

  it('cuts off a body that stops arriving (408) and changes nothing', async () => {
    const before = { tip: await originTip(), files: await storedFiles() };
    const url = new URL(server.url);
    const started = Date.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/packages', agent: false, headers: { 'content-length': '3000' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1000, 1)); // and then nothing more
    });
    assert.equal(status, 408);
    assert.ok(Date.now() - started < 5_000);
    assert.deepEqual({ tip: await originTip(), files: await storedFiles() }, before);
  });

  after(async () => {
    const config = (await runGit(bare, ['show', 'main:config.toml'])).replace(/\nmax_archive_size = 4096\s*$/, '\n');
    await pushFromElsewhere({ 'config.toml': config }, 'restore the limit');
  });
});

describe('yank', () => {
  before(async () => {
    assert.equal((await publish({ name: 'acme/yanky', version: '1.0.0' })).status, 200);
    assert.equal((await publish({ name: 'acme/yanky', version: '1.1.0' })).status, 200);
    assert.equal((await publish({ name: 'acme/yanky', version: '1.1.0', target: 'roblox' })).status, 200);
  });

  it('PUT yanks and moves latest; DELETE unyanks; repeating is a 409', async () => {
    assert.equal(await latest('acme/yanky'), '1.1.0');
    const yank = await server.get(`/v1/packages/${enc('acme/yanky')}/1.1.0/all/yank`, { method: 'PUT' });
    assert.equal(yank.status, 200, yank.text);
    assert.equal(yank.text, 'yanked acme/yanky@1.1.0 roblox, luau');
    assert.equal(await runGit(bare, ['log', '-1', '--format=%s', 'main']), 'yank acme/yanky@1.1.0 roblox, luau');
    assert.equal(await latest('acme/yanky'), '1.0.0');
    assert.equal((await server.get(`/v1/packages/${enc('acme/yanky')}/1.1.0/luau/yank`, { method: 'PUT' })).status, 409);

    const unyank = await server.get(`/v1/packages/${enc('acme/yanky')}/${enc('1.1.0')}/luau/yank`, { method: 'DELETE' });
    assert.equal(unyank.status, 200);
    assert.equal(unyank.text, 'unyanked acme/yanky@1.1.0 luau');
    assert.equal(await latest('acme/yanky'), '1.1.0');
    assert.equal((await server.get(`/v1/packages/${enc('acme/yanky')}/1.1.0/luau/yank`, { method: 'DELETE' })).status, 409);
  });

  it('answers 404 for an unknown package or version and 400 for malformed segments', async () => {
    assert.equal((await server.get(`/v1/packages/${enc('acme/nothing')}/1.0.0/all/yank`, { method: 'PUT' })).status, 404);
    assert.equal((await server.get(`/v1/packages/${enc('acme/yanky')}/9.0.0/all/yank`, { method: 'PUT' })).status, 404);
    for (const p of [`${enc('acme/yanky')}/latest/all`, `${enc('acme/yanky')}/1.0.0/any`, `${enc('acme/yanky')}/1.0.0/ALL2`, `${enc('acme/yanky')}/1.0/all`]) {
      assert.equal((await server.get(`/v1/packages/${p}/yank`, { method: 'PUT' })).status, 400, p);
    }
  });
});

describe('deprecate', () => {
  it('PUT deprecates with the body as the reason and hides the package from search; DELETE undoes it', async () => {
    const path_ = `/v1/packages/${enc('acme/hello')}/deprecate`;
    const res = await server.get(path_, { method: 'PUT', body: '  use acme/better instead \n' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, 'deprecated acme/hello');
    assert.equal(await runGit(bare, ['log', '-1', '--format=%s', 'main']), 'deprecate acme/hello');
    const meta = (await server.get(`/v1/packages/${enc('acme/hello')}`)).json<{ deprecated: string }>();
    assert.equal(meta.deprecated, 'use acme/better instead');
    const names = async () => (await server.get('/v1/search?query=hello')).json<{ data: Array<{ name: string }> }>().data.map((h) => h.name);
    assert.ok(!(await names()).includes('acme/hello'));
    assert.equal((await server.get(path_, { method: 'PUT', body: 'use acme/better instead' })).status, 409);

    const undo = await server.get(path_, { method: 'DELETE' });
    assert.equal(undo.status, 200);
    assert.equal(undo.text, 'undeprecated acme/hello');
    assert.ok((await names()).includes('acme/hello'));
    assert.equal((await server.get(path_, { method: 'DELETE' })).status, 409);
  });

  it('needs a non-empty UTF-8 reason to deprecate', async () => {
    const path_ = `/v1/packages/${enc('acme/hello')}/deprecate`;
    assert.equal((await server.get(path_, { method: 'PUT', body: '  \n ' })).status, 400);
    assert.equal((await server.get(path_, { method: 'PUT' })).status, 400);
    assert.equal((await server.get(path_, { method: 'PUT', body: Buffer.from([0xff, 0xfe]) })).status, 400);
    assert.equal((await server.get(`/v1/packages/${enc('acme/nothing')}/deprecate`, { method: 'PUT', body: 'x' })).status, 404);
  });
});

describe('ownership', () => {
  before(async () => {
    await pushFromElsewhere(
      {
        'locked/scope.toml': 'owners = [99]\n',
        'locked/thing': '["1.0.0 luau"]\npublished_at = "2030-01-01T00:00:00Z"\n\n["1.0.0 luau".target]\nenvironment = "luau"\nlib = "init.luau"\n',
      },
      'a scope owned by someone else',
    );
  });

  it('answers 403 to publish, yank and deprecate in a scope the publisher does not own, changing nothing', async () => {
    const before = { tip: await originTip(), files: await storedFiles() };
    assert.equal((await publish({ name: 'locked/mine', version: '1.0.0' })).status, 403);
    assert.equal((await server.get(`/v1/packages/${enc('locked/thing')}/1.0.0/luau/yank`, { method: 'PUT' })).status, 403);
    assert.equal((await server.get(`/v1/packages/${enc('locked/thing')}/deprecate`, { method: 'PUT', body: 'mine now' })).status, 403);
    assert.deepEqual({ tip: await originTip(), files: await storedFiles() }, before);
  });
});

describe('publish rate limit', () => {
  it('allows a burst, then answers 429 with when to retry (per publisher), and only for publishing', async () => {
    const limited = await startTestServer({ flags: { publishRateLimit: '2/3600' } });
    try {
      const post = (headers: Record<string, string> = {}) => limited.get('/v1/packages', { method: 'POST', body: 'not an archive', headers });
      const first = await post();
      assert.equal(first.status, 400);
      assert.equal(first.headers['x-ratelimit-limit'], '2');
      assert.equal(first.headers['x-ratelimit-remaining'], '1');
      assert.equal((await post()).status, 400);
      const third = await post();
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers['retry-after']) > 3000);
      assert.equal(typeof third.json<{ error: string }>().error, 'string');
      // other writes are not rate limited
      assert.equal((await limited.get(`/v1/packages/${enc('acme/x')}/deprecate`, { method: 'PUT', body: 'x' })).status, 404);
    } finally {
      await limited.dispose();
    }
  });
});
