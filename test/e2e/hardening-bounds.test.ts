/**
 * Bounds a server exposed to anyone keeps (issue 11): a costly search answers without
 * holding up /health, oversized READMEs and doc pages are refused with nothing stored, a
 * hostile upload does not balloon the server's memory, a huge package file in the index is
 * refused with its reason (a large one parsed without blocking), every answer says
 * nosniff, and a request its client abandoned is logged as such. Real git, real HTTP on
 * 127.0.0.1, real archives; the tight figures are bench/hostile.ts's, these bounds are generous.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { serializeIndexFile } from '../../src/index-repo/package-file.js';
import type { IndexFile } from '../../src/index-repo/types.js';
import { createLogger } from '../../src/server/logger.js';
import { buildTarGz, type EntrySpec } from '../helpers/archive-builder.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { bigEntriesTarGz } from '../helpers/hostile-archives.js';
import { enc, startTestServer, type HttpAnswer, type TestServer } from '../helpers/http.js';
import { listFiles, setupIndex, worldState, type IndexSetup } from '../helpers/index-setup.js';
import { manifestFor } from '../helpers/package-fixture.js';

const MiB = 1024 * 1024;

let setup: IndexSetup;
let serverClone: string;
let server: TestServer;
const logLines: string[] = [];

const state = () => worldState(setup.remote, [setup.clone, serverClone], () => listFiles(setup.storage));
const post = (body: Buffer): Promise<HttpAnswer> => server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
const small = (name: string, version = '1.0.0'): EntrySpec[] => [
  { path: 'pesde.toml', content: manifestFor({ name, version }) },
  { path: 'src/init.luau', content: 'return {}\n' },
];

/** How long /health takes, asked `count` times one after another while something else runs. */
async function healthLatencies(count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await server.get('/health');
    assert.equal(res.status, 200);
    times.push(performance.now() - started);
  }
  return times;
}

/** A package file of `entries` versions in the official layout, committed and pushed by another clone. */
async function commitPackageFile(name: string, entries: number, padding = ''): Promise<void> {
  const file: IndexFile = {
    entries: Array.from({ length: entries }, (_, i) => ({
      id: { version: `1.0.${i}`, target: 'luau' as const },
      entry: { published_at: '2025-01-01T00:00:00Z', description: `version ${i} ${padding}`, target: { environment: 'luau', lib: 'src/init.luau' } },
    })),
  };
  const [scope, pkg] = name.split('/') as [string, string];
  await runGit(setup.clone, ['pull', '--quiet', '--ff-only']);
  await writeFile(path.join(setup.clone, scope, pkg), serializeIndexFile(file)).catch(async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(setup.clone, scope), { recursive: true });
    await writeFile(path.join(setup.clone, scope, pkg), serializeIndexFile(file));
  });
  await runGit(setup.clone, ['add', '-A']);
  await runGit(setup.clone, ['commit', '--quiet', '-m', `add ${name}`]);
  await runGit(setup.clone, ['push', '--quiet', 'origin', 'main']);
  await server.refresh();
}

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-bounds-' });
  serverClone = await setup.cloneAnother('server-clone');
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  server = await startTestServer({
    flags: { index: serverClone, storageRoot: setup.storage, publishRateLimit: 'off' },
    logger: createLogger('text', out),
    tweak: (o) => (o.bodyIdleTimeoutMs = 5_000),
  });
  // enough packages that a search word of one letter has work to do
  for (let i = 0; i < 3; i++) {
    const res = await post(buildTarGz([...small(`acme/pkg${i}`), { path: 'README.md', content: `# pkg ${i}\n` }, { path: 'docs/intro.md', content: '# Intro\n' }]));
    assert.equal(res.status, 200, res.text);
  }
});

after(async () => {
  await server?.dispose();
  await setup?.cleanup();
});

describe('search bounds', () => {
  it('refuses queries past the length and word caps with 400 {"error"}', async () => {
    const long = await server.get(`/v1/search?query=${'a'.repeat(257)}`);
    assert.equal(long.status, 400);
    assert.match(long.json<{ error: string }>().error, /more than the limit of 256/);
    const many = await server.get(`/v1/search?query=${enc('a b c d e f g h i j k l m n o p q')}`);
    assert.equal(many.status, 400);
    assert.match(many.json<{ error: string }>().error, /17 different words, more than the limit of 16/);
    // thousands of one word are one word, within the length cap
    const repeated = await server.get(`/v1/search?query=${enc('a '.repeat(128))}`);
    assert.equal(repeated.status, 200, repeated.text);
  });

  it('answers costly searches while /health stays fast', async () => {
    const letters = 'etaoinshrdlucmfwypvbgkjqxz';
    const searches = Array.from({ length: 20 }, (_, k) =>
      server.get(`/v1/search?query=${enc(Array.from({ length: 16 }, (_, i) => letters[(i + k) % 26]).join(' '))}&offset=${k}`),
    );
    const health = await healthLatencies(10);
    for (const res of await Promise.all(searches)) assert.equal(res.status, 200, res.text);
    assert.ok(Math.max(...health) < 1000, `/health took up to ${Math.max(...health).toFixed(0)} ms`);
  });
});

