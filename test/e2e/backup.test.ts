/**
 * The backup and restore procedure of the README, end to end: a mirror clone of the index
 * and `storage copy` of the objects to S3 (s3rver); then the index remote, the clone and
 * the storage are destroyed; restored from the backups; `verify` is clean; and `serve`
 * answers the packages and archives as before.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { enc, startTestServer } from '../helpers/http.js';
import { listFiles, setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { writePackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

let setup: IndexSetup;
let backupBucket: TestS3;
let n = 0;

async function publish(spec: PackageSpec): Promise<void> {
  const file = await writePackage(setup.root, `pkg-${++n}.tar.gz`, spec);
  const result = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
  assert.equal(result.code, 0, result.stderr);
}

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-backup-' });
  backupBucket = await startS3({ bucket: 'registry-backup' });
});

after(async () => {
  await backupBucket?.dispose();
  await setup?.cleanup();
});

it('backs up, is destroyed, restores, verifies and serves', async () => {
  await publish({ name: 'acme/alpha', version: '1.0.0', files: { 'README.md': '# Alpha\n', 'docs/intro.md': '# Intro\n\nHello.' } });
  await publish({ name: 'acme/alpha', version: '1.1.0' });
  await publish({ name: 'tools/beta', version: '0.1.0', target: 'lune' });
  assert.equal((await cli(['yank', 'acme/alpha', '1.0.0', '--index', setup.clone])).code, 0);
  const objects = await listFiles(setup.storage);
  const archives = new Map<string, Buffer>();
  for (const key of objects) archives.set(key, await readFile(path.join(setup.storage, key)));
  const tip = await runGit(setup.remote, ['rev-parse', 'main']);

  // back up: the index as a mirror clone, the objects to another bucket
  const mirror = path.join(setup.root, 'backup', 'index.git');
  await runGit(setup.root, ['clone', '--quiet', '--mirror', setup.remote, mirror]);
  const s3Backup = `s3://${backupBucket.bucket}?endpoint=${encodeURIComponent(backupBucket.endpoint)}&region=${backupBucket.region}`;
  const keys = { TO_S3_ACCESS_KEY: backupBucket.accessKeyId, TO_S3_SECRET_KEY: backupBucket.secretAccessKey };
  const saved = await cli(['storage', 'copy', '--index', setup.clone, '--from', `fs:${setup.storage}`, '--to', s3Backup], { env: keys });
  assert.equal(saved.code, 0, saved.stderr);

  // disaster
  for (const dir of [setup.remote, setup.clone, setup.storage]) await rm(dir, { recursive: true, force: true });

  // restore: the remote from the mirror, a fresh clone, the objects back from the bucket
  await runGit(setup.root, ['clone', '--quiet', '--mirror', mirror, setup.remote]);
  await runGit(setup.remote, ['remote', 'remove', 'origin']);
  await runGit(setup.root, ['clone', '--quiet', setup.remote, setup.clone]);
  assert.equal(await runGit(setup.remote, ['rev-parse', 'main']), tip);
  const restored = await cli(['storage', 'copy', '--index', setup.clone, '--from', s3Backup, '--to', `fs:${setup.storage}`], {
    env: { FROM_S3_ACCESS_KEY: backupBucket.accessKeyId, FROM_S3_SECRET_KEY: backupBucket.secretAccessKey },
  });
  assert.equal(restored.code, 0, restored.stderr);
  assert.deepEqual(await listFiles(setup.storage), objects);

  const verify = await cli(['verify', '--index', setup.clone, '--storage-root', setup.storage]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /index is consistent: 2 packages, 3 versions/);

  const server = await startTestServer({ flags: { index: setup.clone, storageRoot: setup.storage } });
  try {
    const versions = await server.get(`/v1/packages/${enc('acme/alpha')}`);
    assert.equal(versions.status, 200, versions.text);
    for (const [key, bytes] of archives) {
      if (!key.endsWith('pkg.tar.gz')) continue;
      const [scope, name, version, target] = key.split('/');
      const answer = await server.get(`/v1/packages/${enc(`${scope}/${name}`)}/${version}/${target}/archive`);
      assert.equal(answer.status, 200, key);
      assert.ok(answer.raw.equals(bytes), `${key} is served byte for byte`);
    }
  } finally {
    await server.dispose();
  }
});
