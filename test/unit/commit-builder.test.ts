/**
 * buildCommit on a real repository: the tree it writes from a base and a change is the tree
 * git itself writes for the same files through a work tree (root files, files in an existing
 * folder, in a new folder, a first commit), including when the early read of a folder's tree
 * by path fails and it falls back to the root's entry; paths it cannot write are refused
 * before any object is written.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCommit } from '../../src/index-repo/commit-builder.js';
import { BlobReader } from '../../src/index-repo/tree-reader.js';
import { GIT_TEST_ENV, runGit, tempDir } from '../helpers/git.js';
import { assertRegistryError } from '../helpers/registry-error.js';

const IDENTITY = {
  GIT_AUTHOR_NAME: GIT_TEST_ENV.GIT_AUTHOR_NAME!, GIT_AUTHOR_EMAIL: GIT_TEST_ENV.GIT_AUTHOR_EMAIL!,
  GIT_COMMITTER_NAME: GIT_TEST_ENV.GIT_COMMITTER_NAME!, GIT_COMMITTER_EMAIL: GIT_TEST_ENV.GIT_COMMITTER_EMAIL!,
};

describe('buildCommit', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let base: string;

  before(async () => {
    ({ dir, cleanup } = await tempDir('pesde-commit-builder-'));
    await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
    await writeFile(path.join(dir, 'config.toml'), 'api = "x"\n');
    for (const scope of ['alpha', 'beta', 'gamma']) {
      await mkdir(path.join(dir, scope));
      await writeFile(path.join(dir, scope, 'scope.toml'), `owners = [1]\n# ${scope}\n`);
      for (let i = 0; i < 5; i++) await writeFile(path.join(dir, scope, `pkg_${i}`), `# ${scope}/pkg_${i}\n`);
    }
    await runGit(dir, ['add', '-A']);
    await runGit(dir, ['commit', '--quiet', '-m', 'base']);
    base = await runGit(dir, ['rev-parse', 'HEAD']);
  });
  after(async () => cleanup());

  /** the tree git writes for `files` applied to `from` (null: an empty tree) through the work tree */
  async function expectedTree(from: string | null, files: Map<string, string>): Promise<string> {
    if (from === null) {
      await runGit(dir, ['read-tree', '--empty']);
      await rm(path.join(dir, 'config.toml'), { force: true });
    } else {
      await runGit(dir, ['read-tree', from]);
      await runGit(dir, ['checkout-index', '-a', '-f']);
    }
    for (const [file, content] of files) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
      await runGit(dir, ['add', file]);
    }
    return runGit(dir, ['write-tree']);
  }

  async function built(from: string | null, files: Map<string, string>, reader: BlobReader = BlobReader.open(dir)): Promise<{ tree: string; before: Map<string, unknown> }> {
    try {
      const result = await buildCommit(dir, reader, from, { message: 'change\n', files }, 'change\n', IDENTITY);
      const parents = await runGit(dir, ['log', '-1', '--format=%P', result.commit]);
      assert.equal(parents, from ?? '');
      return { tree: await runGit(dir, ['rev-parse', `${result.commit}^{tree}`]), before: result.before };
    } finally {
      reader.close();
    }
  }

  it('writes the tree git writes, for root files, an existing folder and a new one', async () => {
    const files = new Map([
      ['config.toml', 'api = "y"\n'],
      ['beta/pkg_2', '# changed\n'],
      ['beta/pkg_new', '# new\n'],
      ['delta/scope.toml', 'owners = [2]\n'],
      ['delta/pkg_0', '# delta\n'],
    ]);
    const { tree, before } = await built(base, files);
    assert.equal(tree, await expectedTree(base, files));
    assert.equal(before.get('beta/pkg_new'), null);
    assert.equal(before.get('delta/pkg_0'), null);
    assert.deepEqual(before.get('beta/pkg_2'), { mode: '100644', oid: await runGit(dir, ['rev-parse', `${base}:beta/pkg_2`]) });
    assert.ok(!before.has('beta') && !before.has('delta'), 'folders are not files a change had before');
  });

  it('writes a first commit (no base) from nothing', async () => {
    const files = new Map([['config.toml', 'api = "z"\n'], ['alpha/pkg_0', '# first\n']]);
    const { tree } = await built(null, files);
    assert.equal(tree, await expectedTree(null, files));
  });

  it('falls back to the root\'s entry when the folder\'s early read fails', async () => {
    const reader = BlobReader.open(dir);
    const readObject = reader.readObject.bind(reader);
    const asked: string[] = [];
    // the read by path fails; every other read is the real one
    reader.readObject = (spec: string) => {
      asked.push(spec);
      return spec === `${base}:gamma` ? Promise.reject(new Error('read failed')) : readObject(spec);
    };
    const files = new Map([['gamma/pkg_4', '# after a failed read\n']]);
    const { tree } = await built(base, files, reader);
    assert.equal(tree, await expectedTree(base, files));
    const gamma = await runGit(dir, ['rev-parse', `${base}:gamma`]);
    assert.ok(asked.includes(gamma), `the folder's tree was read by its id from the root: ${asked.join(', ')}`);
  });

  for (const bad of ['a/b/c', '/pkg', 'alpha//pkg', 'alpha/..', './config.toml', 'alpha/']) {
    it(`refuses ${JSON.stringify(bad)} before writing any object`, async () => {
      const objects = await runGit(dir, ['count-objects', '-v']);
      await assert.rejects(built(base, new Map([[bad, 'x\n']])), (error: unknown) => {
        assertRegistryError(error, 'git', /at most one folder deep/);
        return true;
      });
      assert.equal(await runGit(dir, ['count-objects', '-v']), objects);
    });
  }
});