describe('upload bounds', () => {
  it('refuses a README above 4 MiB with 400, through HTTP and the CLI (exit 3), storing nothing', async () => {
    const archive = await bigEntriesTarGz(small('acme/readme_big'), [{ path: 'README.md', size: 4 * MiB + 1 }]);
    const before = await state();
    const res = await post(archive);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json<{ error: string }>().error, 'archive file "README.md" is 4194305 bytes, more than the 4194304-byte limit for a README: shorten it');
    assert.deepEqual(await state(), before);
    const file = path.join(setup.root, 'readme-big.tar.gz');
    await writeFile(file, archive);
    const result = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /error: archive file "README\.md" is 4194305 bytes, more than the 4194304-byte limit for a README/);
    assert.deepEqual(await state(), before);
  });

  it('refuses a doc page above 4 MiB, and doc pages adding up to more than 16 MiB', async () => {
    const before = await state();
    const page = await post(await bigEntriesTarGz(small('acme/doc_big'), [{ path: 'docs/guide/huge.md', size: 4 * MiB + 1 }]));
    assert.equal(page.status, 400, page.text);
    assert.match(page.json<{ error: string }>().error, /^archive file "docs\/guide\/huge\.md" is 4194305 bytes, more than the 4194304-byte limit for a doc page/);
    const pages = Array.from({ length: 5 }, (_, i) => ({ path: `docs/p${i}.md`, size: 4 * MiB - 1 }));
    const total = await post(await bigEntriesTarGz(small('acme/docs_many'), pages));
    assert.equal(total.status, 400, total.text);
    assert.match(total.json<{ error: string }>().error, /add up to more than 16777216 bytes/);
    assert.deepEqual(await state(), before);
  });

  it('keeps memory bounded across a hostile upload (a README and a doc page of 120 MiB each in 240 KB)', async () => {
    const archive = await bigEntriesTarGz(small('acme/balloon'), [{ path: 'README.md', size: 120 * MiB }, { path: 'docs/page.md', size: 120 * MiB }]);
    assert.ok(archive.length < 400 * 1024);
    global.gc?.();
    const start = process.memoryUsage().rss;
    let peak = start;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const res = await post(archive);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    assert.equal(res.status, 400, res.text);
    // before the caps this upload took the server from ~60 to ~670 MiB
    assert.ok(peak - start < 150 * MiB, `RSS grew by ${((peak - start) / MiB).toFixed(0)} MiB`);
  });

  it('accepts a README and doc pages under the caps', async () => {
    const res = await post(await bigEntriesTarGz(small('acme/docs_ok'), [{ path: 'README.md', size: 2 * MiB }, { path: 'docs/a.md', size: 3 * MiB, fill: 0x20 }]));
    assert.equal(res.status, 200, res.text);
  });
});

describe('package file bounds', () => {
  it('serves a large package file (parsed off the event loop) while /health stays fast', async () => {
    await commitPackageFile('acme/large', 4000);
    const answer = server.get('/v1/packages/acme%2Flarge');
    const health = await healthLatencies(5);
    const res = await answer;
    assert.equal(res.status, 200, res.text.slice(0, 200) + logLines.filter((l) => !l.includes(' INFO ')).join('\n'));
    assert.equal(res.json<{ versions: Record<string, unknown> }>().versions['1.0.3999'] !== undefined, true);
    assert.ok(Math.max(...health) < 1000, `/health took up to ${Math.max(...health).toFixed(0)} ms`);
  });

  it('refuses a package file above 8 MiB with a 500 naming why, and logs it once', async () => {
    await commitPackageFile('acme/huge', 400, 'x'.repeat(24 * 1024));
    for (let i = 0; i < 2; i++) {
      const res = await server.get('/v1/packages/acme%2Fhuge');
      assert.equal(res.status, 500, res.text.slice(0, 200));
      assert.match(res.json<{ error: string }>().error, /^the index file of acme\/huge is \d+ bytes, more than the 8388608 this server reads$/);
    }
    assert.equal(logLines.filter((l) => /WARN .*the index file of acme\/huge is \d+ bytes/.test(l)).length, 1);
    // search leaves it off its pages instead of failing
    const search = await server.get('/v1/search?query=huge');
    assert.equal(search.status, 200, search.text);
  });
});

describe('answers and logs', () => {
  it('says nosniff on downloads, READMEs, doc pages, JSON and errors', async () => {
    const paths = [
      '/v1/packages/acme%2Fpkg0/1.0.0/luau/archive',
      '/v1/packages/acme%2Fpkg0/1.0.0/luau/readme',
      '/v1/packages/acme%2Fpkg0/1.0.0/luau/doc?doc=intro',
      '/v1/packages/acme%2Fpkg0',
      '/v1/search?query=pkg',
      '/v1/packages/acme%2Fnope',
      '/health',
    ];
    for (const p of paths) {
      const res = await server.get(p);
      assert.ok(res.status === 200 || res.status === 404, `${p}: ${res.status}`);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', p);
    }
  });

  it('logs a request its client abandoned as status=499 aborted=true, not 200', async () => {
    const url = new URL(server.url);
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/packages?abandoned', headers: { 'content-length': '100000' }, agent: false });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1000));
    await sleep(100);
    req.destroy();
    let line: string | undefined;
    for (let i = 0; i < 100 && line === undefined; i++) {
      await sleep(20);
      line = logLines.find((l) => l.includes('path=/v1/packages?abandoned'));
    }
    assert.ok(line !== undefined, 'the abandoned request was not logged');
    assert.match(line, / status=499 .*aborted=true/);
    assert.doesNotMatch(line, /status=200|sent=/);
    const complete = logLines.find((l) => l.includes('path=/health'));
    assert.match(complete ?? '', / status=200 /);
    assert.doesNotMatch(complete ?? '', /aborted/);
  });
});
