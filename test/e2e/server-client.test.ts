/**
 * The server as an unmodified pesde client sees it: clone the index with git, read
 * config.toml and the package file from the tree, build the archive URL from the
 * `download` template with each part percent-encoded, GET it with
 * `Accept: application/octet-stream` and the token as stored, follow redirects, then
 * gunzip and untar. Against file-system storage and against a real S3 API (s3rver), with
 * redirects and with --s3-proxy.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parse as parseToml } from 'smol-toml';
import { x as untar } from 'tar';
import { scaffoldIndex } from '../../src/index-repo/scaffold.js';
import { bareRepo, runGit, tempDir } from '../helpers/git.js';
import { closedPort, startTestServer, type TestServer } from '../helpers/http.js';
import { buildPackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const TOKEN = 'client-token-0123456789';
const DEFAULT_DOWNLOAD = '{API_URL}/v1/packages/{PACKAGE}/{PACKAGE_VERSION}/{PACKAGE_TARGET}/archive';

let scratch: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  scratch = await tempDir('pesde-client-test-');
});
after(async () => {
  await scratch?.cleanup();
});

/** What `pesde publish` sends: the archive as the body, the stored token as Authorization. */
async function clientPublish(api: string, spec: PackageSpec, token: string | null): Promise<Response> {
  return fetch(`${api.replace(/\/$/, '')}/v1/packages`, {
    method: 'POST',
    body: await buildPackage(spec),
    headers: token === null ? {} : { authorization: token },
  });
}

interface Installed {
  files: Map<string, string>;
  url: string;
  /** every response the download went through, redirects included */
  statuses: number[];
}

/** What `pesde install` does for one package, from the index URL to unpacked files. */
async function clientInstall(indexUrl: string, name: string, target: string, token: string | null): Promise<Installed> {
  const clone = path.join(scratch.dir, `clone-${Math.random().toString(36).slice(2)}`);
  await runGit(scratch.dir, ['clone', '--quiet', '--bare', indexUrl, clone]);
  const config = parseToml(await runGit(clone, ['show', 'HEAD:config.toml'])) as { api: string; download?: string };
  const file = parseToml(await runGit(clone, ['show', `HEAD:${name}`])) as Record<string, { yanked?: boolean }>;
  const version = Object.keys(file)
    .filter((k) => k.endsWith(` ${target}`) && !file[k]?.yanked)
    .map((k) => k.split(' ')[0]!)
    .at(-1)!;
  const url = (config.download ?? DEFAULT_DOWNLOAD)
    .replaceAll('{API_URL}', config.api.replace(/\/+$/, ''))
    .replaceAll('{PACKAGE}', encodeURIComponent(name))
    .replaceAll('{PACKAGE_VERSION}', encodeURIComponent(version))
    .replaceAll('{PACKAGE_TARGET}', encodeURIComponent(target));
  const headers: Record<string, string> = { accept: 'application/octet-stream', ...(token === null ? {} : { authorization: token }) };
  const statuses: number[] = [];
  let response = await fetch(url, { headers, redirect: 'manual' });
  statuses.push(response.status);
  // reqwest follows redirects and drops Authorization when the host changes
  while (response.status >= 300 && response.status < 400) {
    response = await fetch(response.headers.get('location')!, { headers: { accept: 'application/octet-stream' }, redirect: 'manual' });
    statuses.push(response.status);
  }
  if (!response.ok) throw new Error(`download failed: ${response.status} ${await response.text()}`);
  const archive = Buffer.from(await response.arrayBuffer());
  const out = path.join(scratch.dir, `unpacked-${Math.random().toString(36).slice(2)}`);
  await mkdir(out);
  await pipeline(Readable.from(gunzipSync(archive)), untar({ cwd: out }));
  const files = new Map<string, string>();
  for (const f of ['pesde.toml', 'src/init.luau', 'README.md']) {
    try {
      files.set(f, await readFile(path.join(out, f), 'utf8'));
    } catch {
      // not every package has every file
    }
  }
  return { files, url, statuses };
}

/** An index created the way an admin would (`init`), with `api` at the port the server will take. */
async function adminIndex(label: string): Promise<{ bare: string; clone: string; port: number }> {
  const root = path.join(scratch.dir, label);
  await mkdir(root, { recursive: true });
  const bare = await bareRepo(root);
  const clone = path.join(root, 'clone');
  const port = await closedPort();
  await scaffoldIndex({ dir: clone, config: { api: `http://127.0.0.1:${port}` }, remote: bare, push: true });
  return { bare, clone, port };
}

