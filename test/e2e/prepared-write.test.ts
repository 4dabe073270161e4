/**
 * A publish builds its index commit while its claim's push is on the way (`prepareCommit`)
 * and hands it to the writer, which pushes it only when it is still built on the tip it
 * finds; otherwise it builds the change again, as it always did. Real git throughout: a bare
 * origin, clones, the CLI for the other writers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { prepareCommit, writeIndex, type IndexWriteRequest, type PreparedCommit } from '../../src/index-repo/index-writer.js';
import { openLocalIndex, tipCommit, type LocalIndex } from '../../src/index-repo/local-index.js';
import { BlobReader } from '../../src/index-repo/tree-reader.js';
import { publishPackage } from '../../src/publish.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { listFiles, setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage, writePackage } from '../helpers/package-fixture.js';

/** A change that adds one file, the way a publish adds a package file. */
function addFile(filePath: string, text: string): IndexWriteRequest {
  return { kind: 'config', actor: 'test', build: async () => ({ message: `add ${filePath}`, files: new Map([[filePath, text]]) }) };
}

/** A change adding `filePath`, prepared on the clone's tip and handed to `test` with its open reader. */
async function withPrepared(
  clone: string,
  filePath: string,
  text: string,
  test: (index: LocalIndex, request: IndexWriteRequest, prepared: PreparedCommit) => Promise<void>,
): Promise<void> {
  const index = await openLocalIndex(clone, { requireRemote: true, keepFacts: true });
  const reader = BlobReader.open(index.dir);
  try {
    const request = { ...addFile(filePath, text), reader, alreadyFetched: true };
    await test(index, request, await prepareCommit(index, request, await tipCommit(index), reader));
  } finally {
    reader.close();
  }
}

/** Another writer's publish from its own clone, through the CLI. */
async function publishElsewhere(setup: IndexSetup, clone: string, name: string): Promise<void> {
  const archive = await writePackage(setup.root, `${name.replace('/', '_')}.tar.gz`, { name, version: '1.0.0' });
  const run = await cli(['publish', archive, '--index', clone, '--storage-root', setup.storage]);
  assert.equal(run.code, 0, run.stderr);
}

describe('a commit built ahead of its write', () => {
  let setup: IndexSetup;
  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-prepared-write-' });
  });
  after(async () => setup?.cleanup());

  it('is pushed as built when the tip has not moved, and named by no ref before', async () => {
    const base = await runGit(setup.remote, ['rev-parse', 'main']);
    await withPrepared(setup.clone, 'notes/ahead', 'built ahead\n', async (index, request, prepared) => {
      assert.equal(prepared.base, base);
      assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), base, 'nothing pushed while preparing');
      assert.equal(await runGit(setup.clone, ['for-each-ref', '--points-at', prepared.commit]), '', 'no local ref names it');

      // a rebuild on the same base in the same second would give the same commit: it must not happen at all
      const written = await writeIndex(index, { ...request, build: () => Promise.reject(new Error('built again')), prepared });
      assert.equal(written.commit, prepared.commit, 'the prepared commit is the one pushed');
      assert.equal(written.attempts, 1);
      assert.equal(written.localUpdated, true);
      assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), prepared.commit);
      assert.equal(await runGit(setup.remote, ['show', 'main:notes/ahead']), 'built ahead');
      assert.equal(await runGit(setup.clone, ['rev-parse', 'HEAD']), prepared.commit, 'the checkout followed');
      assert.equal(await runGit(setup.clone, ['status', '--porcelain']), '');
    });
  });

  it('is built again on the new tip when another writer pushed after it was built', async () => {
    await withPrepared(setup.clone, 'notes/later', 'built again\n', async (index, request, prepared) => {
      await publishElsewhere(setup, await setup.cloneAnother('other-writer'), 'other/pkg');
      const otherTip = await runGit(setup.remote, ['rev-parse', 'main']);

      // the clone still believes the old tip is current: the first push is refused, the retry builds anew
      const written = await writeIndex(index, { ...request, prepared });
      assert.notEqual(written.commit, prepared.commit, 'a commit on an old base is never pushed');
      assert.equal(written.attempts, 2);
      assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), written.commit);
      assert.equal(await runGit(setup.remote, ['rev-parse', 'main^']), otherTip, 'built on what the other writer pushed');
      assert.equal(await runGit(setup.remote, ['show', 'main:notes/later']), 'built again');
      assert.match(await runGit(setup.remote, ['show', 'main:other/pkg']), /1\.0\.0/, "the other writer's entry is kept");
      await assert.rejects(runGit(setup.remote, ['cat-file', '-e', prepared.commit]), 'the prepared commit never reached the origin');
    });
  });

  it('a publish whose checks read an old tip claims again on the new one and lands on top of it', async () => {
    // this clone's view of origin is stale: its caller says it fetched, but another writer pushed since
    const index = await openLocalIndex(await setup.cloneAnother('stale'), { requireRemote: true, keepFacts: true });
    const staleTip = await tipCommit(index);
    await publishElsewhere(setup, await setup.cloneAnother('third-writer'), 'third/pkg');
    const newTip = await runGit(setup.remote, ['rev-parse', 'main']);
    assert.notEqual(newTip, staleTip);

    const result = await publishPackage(
      { index, storage: new FsStorage(setup.storage), ownIndexUrls: [] },
      await buildPackage({ name: 'stale/pkg', version: '1.0.0' }),
      { publisherId: 0, fetched: Promise.resolve() },
    );
    assert.equal(result.attempts, 1, 'the claim saw the new tip, so the write built on it at once');
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), result.commit);
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main^']), newTip);
    assert.match(await runGit(setup.remote, ['show', 'main:third/pkg']), /1\.0\.0/);
    assert.match(await runGit(setup.remote, ['show', 'main:stale/pkg']), /1\.0\.0/);
    assert.equal(await runGit(setup.remote, ['for-each-ref', 'refs/registry-claims']), '', 'the claim was released in the same push');
  });
});

describe("the CLI's fetch, started while the archive is read", () => {
  let setup: IndexSetup;
  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-early-fetch-' });
    // an origin that cannot be fetched from: the fetch the CLI starts first fails
    await runGit(setup.clone, ['remote', 'set-url', 'origin', `${setup.root}/gone.git`]);
  });
  after(async () => setup?.cleanup());

  it('does not get ahead of an archive that cannot be read (exit 2, about the archive)', async () => {
    const run = await cli(['publish', `${setup.root}/missing.tar.gz`, '--index', setup.clone, '--storage-root', setup.storage, '--json']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stdout, /missing\.tar\.gz/);
    assert.doesNotMatch(run.stdout, /gone\.git/);
  });

  it('fails the publish with its own error when the archive is fine (exit 9), storing nothing', async () => {
    const archive = await writePackage(setup.root, 'ok.tar.gz', { name: 'acme/ok', version: '1.0.0' });
    const run = await cli(['publish', archive, '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(run.code, 9, run.stderr);
    assert.match(run.stderr, /fetch/);
    assert.deepEqual(await listFiles(setup.storage), [], 'nothing stored');
  });
});
