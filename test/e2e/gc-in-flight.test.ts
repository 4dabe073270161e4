/**
 * `gc --delete` against publishes under way, through the real CLI and file storage. Its plan
 * (one listing, one index read) is not one instant with its deletes, so it holds the claim of
 * every version it deletes objects of and reads the index again first. An orphan whose version
 * a publish is uploading (a retry of the publish that left it) stays, and so does every doc
 * page while any publish is under way; an orphan a publish landed between the plan and the
 * claims (a pre-receive hook lands it at exactly that moment) stays. gc gives back every
 * claim it took and none that it did not.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLocalIndex, tipCommit } from '../../src/index-repo/local-index.js';
import { parsePackageName } from '../../src/index-repo/names.js';
import { holdVersions } from '../../src/index-repo/held-versions.js';
import { PUSH_EACH_CHUNK } from '../../src/index-repo/ref-push.js';
import { abandonClaim, claimRefOfVersionDir, claimVersion } from '../../src/index-repo/version-claim.js';
import { pathExists } from '../../src/path-exists.js';
import { publishPackage } from '../../src/publish.js';
import { FsStorage } from '../../src/storage/fs-storage.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { startTestServer } from '../helpers/http.js';
import { setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { LANDED_REF, landOnNextClaim } from '../helpers/land-on-claim.js';
import { buildPackage, writePackage } from '../helpers/package-fixture.js';
import { assertRegistryError } from '../helpers/registry-error.js';

const TWO_DAYS_AGO = new Date(Date.now() - 2 * 86_400_000);
const RETRIED = 'acme/retried/1.0.0/luau/pkg.tar.gz';
const ORPHAN_DOC = `Doc/${'cd'.repeat(32)}.gz`;

interface GcJson {
  deleted: number;
  inFlight: number;
  orphans: Array<{ key: string }>;
}

describe('gc --delete while publishes are under way', () => {
  let setup: IndexSetup;
  before(async () => {
    setup = await setupIndex({ prefix: 'pesde-gc-flight-' });
    const file = await writePackage(setup.root, 'base.tar.gz', { name: 'acme/base', version: '1.0.0' });
    const published = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(published.code, 0, published.stderr);
  });
  after(async () => setup?.cleanup());

  async function putOld(key: string, body: string): Promise<void> {
    const file = path.join(setup.storage, key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
    await utimes(file, TWO_DAYS_AGO, TWO_DAYS_AGO);
  }

  async function gcDelete(): Promise<GcJson> {
    const result = await cli(['gc', '--json', '--delete', '--older-than', '0', '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    return JSON.parse(result.stdout) as GcJson;
  }

  const claims = () => runGit(setup.remote, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/registry-claims']);
  const stored = (key: string) => pathExists(path.join(setup.storage, key));

  it('leaves the objects of a version a publish is writing, and every doc page, until that publish is done', async () => {
    await putOld(RETRIED, 'left by a publish that failed');
    await putOld(ORPHAN_DOC, 'a doc page nothing names');
    // the retry of that publish holds its claim while it uploads
    const publisher = await openLocalIndex(await setup.cloneAnother('retry'), { requireRemote: true });
    const attempt = await claimVersion(publisher, parsePackageName('acme/retried'), { version: '1.0.0', target: 'luau' }, await tipCommit(publisher), 'publisher 0');
    assert.equal(attempt.kind, 'claimed');
    const before = await claims();

    const during = await gcDelete();
    assert.deepEqual(during.orphans.map((o) => o.key).sort(), [ORPHAN_DOC, RETRIED].sort(), 'both are planned as orphans');
    assert.equal(during.deleted, 0);
    assert.equal(during.inFlight, 2);
    assert.ok(await stored(RETRIED), 'the archive being written is kept');
    assert.ok(await stored(ORPHAN_DOC), 'doc pages are kept while a publish is under way');
    assert.equal(await claims(), before, 'the publish\'s claim is still its own, and gc left none of its own');

    if (attempt.kind === 'claimed') await abandonClaim(publisher, attempt.claim);
    const afterwards = await gcDelete();
    assert.equal(afterwards.deleted, 2);
    assert.equal(afterwards.inFlight, 0);
    assert.equal(await stored(RETRIED), false);
    assert.equal(await stored(ORPHAN_DOC), false);
    assert.equal(await claims(), '');
  });

  it('leaves the objects of a version a publish landed after the plan was made', async () => {
    // a publish that lands while gc plans: its archive is already in storage, its index commit
    // arrives between gc's first read and its claims
    const tip = await runGit(setup.remote, ['rev-parse', 'main']);
    const other = await setup.cloneAnother('lander');
    const file = await writePackage(setup.root, 'landed.tar.gz', { name: 'acme/landed', version: '1.0.0' });
    const published = await cli(['publish', file, '--index', other, '--storage-root', setup.storage]);
    assert.equal(published.code, 0, published.stderr);
    const key = 'acme/landed/1.0.0/luau/pkg.tar.gz';
    await utimes(path.join(setup.storage, key), TWO_DAYS_AGO, TWO_DAYS_AGO);
    await runGit(setup.remote, ['update-ref', LANDED_REF, 'main']);
    await runGit(setup.remote, ['update-ref', 'refs/heads/main', tip]);
    await landOnNextClaim(setup.remote, tip);

    const result = await gcDelete();
    assert.deepEqual(result.orphans.map((o) => o.key), [key], 'planned as an orphan on the tip read first');
    assert.equal(result.deleted, 0);
    assert.equal(result.inFlight, 1);
    assert.ok(await stored(key), 'the archive the index names now is kept');
    assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), await runGit(setup.remote, ['rev-parse', LANDED_REF]));
    assert.equal(await claims(), '', 'gc gave its claims back');
  });

  it('holds claims in a repository without a remote the same way: a claim another writer has is refused, and only its own are given back', async () => {
    const local = path.join(setup.root, 'local');
    await runGit(setup.root, ['clone', '--quiet', setup.remote, local]);
    await runGit(local, ['remote', 'remove', 'origin']);
    const index = await openLocalIndex(local, { requireRemote: false });
    const taken = claimRefOfVersionDir('acme/taken/1.0.0/luau');
    const free = claimRefOfVersionDir('acme/free/1.0.0/luau');
    await runGit(local, ['update-ref', taken, 'HEAD']);
    const hold = await holdVersions(index, [taken, free, free], 'test');
    assert.deepEqual([...hold.held], [free]);
    assert.deepEqual(hold.others, [taken]);
    await hold.release();
    assert.equal(await runGit(local, ['for-each-ref', '--format=%(refname)', 'refs/registry-claims']), taken);
  });

  it('makes a publish of a version gc holds wait for it, not fail', async () => {
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const ref = claimRefOfVersionDir('acme/waits/1.0.0/luau');
    const hold = await holdVersions(index, [ref], 'pesde-registry gc --delete');
    assert.deepEqual([...hold.held], [ref]);
    // not a local clone: that would copy every object, gc's claim commit too, and the
    // publisher would have no need to fetch it, which is how the test sees it met the hold
    const publisher = path.join(setup.root, 'waiter');
    await runGit(setup.root, ['clone', '--quiet', '--no-local', setup.remote, publisher]);
    const file = await writePackage(setup.root, 'waits.tar.gz', { name: 'acme/waits', version: '1.0.0' });
    const publishing = cli(['publish', file, '--index', publisher, '--storage-root', setup.storage]);
    // the publisher fetches a claim it meets into a ref of its own to judge it: once that is
    // there, it has met gc's hold, and gc gives it back
    const seen = ref.replace('refs/registry-claims', 'refs/registry-claims-seen');
    for (let i = 0; i < 600; i++) {
      if ((await runGit(publisher, ['for-each-ref', seen])) !== '') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.notEqual(await runGit(publisher, ['for-each-ref', seen]), '', 'the publish met the hold');
    await hold.release();
    const result = await publishing;
    assert.equal(result.code, 0, result.stderr);
    assert.match(await runGit(setup.remote, ['show', 'main:acme/waits']), /1\.0\.0/);
    assert.equal(await claims(), '');
  });

  it('makes a publish through the server (POST /v1/packages) of a version gc holds wait for it and answer 200', async () => {
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const ref = claimRefOfVersionDir('acme/served_wait/1.0.0/luau');
    const hold = await holdVersions(index, [ref], 'pesde-registry gc --delete');
    const dataDir = path.join(setup.root, 'served-wait');
    // a file:// URL: a clone by plain path would hard-link every object, gc's claim commit too,
    // and the server would have no need to fetch it, which is how the test sees it met the hold
    const server = await startTestServer({ env: { INDEX_REPO_URL: `file://${setup.remote}`, FS_STORAGE_ROOT: setup.storage }, flags: { dataDir, publishRateLimit: 'off' } });
    try {
      const archive = await buildPackage({ name: 'acme/served_wait', version: '1.0.0' });
      const answering = server.get('/v1/packages', { method: 'POST', body: archive, headers: { 'content-type': 'application/octet-stream' } });
      const seen = ref.replace('refs/registry-claims', 'refs/registry-claims-seen');
      for (let i = 0; i < 600 && (await runGit(server.index.dir, ['for-each-ref', seen])) === ''; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.notEqual(await runGit(server.index.dir, ['for-each-ref', seen]), '', 'the publish met the hold');
      await hold.release();
      const answer = await answering;
      assert.equal(answer.status, 200, answer.text);
      assert.match(await runGit(setup.remote, ['show', 'main:acme/served_wait']), /1\.0\.0/);
      assert.equal(await stored('acme/served_wait/1.0.0/luau/pkg.tar.gz'), true);
      assert.equal(await claims(), '');
    } finally {
      await hold.release().catch(() => undefined);
      await server.dispose();
    }
  });

  it('gives a publish of a version gc holds for too long a 409 after the wait, with nothing uploaded or landed and gc\'s hold left alone', async () => {
    const index = await openLocalIndex(setup.clone, { requireRemote: true });
    const ref = claimRefOfVersionDir('acme/outwaited/1.0.0/luau');
    const hold = await holdVersions(index, [ref], 'pesde-registry gc --delete');
    try {
      const tip = await runGit(setup.remote, ['rev-parse', 'main']);
      const held = await runGit(setup.remote, ['rev-parse', ref]);
      const archive = await buildPackage({ name: 'acme/outwaited', version: '1.0.0' });
      const started = Date.now();
      await assert.rejects(publishPackage({ index, storage: new FsStorage(setup.storage), ownIndexUrls: [], briefWaitMs: 1500 }, archive, { publisherId: 0 }), (error: unknown) => {
        assertRegistryError(error, 'conflict', /acme\/outwaited@1\.0\.0 luau has been held by `pesde-registry gc --delete` for over 1s; try again when it is done/);
        return true;
      });
      assert.ok(Date.now() - started >= 1500, 'the publish waited for the hold first');
      assert.equal(await stored('acme/outwaited/1.0.0/luau/pkg.tar.gz'), false, 'nothing was uploaded');
      assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), tip, 'the index did not change');
      assert.equal(await runGit(setup.remote, ['rev-parse', ref]), held, "gc's hold is still gc's");
    } finally {
      await hold.release();
    }
    assert.equal(await claims(), '');
  });

  it('gives back the claims it got when the origin fails half-way through taking them, and deletes nothing', async () => {
    // more versions than one push takes, so the claims go out in two pushes; the origin dies in the second
    const keys = Array.from({ length: PUSH_EACH_CHUNK + 1 }, (_, i) => `acme/many_${i}/1.0.0/luau/pkg.tar.gz`);
    for (const key of keys) await putOld(key, 'left by a publish that failed');
    const hook = path.join(setup.remote, 'hooks', 'pre-receive');
    const count = path.join(setup.root, 'claim-pushes');
    await writeFile(hook, [
      '#!/bin/sh',
      `n=$(cat ${count} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > ${count}`,
      // the second push of claims: receive-pack is killed, the client sees the remote hang up
      'if grep -q refs/registry-claims/; then [ "$n" = 2 ] && kill -9 $PPID; fi',
      'exit 0',
      '',
    ].join('\n'));
    await chmod(hook, 0o755);
    try {
      const result = await cli(['gc', '--delete', '--older-than', '0', '--index', setup.clone, '--storage-root', setup.storage]);
      assert.equal(result.code, 9, result.stdout + result.stderr);
      for (const key of keys) if (!(await stored(key))) assert.fail(`${key} was deleted`);
      assert.equal(await claims(), '', 'the claims of the first push were given back');
    } finally {
      await rm(hook, { force: true });
      for (const key of keys) await rm(path.join(setup.storage, key), { force: true });
    }
  });
});