describe('a pesde client against file-system storage (embedded default, token auth, reads need it)', () => {
  let server: TestServer;
  let indexUrl: string;

  before(async () => {
    server = await startTestServer({ env: { ACCESS_TOKEN: TOKEN, READ_NEEDS_AUTH: '1' }, flags: { publishRateLimit: 'off' } });
    indexUrl = server.banner.find((l) => l.includes('default = '))!.match(/default = "(.*)"/)![1]!;
  });
  after(async () => {
    await server?.dispose();
  });

  it('publishes with the stored token and installs what it published', async () => {
    const api = server.url;
    const published = await clientPublish(api, { name: 'acme/tool', version: '1.2.3', files: { 'README.md': '# Tool\n' } }, `Bearer ${TOKEN}`);
    assert.equal(published.status, 200, await published.clone().text());
    assert.equal(await published.text(), 'published acme/tool@1.2.3 luau');
    const installed = await clientInstall(indexUrl, 'acme/tool', 'luau', `Bearer ${TOKEN}`);
    assert.equal(installed.url, `${server.url}/v1/packages/acme%2Ftool/1.2.3/luau/archive`);
    assert.deepEqual(installed.statuses, [200]);
    assert.match(installed.files.get('pesde.toml')!, /name = "acme\/tool"/);
    assert.equal(installed.files.get('src/init.luau'), 'return {}\n');
    assert.equal(installed.files.get('README.md'), '# Tool\n');
  });

  it('percent-encodes build metadata in the version and still finds the archive', async () => {
    const published = await clientPublish(server.url, { name: 'acme/tool', version: '2.0.0+build.5' }, TOKEN);
    assert.equal(published.status, 200, await published.text());
    const installed = await clientInstall(indexUrl, 'acme/tool', 'luau', TOKEN);
    assert.ok(installed.url.endsWith('/v1/packages/acme%2Ftool/2.0.0%2Bbuild.5/luau/archive'), installed.url);
    assert.match(installed.files.get('pesde.toml')!, /version = "2.0.0\+build.5"/);
  });

  it('refuses a download without the token or with a wrong one', async () => {
    await assert.rejects(clientInstall(indexUrl, 'acme/tool', 'luau', null), /401/);
    await assert.rejects(clientInstall(indexUrl, 'acme/tool', 'luau', 'Bearer nope'), /401/);
    const anonymous = await clientPublish(server.url, { name: 'acme/tool', version: '3.0.0' }, null);
    assert.equal(anonymous.status, 401);
  });
});

describe('a pesde client against S3 storage (s3rver)', () => {
  let s3: TestS3;

  before(async () => {
    s3 = await startS3();
  });
  after(async () => {
    await s3?.dispose();
  });

  it('is redirected (307) to a pre-signed URL and downloads the archive from S3', async () => {
    const index = await adminIndex('s3-redirect');
    const server = await startTestServer({ flags: { index: index.clone, port: index.port, publishRateLimit: 'off' }, env: s3.env });
    try {
      const published = await clientPublish(server.url, { name: 'acme/remote', version: '0.1.0', target: 'roblox' }, null);
      assert.equal(published.status, 200, await published.text());
      const installed = await clientInstall(index.bare, 'acme/remote', 'roblox', null);
      assert.deepEqual(installed.statuses, [307, 200]);
      assert.match(installed.files.get('pesde.toml')!, /environment = "roblox"/);
      const redirect = await fetch(installed.url, { redirect: 'manual' });
      assert.ok(redirect.headers.get('location')!.startsWith(`${s3.endpoint}/${s3.bucket}/acme/remote/0.1.0/roblox/pkg.tar.gz?`));
      assert.match(redirect.headers.get('location')!, /X-Amz-Expires=900/);
      // README and docs are streamed with their encoding, not redirected
      const missing = await fetch(`${server.url}/v1/packages/acme%2Fremote/0.1.0/roblox/readme`);
      assert.equal(missing.status, 404);
    } finally {
      await server.dispose();
    }
  });

  it('streams the archive through the server with --s3-proxy', async () => {
    const index = await adminIndex('s3-proxy');
    const server = await startTestServer({ flags: { index: index.clone, port: index.port, s3Proxy: true, publishRateLimit: 'off' }, env: s3.env });
    try {
      const published = await clientPublish(server.url, { name: 'acme/proxied', version: '0.1.0', files: { 'README.md': 'read me' } }, null);
      assert.equal(published.status, 200, await published.text());
      const installed = await clientInstall(index.bare, 'acme/proxied', 'luau', null);
      assert.deepEqual(installed.statuses, [200]);
      const archive = await fetch(installed.url, { headers: { accept: 'application/octet-stream' } });
      assert.equal(archive.headers.get('content-type'), 'application/gzip');
      assert.equal(archive.headers.get('content-encoding'), null);
      assert.equal(Number(archive.headers.get('content-length')), (await archive.arrayBuffer()).byteLength);
      const readme = await fetch(`${server.url}/v1/packages/acme%2Fproxied/latest/any/readme`);
      assert.equal(readme.headers.get('content-encoding'), 'gzip');
      assert.equal(await readme.text(), 'read me');

      // an S3 outage is a 502 with a JSON error (no S3 details), and the server carries on
      await s3.stop();
      try {
        const down = await fetch(installed.url);
        assert.equal(down.status, 502);
        const body = (await down.json()) as { error: string };
        assert.ok(!body.error.includes('127.0.0.1'), body.error);
        assert.equal((await fetch(`${server.url}/v1/packages/acme%2Fproxied`)).status, 200);
      } finally {
        await s3.restart();
      }
      assert.equal((await fetch(installed.url)).status, 200);
    } finally {
      await server.dispose();
    }
  });
});
