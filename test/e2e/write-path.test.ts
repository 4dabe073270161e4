/**
 * The one writer locks only its git steps: while one publish's upload is stuck in storage,
 * another publish in the same clone lands and the refresher picks up a third writer's push.
 * The stuck upload is a real file-system storage whose `put` for one key waits on a gate the
 * test opens, so the order of events is certain rather than a matter of timing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openLocalIndex } from '../../src/index-repo/local-index.js';
import { tipCommit } from '../../src/index-repo/local-index.js';
import { publishPackage, type WriteContext } from '../../src/publish.js';
import { IndexRefresher } from '../../src/server/index-refresher.js';
import { IndexState } from '../../src/server/index-state.js';
import { silentLogger } from '../../src/server/logger.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { cli } from '../helpers/cli.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { buildPackage, writePackage } from '../helpers/package-fixture.js';

/** Real storage, except that writing keys under `heldPrefix` waits until `release()`. */
function gatedStorage(inner: Storage, heldPrefix: string) {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const reached = new Promise<void>((resolve) => (entered = resolve));
  const storage: Storage = Object.assign(Object.create(inner) as Storage, {
    async put(key: string, body: Buffer) {
      if (key.startsWith(heldPrefix)) {
        entered();
        await opened;
      }
      return inner.put(key, body);
    },
  });
  return { storage, release, reached };
}

describe('a slow upload blocks nothing else', () => {
  let setup: IndexSetup;
  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-write-path-' });
  });
  after(async () => setup?.cleanup());

  it('another publish and a refresh complete while one upload is held', async () => {
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const fs = new FsStorage(setup.storage);
    const gate = gatedStorage(fs, 'slow/');
    const refresher = new IndexRefresher({ index, initial: await IndexState.load(index.dir, await tipCommit(index)), intervalMs: 0, logger: silentLogger });
    const ctx = (storage: Storage): WriteContext => ({ index, storage, ownIndexUrls: [] });

    let slowDone = false;
    const slow = publishPackage(ctx(gate.storage), await buildPackage({ name: 'slow/pkg', version: '1.0.0' }), { publisherId: 0 }).finally(() => {
      slowDone = true;
    });
    await gate.reached;

    const fast = await publishPackage(ctx(fs), await buildPackage({ name: 'fast/pkg', version: '1.0.0' }), { publisherId: 0 });
    assert.equal(fast.name, 'fast/pkg');
    assert.equal(slowDone, false, 'the held upload is still held');

    // a third writer pushes from its own clone; the refresher sees it without waiting for the held publish
    const other = await setup.cloneAnother('other-writer');
    const file = await writePackage(setup.root, 'other.tar.gz', { name: 'other/pkg', version: '1.0.0' });
    const pushed = await cli(['publish', file, '--index', other, '--storage-root', setup.storage]);
    assert.equal(pushed.code, 0, pushed.stderr);
    await refresher.refresh();
    assert.ok(refresher.state.packages.has('other/pkg'), 'the refresh saw the other writer');
    assert.ok(refresher.state.packages.has('fast/pkg'), 'and the fast publish');
    assert.equal(slowDone, false, 'all while the held upload is still held');

    gate.release();
    const held = await slow;
    assert.equal(held.name, 'slow/pkg');
    await refresher.refresh();
    assert.ok(refresher.state.packages.has('slow/pkg'));
    await refresher.stop();
    refresher.state.close();
  });
});
