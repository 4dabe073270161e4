/**
 * A claim that lands after the version did. `git push` leaves out a ref it finds unchanged, so
 * the claim's condition "the branch is still where the checks ran" is only checked against what
 * the remote advertised before the push; another writer's publish can land in between. A
 * pre-receive hook (helpers/land-on-claim.ts) lands one at exactly that moment: the second publish
 * must then be a conflict that stores nothing, not an upload over the winner's archive.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLocalIndex } from '../../src/index-repo/local-index.js';
import { parsePackageName } from '../../src/index-repo/names.js';
import { claimVersion } from '../../src/index-repo/version-claim.js';
import { pathExists } from '../../src/path-exists.js';
import { archiveKey } from '../../src/storage/keys.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { LANDED_REF, landOnNextClaim } from '../helpers/land-on-claim.js';
import { writePackage } from '../helpers/package-fixture.js';

describe('a claim pushed while another writer lands the same version', () => {
  let setup: IndexSetup;
  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-claim-landing-' });
  });
  after(async () => setup?.cleanup());

  /** publishes `name@1.0.0` from another clone, then hides that commit at LANDED_REF with the branch back where it was */
  async function publishAndRewind(name: string): Promise<{ before: string; file: string }> {
    const before = await runGit(setup.remote, ['rev-parse', 'main']);
    const other = await setup.cloneAnother(`winner-${name.replace('/', '-')}`);
    const file = await writePackage(setup.root, `${name.replace('/', '-')}-a.tar.gz`, { name, version: '1.0.0', files: { 'README.md': '# a\n' } });
    const published = await cli(['publish', file, '--index', other], { env: { FS_STORAGE_ROOT: setup.storage } });
    assert.equal(published.code, 0, published.stderr);
    await runGit(setup.remote, ['update-ref', LANDED_REF, 'main']);
    await runGit(setup.remote, ['update-ref', 'refs/heads/main', before]);
    await landOnNextClaim(setup.remote, before);
    return { before, file };
  }

  it('is a conflict that leaves the winner\'s archive as it was', async () => {
    const { file } = await publishAndRewind('raced/pkg');
    const winner = await readFile(file);
    const loser = await writePackage(setup.root, 'raced-pkg-b.tar.gz', { name: 'raced/pkg', version: '1.0.0', files: { 'README.md': '# b\n' } });
    const result = await cli(['publish', loser, '--index', setup.clone], { env: { FS_STORAGE_ROOT: setup.storage } });
    assert.equal(result.code, 4, `${result.code}: ${result.stderr}`);
    assert.match(result.stderr, /already published|exists/i);
    const stored = await readFile(path.join(setup.storage, archiveKey(parsePackageName('raced/pkg'), { version: '1.0.0', target: 'luau' })));
    assert.ok(stored.equals(winner), 'storage holds the archive of the publish that landed');
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), await runGit(setup.remote, ['rev-parse', LANDED_REF]), 'the index is the winner\'s');
    assert.equal(await runGit(setup.remote, ['for-each-ref', 'refs/registry-claims']), '', 'the late claim was given back');
  });

  it('is answered "moved" by the claim itself, which gives the claim back', async () => {
    const { before } = await publishAndRewind('raced/other');
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    await runGit(setup.clone, ['fetch', '--quiet', 'origin']);
    const attempt = await claimVersion(index, parsePackageName('raced/other'), { version: '1.0.0', target: 'luau' }, before, 'test');
    assert.equal(attempt.kind, 'moved');
    assert.equal(await runGit(setup.remote, ['for-each-ref', 'refs/registry-claims']), '');
  });

  it('fails, storing nothing, when the branch cannot be read once the claim is held', async () => {
    // the origin goes away right after the claim lands, so the read of the branch that follows fails
    const hook = path.join(setup.remote, 'hooks', 'post-receive');
    await writeFile(hook, ['#!/bin/sh', 'if grep -q refs/registry-claims/; then rm -f "$0"; mv "$PWD" "$PWD.gone"; fi', ''].join('\n'));
    await chmod(hook, 0o755);
    const file = await writePackage(setup.root, 'vanish.tar.gz', { name: 'raced/vanish', version: '1.0.0' });
    try {
      const result = await cli(['publish', file, '--index', setup.clone], { env: { FS_STORAGE_ROOT: setup.storage } });
      assert.equal(result.code, 9, `${result.code}: ${result.stderr}`);
      assert.equal(await pathExists(path.join(setup.storage, 'raced', 'vanish')), false, 'nothing was uploaded');
    } finally {
      await rename(`${setup.remote}.gone`, setup.remote).catch(() => undefined);
    }
    // the claim could not be given back to an origin that was gone: it stays until its holder is found gone
    assert.match(await runGit(setup.remote, ['for-each-ref', 'refs/registry-claims']), /raced\/vanish/);
  });
});
