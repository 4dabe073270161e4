/**
 * The streamed listing a full load reads the index by: the layout's files in listing order,
 * in batches handed over while git still lists; a batch that fails ends the listing with its
 * error; a commit git does not know is one line naming it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { listIndexFiles, type ListedFile } from '../../src/server/index-listing.js';
import { GIT_TEST_ENV, runGit, tempDir } from '../helpers/git.js';

const PACKAGES = 2500;

async function index(dir: string): Promise<string> {
  await runGit(dir, ['init', '--quiet', '--initial-branch=main']);
  const lines = ['commit refs/heads/main', 'committer Test <test@localhost> 0 +0000', 'data 4', 'list'];
  const file = (path: string, text: string) => lines.push(`M 100644 inline ${path}`, `data ${Buffer.byteLength(text)}`, text);
  file('config.toml', 'api = "http://127.0.0.1:1"\n');
  file('README.md', 'not part of the layout\n');
  file('.github/ci.yml', 'neither\n');
  file('Bad-Scope/pkg', 'a name that is not a package name\n');
  file('scope_0/scope.toml', 'owners = []\n');
  for (let i = 0; i < PACKAGES; i++) file(`scope_${Math.floor(i / 100)}/pkg_${i}`, `# ${i}\n`);
  // a submodule where a package file could be: not a blob, so not a file of the layout
  lines.push(`M 160000 ${'1'.repeat(40)} scope_0/pkg_submodule`);
  lines.push('done', '');
  execFileSync('git', ['fast-import', '--quiet', '--done'], { cwd: dir, input: lines.join('\n'), env: { ...process.env, ...GIT_TEST_ENV } });
  return runGit(dir, ['rev-parse', 'main']);
}

describe('listIndexFiles', () => {
  it('hands over the layout files in listing order, in batches, and counts them', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const commit = await index(dir);
      const batches: ListedFile[][] = [];
      const count = await listIndexFiles(dir, commit, async (batch) => {
        batches.push(batch);
      });
      const files = batches.flat();
      assert.equal(count, PACKAGES + 2);
      assert.equal(files.length, count);
      assert.ok(batches.length > 1, `${batches.length} batch`);
      const listed = (await runGit(dir, ['ls-tree', '-r', '--name-only', '--full-tree', commit])).split('\n');
      assert.deepEqual(files.map((f) => f.path), listed.filter((p) => p === 'config.toml' || (p.startsWith('scope_') && p !== 'scope_0/pkg_submodule')));
      assert.deepEqual(new Set(files.map((f) => f.at.kind)), new Set(['config', 'scope', 'package']));
      const blobs = new Map((await runGit(dir, ['ls-tree', '-r', '--full-tree', '--format=%(path) %(objectname)', commit])).split('\n').map((l) => l.split(' ') as [string, string]));
      for (const f of files) assert.equal(f.oid, blobs.get(f.path), f.path);
    } finally {
      await cleanup();
    }
  });

  it('rejects with the error of a batch that fails, and with one line for a commit git does not know', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const commit = await index(dir);
      let handed = 0;
      await assert.rejects(
        listIndexFiles(dir, commit, async () => {
          handed++;
          throw new Error('this batch failed');
        }),
        /this batch failed/,
      );
      assert.ok(handed >= 1 && handed <= 3, `${handed} batches were handed over after the first failed`);
      await assert.rejects(listIndexFiles(dir, '0'.repeat(40), async () => undefined), (error: Error) => {
        assert.match(error.message, /^git ls-tree failed in .*: fatal: /);
        assert.ok(!error.message.includes('\n'), error.message);
        return true;
      });
    } finally {
      await cleanup();
    }
  });
});
