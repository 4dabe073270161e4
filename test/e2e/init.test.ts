import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseIndexConfig } from '../../src/index-repo/config.js';
import { cli } from '../helpers/cli.js';
import { bareRepo, runGit, tempDir } from '../helpers/git.js';

describe('pesde-registry init', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir: root, cleanup } = await tempDir()));
  after(() => cleanup());

  it('--help and --version work', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /init/);
    assert.match(help.stdout, /publish/);
    assert.match(help.stdout, /serve/);
    const version = await cli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it('creates a committed index whose config the parser accepts', async () => {
    const dir = path.join(root, 'fresh', 'nested');
    const result = await cli(['init', dir, '--api', 'http://127.0.0.1:8080']);
    assert.equal(result.code, 0, result.stderr);
    const text = await readFile(path.join(dir, 'config.toml'), 'utf8');
    assert.equal(parseIndexConfig(text).api, 'http://127.0.0.1:8080');
    assert.equal(await runGit(dir, ['symbolic-ref', '--short', 'HEAD']), 'main');
    assert.equal(await runGit(dir, ['show', 'HEAD:config.toml']), text.replace(/\n$/, ''));
    assert.equal(await runGit(dir, ['status', '--porcelain']), '');
  });

  it('writes every flag into config.toml', async () => {
    const dir = path.join(root, 'flags');
    const result = await cli([
      'init', dir, '--api', 'https://registry.example.com', '--download', 'https://cdn.example.com/{PACKAGE}/{PACKAGE_VERSION}/{PACKAGE_TARGET}',
      '--github-oauth-client-id', 'abc123', '--git-allowed', 'true', '--other-registries-allowed', 'https://github.com/pesde-pkg/index,https://example.com/idx.git',
      '--wally-allowed', 'false', '--max-archive-size', '1048576', '--scripts-packages', 'pesde/scripts_rojo,pesde/scripts_argon', '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { dir: string; commit: string };
    assert.equal(out.dir, dir);
    const config = parseIndexConfig(await readFile(path.join(dir, 'config.toml'), 'utf8'));
    assert.deepEqual(config, {
      api: 'https://registry.example.com',
      download: 'https://cdn.example.com/{PACKAGE}/{PACKAGE_VERSION}/{PACKAGE_TARGET}',
      github_oauth_client_id: 'abc123',
      git_allowed: true,
      other_registries_allowed: ['https://github.com/pesde-pkg/index', 'https://example.com/idx.git'],
      wally_allowed: false,
      max_archive_size: 1048576,
      scripts_packages: ['pesde/scripts_rojo', 'pesde/scripts_argon'],
    });
  });

  it('pushes to a bare remote with --remote --push', async () => {
    const remote = await bareRepo(root, 'init-remote.git');
    const dir = path.join(root, 'pushed');
    const result = await cli(['init', dir, '--api', 'http://127.0.0.1:8080', '--remote', remote, '--push']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await runGit(remote, ['rev-parse', 'main']), await runGit(dir, ['rev-parse', 'HEAD']));
    assert.equal(await runGit(dir, ['remote', 'get-url', 'origin']), remote);
  });

  it('--force --push again pushes the rewritten config; a remote with other history is refused, the local commit kept', async () => {
    const remote = await bareRepo(root, 'init-again.git');
    const dir = path.join(root, 'again');
    assert.equal((await cli(['init', dir, '--api', 'http://a.example', '--remote', remote, '--push'])).code, 0);
    const again = await cli(['init', dir, '--api', 'http://b.example', '--remote', remote, '--push', '--force']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await runGit(remote, ['rev-parse', 'main']), await runGit(dir, ['rev-parse', 'HEAD']));
    assert.match(await runGit(remote, ['show', 'main:config.toml']), /^api = "http:\/\/b\.example"/m);
    assert.equal(await runGit(dir, ['status', '--porcelain']), '');

    const other = path.join(root, 'other');
    const refused = await cli(['init', other, '--api', 'http://c.example', '--remote', remote, '--push']);
    assert.equal(refused.code, 9, refused.stderr);
    assert.match(refused.stderr, /created and committed, but pushing it failed: origin's main has commits this index does not/);
    assert.equal(refused.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.match(await runGit(remote, ['show', 'main:config.toml']), /^api = "http:\/\/b\.example"/m);
    assert.equal(await runGit(other, ['log', '--format=%s']), 'init index');
  });

  it('refuses an existing index without --force and changes nothing', async () => {
    const dir = path.join(root, 'existing');
    assert.equal((await cli(['init', dir, '--api', 'http://a.example'])).code, 0);
    const before = await readFile(path.join(dir, 'config.toml'), 'utf8');
    const head = await runGit(dir, ['rev-parse', 'HEAD']);
    const refused = await cli(['init', dir, '--api', 'http://b.example']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already exists: pass --force/);
    assert.equal(refused.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.equal(await readFile(path.join(dir, 'config.toml'), 'utf8'), before);
    assert.equal(await runGit(dir, ['rev-parse', 'HEAD']), head);
    const forced = await cli(['init', dir, '--api', 'http://b.example', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(parseIndexConfig(await readFile(path.join(dir, 'config.toml'), 'utf8')).api, 'http://b.example');
    assert.equal(await runGit(dir, ['rev-list', '--count', 'HEAD']), '2');
  });

  it('refuses to prompt without a terminal', async () => {
    const dir = path.join(root, 'noprompt');
    const result = await cli(['init', dir]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--api <url> is required/);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['api not a URL', ['--api', 'registry'], /--api: "registry" is not an http\(s\) URL/],
    ['size not a number', ['--api', 'http://a.b', '--max-archive-size', '4MB'], /--max-archive-size: "4MB" is not a positive whole number/],
    ['bad allow list', ['--api', 'http://a.b', '--git-allowed', 'maybe'], /--git-allowed: "maybe" is not a URL/],
    ['bad package name', ['--api', 'http://a.b', '--scripts-packages', 'Pesde/Scripts'], /--scripts-packages: /],
    ['push without remote', ['--api', 'http://a.b', '--push'], /--push needs --remote/],
    ['unknown flag', ['--api', 'http://a.b', '--frobnicate'], /unknown option '--frobnicate'/],
  ];
  for (const [name, args, pattern] of bad) {
    it(`rejects ${name} with one line and no change`, async () => {
      const dir = path.join(root, `bad-${name.replace(/\W+/g, '-')}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'keep.txt'), 'x');
      const result = await cli(['init', dir, ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^error: /);
      await assert.rejects(readFile(path.join(dir, 'config.toml')));
      await assert.rejects(readFile(path.join(dir, '.git', 'HEAD')));
    });
  }
});
