import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parseIndexFile } from '../../src/index-repo/package-file.js';
import { cli, type CliResult } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { listFiles, setupIndex } from '../helpers/index-setup.js';
import { writePackage } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

describe('pesde-registry publish', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let remote: string;
  let clone: string;
  let storage: string;
  let n = 0;

  before(async () => {
    ({ root, remote, clone, storage, cleanup } = await setupIndex({ initArgs: ['--git-allowed', 'true'] }));
  });
  after(() => cleanup());

  async function publish(spec: Parameters<typeof writePackage>[2], args: string[] = [], index = clone): Promise<CliResult> {
    const file = await writePackage(root, `pkg-${++n}.tar.gz`, spec);
    return cli(['publish', file, '--index', index, '--storage-root', storage, ...args]);
  }

  /** what a rejected publish must leave alone */
  async function snapshot() {
    return {
      remote: await runGit(remote, ['rev-parse', 'main']),
      // the archive is read, and the claim's commit written, before the index's checks: none may leave a claim behind
      claims: await runGit(remote, ['for-each-ref', 'refs/registry-claims']),
      local: await runGit(clone, ['rev-parse', 'HEAD']),
      storage: await listFiles(storage),
      status: await runGit(clone, ['status', '--porcelain']),
    };
  }

  it('publishes a package of each target kind', async () => {
    for (const target of ['roblox', 'roblox_server', 'lune', 'luau'] as const) {
      const result = await publish({ name: `acme/kind_${target}`, version: '1.0.0', target }, ['--json']);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      const out = JSON.parse(result.stdout) as { name: string; version: string; target: string; commit: string; storageKeys: string[] };
      assert.equal(out.target, target);
      assert.deepEqual(out.storageKeys, [`acme/kind_${target}/1.0.0/${target}/pkg.tar.gz`]);
      assert.equal(await runGit(remote, ['rev-parse', 'main']), out.commit);
      assert.equal(await runGit(remote, ['log', '-1', '--format=%s', 'main']), `add acme/kind_${target}@1.0.0 ${target}`);
      const file = parseIndexFile(await runGit(remote, ['show', `main:acme/kind_${target}`]));
      assert.equal(file.entries.length, 1);
      assert.equal(file.entries[0]?.entry.target.environment, target);
      if (target === 'roblox' || target === 'roblox_server') assert.deepEqual(file.entries[0]?.entry.target.build_files, ['src']);
    }
    assert.equal(await runGit(remote, ['show', 'main:acme/scope.toml']), 'owners = [0]');
    // the local clone follows what was pushed
    assert.equal(await runGit(clone, ['rev-parse', 'HEAD']), await runGit(remote, ['rev-parse', 'main']));
  });

  it('stores the archive as uploaded, the README and doc pages gzipped', async () => {
    const file = await writePackage(root, 'docs.tar.gz', {
      name: 'acme/documented',
      version: '0.2.0-rc.1',
      files: {
        'README.md': '# Documented\n',
        'docs/intro.md': '---\nlabel: Start here\nsidebar_position: 1\n---\n# Intro\nHello',
        'docs/guides/_category_.json': '{"label": "Guides", "position": 2, "collapsed": true}',
        'docs/guides/first-steps.md': '# First steps\nDo this.',
      },
    });
    const result = await cli(['publish', file, '--index', clone, '--storage-root', storage]);
    assert.equal(result.code, 0, result.stderr);
    const base = path.join(storage, 'acme/documented/0.2.0-rc.1/luau');
    assert.deepEqual(await readFile(path.join(base, 'pkg.tar.gz')), await readFile(file));
    assert.equal(gunzipSync(await readFile(path.join(base, 'readme.gz'))).toString(), '# Documented\n');
    const entry = parseIndexFile(await runGit(remote, ['show', 'main:acme/documented'])).entries[0]!.entry;
    assert.equal(entry.docs?.length, 2);
    const [intro, guides] = entry.docs!;
    assert.equal(intro?.label, 'Start here');
    assert.equal(intro?.position, 1);
    assert.ok(intro && 'hash' in intro);
    assert.equal(gunzipSync(await readFile(path.join(storage, 'Doc', `${intro.hash}.gz`))).toString(), '---\nlabel: Start here\nsidebar_position: 1\n---\n# Intro\nHello');
    assert.ok(guides && 'items' in guides);
    assert.equal(guides.label, 'Guides');
    assert.equal(guides.collapsed, true);
    assert.equal(guides.items[0]?.label, 'First steps');
    assert.ok(guides.items[0] && 'name' in guides.items[0] && guides.items[0].name === 'guides/first-steps');
  });

  it('publishes a second target of one version, and refuses a different description', async () => {
    assert.equal((await publish({ name: 'acme/multi', version: '2.0.0', target: 'luau' })).code, 0);
    assert.equal((await publish({ name: 'acme/multi', version: '2.0.0', target: 'roblox' })).code, 0);
    const file = parseIndexFile(await runGit(remote, ['show', 'main:acme/multi']));
    assert.deepEqual(file.entries.map((e) => e.id.target), ['roblox', 'luau']);
    const before = await snapshot();
    const differs = await publish({ name: 'acme/multi', version: '2.0.0', target: 'lune', description: 'something else' });
    assert.equal(differs.code, 3);
    assert.match(differs.stderr, /different description/);
    assert.deepEqual(await snapshot(), before);
  });

  it('answers a conflict with exit 4 and changes nothing', async () => {
    const before = await snapshot();
    const result = await publish({ name: 'acme/multi', version: '2.0.0', target: 'luau' });
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /already published/);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses a publisher who does not own the scope (exit 5)', async () => {
    const before = await snapshot();
    const result = await publish({ name: 'acme/intruder', version: '1.0.0' }, ['--owner', '42']);
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /not an owner of scope "acme"/);
    assert.deepEqual(await snapshot(), before);
    const own = await publish({ name: 'other/mine', version: '1.0.0' }, ['--owner', '42']);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(await runGit(remote, ['show', 'main:other/scope.toml']), 'owners = [42]');
  });

  const rejections: Array<[string, Parameters<typeof writePackage>[2], RegExp]> = [
    ['an invalid name', { name: 'Acme/Bad', version: '1.0.0' }, /name/i],
    ['an invalid version', { name: 'acme/badver', version: '1.0' }, /version/i],
    ['a roblox target without build_files', { name: 'acme/nobuild', version: '1.0.0', manifest: 'name = "acme/nobuild"\nversion = "1.0.0"\n[target]\nenvironment = "roblox"\nlib = "src/init.luau"\n' }, /build_files/],
    ['a path dependency', { name: 'acme/pathdep', version: '1.0.0', extra: '[dependencies]\nfoo = { path = "../foo" }\n' }, /path dependenc/i],
    ['a forbidden root file', { name: 'acme/forbidden', version: '1.0.0', files: { 'default.project.json': '{}' } }, /forbidden/],
    ['two READMEs', { name: 'acme/readmes', version: '1.0.0', files: { 'README.md': 'a', 'readme.txt': 'b' } }, /readme/i],
    ['a wally dependency when wally is not allowed', { name: 'acme/wallydep', version: '1.0.0', extra: '[dependencies]\nfoo = { wally = "wally#a/b", version = "^1.0.0", index = "https://github.com/UpliftGames/wally-index" }\n' }, /wally/i],
    ['a pesde dependency on an unknown index', { name: 'acme/otherdep', version: '1.0.0', extra: '[dependencies]\nfoo = { name = "abc/b", version = "^1.0.0", index = "https://example.com/other-index" }\n' }, /index/i],
  ];
  for (const [what, spec, pattern] of rejections) {
    it(`rejects ${what} with exit 3, one line, and no change`, async () => {
      const before = await snapshot();
      const result = await publish(spec);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').filter((l) => l.startsWith('error:')).length, 1, result.stderr);
      assert.deepEqual(await snapshot(), before);
    });
  }

  it('refuses an archive over max_archive_size (config.toml) with no change', async () => {
    const before = await snapshot();
    const big = await writePackage(root, 'big.tar.gz', { name: 'acme/big', version: '1.0.0', files: { 'blob.txt': randomBytes(5_000_000).toString('base64') } });
    assert.ok((await stat(big)).size > 4 * 1024 * 1024);
    // a valid package: read early, it would have its claim's commit written in the clone
    const objects = await runGit(clone, ['count-objects']);
    const result = await cli(['publish', big, '--index', clone, '--storage-root', storage]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /max_archive_size|larger|too large/i);
    assert.deepEqual(await snapshot(), before);
    assert.equal(await runGit(clone, ['count-objects']), objects, 'an archive over the default limit is not read before the config is');
  });

  it('checks max_archive_size before what the archive holds, though it reads the archive first', async () => {
    // a limit below the default, so the archive over it is still read beside the fetch
    const small = await setupIndex({ initArgs: ['--max-archive-size', String(1024 * 1024)] });
    try {
      const before = { remote: await runGit(small.remote, ['rev-parse', 'main']), claims: await runGit(small.remote, ['for-each-ref', 'refs/registry-claims']) };
      // not gzip at all: read alone, this is "not gzip-compressed"; the index's limit speaks first
      const junk = path.join(small.root, 'junk.tar.gz');
      await writeFile(junk, randomBytes(1024 * 1024 + 1));
      const result = await cli(['publish', junk, '--index', small.clone, '--storage-root', small.storage]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /max_archive_size/);
      assert.doesNotMatch(result.stderr, /gzip/);
      assert.deepEqual({ remote: await runGit(small.remote, ['rev-parse', 'main']), claims: await runGit(small.remote, ['for-each-ref', 'refs/registry-claims']) }, before);
      assert.deepEqual(await listFiles(small.storage), []);
    } finally {
      await small.cleanup();
    }
  });

  it('publishes an archive over the default limit to an index whose max_archive_size allows it', async () => {
    // no early read for it (the default limit is passed): it is read after the config instead
    const big = await setupIndex({ initArgs: ['--max-archive-size', String(8 * 1024 * 1024)] });
    try {
      const file = await writePackage(big.root, 'big.tar.gz', { name: 'acme/big_allowed', version: '1.0.0', files: { 'blob.txt': randomBytes(5_000_000).toString('base64') } });
      assert.ok((await stat(file)).size > 4 * 1024 * 1024);
      const result = await cli(['publish', file, '--index', big.clone, '--storage-root', big.storage, '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await runGit(big.remote, ['log', '-1', '--format=%s', 'main']), 'add acme/big_allowed@1.0.0 luau');
      assert.deepEqual(await readFile(path.join(big.storage, 'acme/big_allowed/1.0.0/luau/pkg.tar.gz')), await readFile(file));
    } finally {
      await big.cleanup();
    }
  });

  it('--dry-run validates and prints the entry without changing anything', async () => {
    const before = await snapshot();
    const result = await publish({ name: 'acme/dry', version: '1.0.0' }, ['--dry-run', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { dryRun: boolean; entry: { description: string; target: { environment: string } } };
    assert.equal(out.dryRun, true);
    assert.equal(out.entry.description, 'A test package');
    assert.deepEqual(await snapshot(), before);
  });

  it('without storage it fails with exit 2 before touching anything', async () => {
    const file = await writePackage(root, 'nostorage.tar.gz', { name: 'acme/nostorage', version: '1.0.0' });
    const before = await snapshot();
    const result = await cli(['publish', file, '--index', clone]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no storage configured/);
    assert.deepEqual(await snapshot(), before);
  });

  it('--json reports errors with their code', async () => {
    const result = await publish({ name: 'acme/multi', version: '2.0.0', target: 'luau' }, ['--json']);
    assert.equal(result.code, 4);
    assert.deepEqual(Object.keys(JSON.parse(result.stdout) as object).sort(), ['code', 'error', 'exitCode']);
  });

  it('--no-push commits to a repository without a remote', async () => {
    const local = path.join(root, 'local-only');
    assert.equal((await cli(['init', local, '--api', 'http://127.0.0.1:1'])).code, 0);
    const result = await publish({ name: 'solo/pkg', version: '1.0.0' }, ['--no-push'], local);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await runGit(local, ['log', '-1', '--format=%s']), 'add solo/pkg@1.0.0 luau');
    assert.equal(await runGit(local, ['status', '--porcelain']), '');
    assert.ok((await readFile(path.join(local, 'solo/pkg'), 'utf8')).includes('["1.0.0 luau"]'));
    const withoutFlag = await publish({ name: 'solo/pkg2', version: '1.0.0' }, [], local);
    assert.equal(withoutFlag.code, 2);
    assert.match(withoutFlag.stderr, /no "origin" remote/);
  });

  it('names a lock left in the remote by a killed push instead of retrying forever', async () => {
    const lock = path.join(remote, 'refs', 'heads', 'main.lock');
    await writeFile(lock, '');
    try {
      const before = await runGit(remote, ['rev-parse', 'main']);
      const result = await publish({ name: 'acme/locked', version: '1.0.0' });
      assert.equal(result.code, 9, result.stderr);
      assert.match(result.stderr, /stays locked by .*main\.lock.*delete that file/);
      assert.equal(await runGit(remote, ['rev-parse', 'main']), before);
    } finally {
      await rm(lock, { force: true });
    }
    assert.equal((await publish({ name: 'acme/locked', version: '1.0.0' })).code, 0);
  });

  it('warns when the pushed commit cannot be checked out locally, and still succeeds', async () => {
    const lock = path.join(clone, '.git', 'index.lock');
    await writeFile(lock, '');
    try {
      const result = await publish({ name: 'acme/behind', version: '1.0.0' });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^warning: the commit landed, but the checkout in .* could not be fast-forwarded/m);
    } finally {
      await rm(lock, { force: true });
    }
    await runGit(clone, ['merge', '--ff-only', '--quiet', 'origin/main']);
  });

  it('8 publishers in 8 clones pushing at once all land, with a linear history', async () => {
    const clones = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const dir = path.join(root, `racer-${i}`);
        await runGit(root, ['clone', '--quiet', remote, dir]);
        return dir;
      }),
    );
    const files = await Promise.all(clones.map((_, i) => writePackage(root, `race-${i}.tar.gz`, { name: `race/pkg_${i}`, version: '1.0.0' })));
    const before = Number(await runGit(remote, ['rev-list', '--count', 'main']));
    const results = await Promise.all(clones.map((dir, i) => cli(['publish', files[i]!, '--index', dir, '--storage-root', storage])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(Number(await runGit(remote, ['rev-list', '--count', 'main'])), before + 8);
    assert.equal(await runGit(remote, ['rev-list', '--merges', '--count', 'main']), '0');
    const tree = await runGit(remote, ['ls-tree', '-r', '--name-only', 'main', 'race/']);
    assert.equal(tree.split('\n').filter((p) => /race\/pkg_\d$/.test(p)).length, 8);
  });

  describe('with S3 storage', () => {
    let s3: TestS3;
    before(async () => {
      s3 = await startS3();
    });
    after(() => s3.dispose());

    it('stores in the bucket and, with S3 down, fails cleanly with the index untouched', async () => {
      const ok = await publish({ name: 'cloud/pkg', version: '1.0.0' }, []);
      assert.equal(ok.code, 0);
      const file = await writePackage(root, 's3.tar.gz', { name: 'cloud/s3pkg', version: '1.0.0', files: { 'README.md': 'hi' } });
      const env = { ...s3.env };
      const stored = await cli(['publish', file, '--index', clone], { env });
      assert.equal(stored.code, 0, stored.stderr);
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'cloud/s3pkg/1.0.0/luau/pkg.tar.gz' }));
      assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), await readFile(file));

      await s3.stop();
      const before = await snapshot();
      const down = await cli(['publish', await writePackage(root, 's3down.tar.gz', { name: 'cloud/down', version: '1.0.0' }), '--index', clone], { env });
      assert.equal(down.code, 8, down.stderr);
      assert.match(down.stderr, /storage|S3|connect/i);
      assert.deepEqual(await snapshot(), before);
      await s3.restart();
    });
  });
});
