/**
 * The bundle bin/ runs (scripts/bundle.ts). Its code sits in files of other names than its
 * modules', so everything it finds by path while it runs is checked here through bin/, where
 * the in-process tests (which run src/) cannot see it go wrong: package.json (`--version`,
 * `GET /`), the package-parse worker (a file above INLINE_MAX_CHARS), the render worker (a
 * README on a page), the git spawner process, and the modules the summary cache's stamp
 * hashes (the stamp must be the one tsc's own modules compute, or a cache would outlive a
 * change to the code that made it).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BIN, cli, ROOT } from '../helpers/cli.js';
import { GIT_TEST_ENV, runGit } from '../helpers/git.js';
import { http } from '../helpers/http.js';
import { largePackageFile } from '../helpers/index-files.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { writePackage } from '../helpers/package-fixture.js';
import { liveProcesses } from '../helpers/processes.js';

const VERSION = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface BinServer {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** `pesde-registry serve` through bin/, as a user starts it; resolves once it has loaded the index. */
async function serveThroughBin(setup: IndexSetup): Promise<BinServer> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--index', setup.clone, '--storage-root', setup.storage, '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...GIT_TEST_ENV, CI: 'true', NO_COLOR: '1', FS_STORAGE_ROOT: undefined, S3_ENDPOINT: undefined } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = once(proc, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve((JSON.parse(line) as { listening: string }).listening);
    });
    void exited.then(([code]) => reject(new Error(`serve exited with ${code} before listening: ${err}`)));
  });
  for (let i = 0; (await http(url, '/health')).status !== 200; i++) {
    if (i > 300) throw new Error(`serve did not load the index within 30 s: ${err}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    proc,
    stderr: () => err,
    stop: async () => {
      proc.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** The command lines of the live processes whose parent is `pid` (Linux: read from /proc). */
async function childCommandLines(pid: number): Promise<string[] | null> {
  const live = await liveProcesses();
  return live === null ? null : live.filter((p) => p.ppid === pid).map((p) => p.args.join(' '));
}

/** The summary cache stamp tsc's modules in `dist` compute, in a process of their own (no bundle, no tsx). */
async function stampFromTscModules(dist = path.join(ROOT, 'dist')): Promise<{ code: number | null; out: string; err: string }> {
  const module = pathToFileURL(path.join(dist, 'server', 'summary-cache.js')).href;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(module)}); process.stdout.write(await m.cacheFileHeader());`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const [code] = (await once(proc, 'exit')) as [number | null];
  return { code, out, err };
}

describe('the bundled CLI (bin/) finds what it loads by path', () => {
  let setup: IndexSetup;
  let server: BinServer;

  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-bundled-' });
    const archive = await writePackage(setup.root, 'showcase.tar.gz', {
      name: 'acme/showcase',
      version: '1.0.0',
      description: 'A README to render',
      files: { 'README.md': '# Showcase\n\n## Usage\n\nSome **bold** words.\n' },
    });
    const published = await cli(['publish', archive, '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(published.code, 0, published.stderr);
    // a package file the server parses in its worker thread, pushed as any index change is
    await mkdir(path.join(setup.clone, 'acme'), { recursive: true });
    await writeFile(path.join(setup.clone, 'acme', 'large'), largePackageFile());
    await runGit(setup.clone, ['add', 'acme/large']);
    await runGit(setup.clone, ['commit', '--quiet', '-m', 'a large package file']);
    await runGit(setup.clone, ['push', '--quiet', 'origin', 'HEAD']);
    server = await serveThroughBin(setup);
  });
  after(async () => {
    if (server?.proc.exitCode === null) await server.stop();
    await setup?.cleanup();
  });

  it('names its version from package.json', async () => {
    const result = await cli(['--version']);
    assert.equal(result.stdout.trim(), VERSION);
    const root = await http(server.url, '/');
    assert.equal(root.status, 200);
    assert.match(root.text, new RegExp(`pesde-registry/${VERSION.replaceAll('.', '\\.')}`));
  });

  it('serves a package file too large for the event loop from the parse worker', async () => {
    const answer = await http(server.url, `/v1/packages/${encodeURIComponent('acme/large')}`);
    assert.equal(answer.status, 200, answer.text);
    const versions = (answer.json() as { versions: Record<string, unknown> }).versions;
    assert.ok(Object.keys(versions).length > 100, `${Object.keys(versions).length} versions`);
  });

  it('renders a README in the render worker', async () => {
    const page = await http(server.url, '/packages/acme/showcase', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200, page.text.slice(0, 500));
    assert.match(page.text, /<h2[^>]*id="usage"/);
    assert.match(page.text, /<strong>bold<\/strong>/);
  });

  it('runs git through its spawner process', async () => {
    const children = await childCommandLines(server.proc.pid!);
    if (children === null) return;
    assert.ok(
      children.some((line) => line.includes(path.join('dist', 'index-repo', 'git-spawner-process.js'))),
      `children: ${JSON.stringify(children)}`,
    );
  });

  it('makes no stamp when a module that makes records cannot be read (a stamp of missing files would match any code)', async () => {
    const copy = path.join(setup.root, 'tree-copy');
    await cp(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
    await writeFile(path.join(copy, 'package.json'), JSON.stringify({ type: 'module', version: VERSION }));
    await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const whole = await stampFromTscModules(path.join(copy, 'dist'));
    assert.equal(whole.code, 0, whole.err);
    await rm(path.join(copy, 'dist', 'index-repo', 'scope-file.js'));
    const missing = await stampFromTscModules(path.join(copy, 'dist'));
    assert.notEqual(missing.code, 0, `a stamp was made: ${missing.out}`);
    assert.match(missing.err, /ENOENT.*scope-file\.js/);
  });

  it('stamps its summary cache as tsc\'s modules do, and a restart uses it', async () => {
    assert.equal(await server.stop(), 0, server.stderr());
    assert.match(server.stderr(), /wrote the summary cache/);
    const cacheFile = path.join(setup.clone, '.git', 'pesde-registry', 'summaries');
    const [stamp] = (await readFile(cacheFile, 'utf8')).split('\n', 1);
    const computed = await stampFromTscModules();
    assert.equal(computed.code, 0, computed.err);
    assert.equal(stamp, computed.out);
    server = await serveThroughBin(setup);
    assert.doesNotMatch(server.stderr(), /summary cache/);
    const answer = await http(server.url, `/v1/packages/${encodeURIComponent('acme/showcase')}`);
    assert.equal(answer.status, 200, answer.text);
  });
});
