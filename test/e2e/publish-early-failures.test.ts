/**
 * A publish starts two git writes early, beside other work: the claim's commit (as soon as
 * the archive names the version, while the fetch runs) and the index commit (while the
 * claim's push is on the way). A failure of either is not the publish's: the claim writes
 * its commit again, the writer builds the index commit again, and the publish lands. Only a
 * failure that comes back on the second try is reported, with git's reason, and changes
 * nothing.
 *
 * The failures are real git failures: a `git` first on PATH fails the calls matching a
 * pattern (the first one only, or every one) and runs the real git for all others.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLocalIndex } from '../../src/index-repo/local-index.js';
import { publishPackage } from '../../src/publish.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { pathExists } from '../../src/path-exists.js';
import { runGit } from '../helpers/git.js';
import { listFiles, setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage } from '../helpers/package-fixture.js';
import { assertRegistryError } from '../helpers/registry-error.js';

/** the claim's commit: a commit of the empty tree */
const CLAIM_COMMIT = '*commit-tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904*';
/** the index commit: a commit with a parent */
const INDEX_COMMIT = 'commit-tree * -p *';

describe('a publish whose early git writes fail', () => {
  let setup: IndexSetup;
  let shim: string;
  const realPath = process.env['PATH'] ?? '';
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-early-failures-' });
    shim = path.join(setup.root, 'shim');
    await mkdir(shim);
    await writeFile(path.join(shim, 'git'), [
      '#!/bin/sh',
      // $FAIL_PATTERN is a case pattern; with $FAIL_ONCE set, only the first matching call fails
      'case "$*" in',
      '  $FAIL_PATTERN)',
      '    if [ -z "$FAIL_ONCE" ] || [ ! -e "$FAIL_ONCE" ]; then',
      '      [ -n "$FAIL_ONCE" ] && : > "$FAIL_ONCE"',
      '      echo "fatal: injected failure" >&2',
      '      exit 128',
      '    fi;;',
      'esac',
      `exec ${realGit} "$@"`,
      '',
    ].join('\n'));
    await chmod(path.join(shim, 'git'), 0o755);
  });
  after(async () => {
    process.env['PATH'] = realPath;
    await setup?.cleanup();
  });

  /** publishes `name@1.0.0` in process with `git` failing the calls matching `pattern` */
  async function publishFailing(name: string, pattern: string, once: boolean): Promise<{ result: Promise<unknown>; mark: string }> {
    const mark = path.join(setup.root, `${name.replace('/', '-')}.failed`);
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const archive = await buildPackage({ name, version: '1.0.0' });
    process.env['PATH'] = `${shim}:${realPath}`;
    process.env['FAIL_PATTERN'] = pattern;
    process.env['FAIL_ONCE'] = once ? mark : '';
    const result = publishPackage({ index, storage: new FsStorage(setup.storage), ownIndexUrls: [] }, archive, { publisherId: 0 });
    result.catch(() => undefined);
    try {
      await result;
    } catch {
      // asserted by the caller
    } finally {
      process.env['PATH'] = realPath;
      delete process.env['FAIL_PATTERN'];
      delete process.env['FAIL_ONCE'];
    }
    return { result, mark };
  }

  const claims = () => runGit(setup.remote, ['for-each-ref', 'refs/registry-claims']);

  for (const [what, pattern] of [['the claim\'s commit', CLAIM_COMMIT], ['the index commit built ahead', INDEX_COMMIT]] as const) {
    it(`lands when ${what} fails once`, async () => {
      const name = pattern === CLAIM_COMMIT ? 'early/claim' : 'early/prepared';
      const { result, mark } = await publishFailing(name, pattern, true);
      await result;
      assert.ok(await pathExists(mark), 'the injected failure happened');
      assert.match(await runGit(setup.remote, ['show', `main:${name}`]), /^\["1\.0\.0 luau"\]$/m);
      assert.equal(await claims(), '');
    });
  }

  it('fails with git\'s reason, storing nothing, when the claim\'s commit fails every time', async () => {
    const tip = await runGit(setup.remote, ['rev-parse', 'main']);
    const stored = await listFiles(setup.storage);
    const { result } = await publishFailing('early/never', CLAIM_COMMIT, false);
    await assert.rejects(result, (error: unknown) => {
      assertRegistryError(error, 'git', /injected failure/);
      return true;
    });
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), tip);
    assert.deepEqual(await listFiles(setup.storage), stored);
    assert.equal(await claims(), '');
  });

  it('fails with git\'s reason, after giving its claim back, when every index commit fails', async () => {
    const tip = await runGit(setup.remote, ['rev-parse', 'main']);
    const { result } = await publishFailing('early/nocommit', INDEX_COMMIT, false);
    await assert.rejects(result, (error: unknown) => {
      assertRegistryError(error, 'git', /injected failure/);
      return true;
    });
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), tip);
    assert.equal(await claims(), '');
    // the uploads came before the commit: left for gc, named by nothing
    await rm(path.join(setup.storage, 'early', 'nocommit'), { recursive: true, force: true });
  });
});
