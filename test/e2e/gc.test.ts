/**
 * `pesde-registry gc` through the real CLI, against file storage and a real S3 API
 * (s3rver): unreferenced objects older than the grace period are listed (dry run, the
 * default) and deleted with --delete; younger ones, referenced ones (yanked included) and
 * keys outside the storage layout are never touched; an unreachable index deletes nothing.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3Storage } from '../../src/storage/s3-storage.js';
import { cli } from '../helpers/cli.js';
import { runGit } from '../helpers/git.js';
import { listFiles, listS3Keys, setupIndex, type IndexSetup } from '../helpers/index-setup.js';
import { writePackage, type PackageSpec } from '../helpers/package-fixture.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

interface GcJson {
  dryRun: boolean;
  listed: number;
  referenced: number;
  young: number;
  foreign: number;
  orphans: Array<{ key: string; size: number }>;
  deleted: number;
  deletedBytes: number;
}

const GHOST = 'acme/ghost/1.0.0/luau/pkg.tar.gz';
const OLD_DOC = `Doc/${'ab'.repeat(32)}.gz`;
const IN_FLIGHT = 'acme/inflight/1.0.0/luau/pkg.tar.gz';
const FOREIGN = 'backup-notes.txt';
const TWO_DAYS_AGO = new Date(Date.now() - 2 * 86_400_000);

let setup: IndexSetup;
let published: string[];
let n = 0;

async function publish(spec: PackageSpec): Promise<void> {
  const file = await writePackage(setup.root, `pkg-${++n}.tar.gz`, spec);
  const result = await cli(['publish', file, '--index', setup.clone, '--storage-root', setup.storage]);
  assert.equal(result.code, 0, result.stderr);
}

async function put(root: string, key: string, body: string, modified?: Date): Promise<void> {
  const file = path.join(root, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, body);
  if (modified !== undefined) await utimes(file, modified, modified);
}

async function gcJson(args: string[], env: Record<string, string> = {}): Promise<GcJson> {
  const result = await cli(['gc', '--json', ...args], { env });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return JSON.parse(result.stdout) as GcJson;
}

before(async () => {
  setup = await setupIndex({ prefix: 'pesde-gc-' });
  await publish({ name: 'acme/alpha', version: '1.0.0', files: { 'README.md': '# Alpha\n', 'docs/intro.md': '# Intro\n\nHello.' } });
  await publish({ name: 'acme/beta', version: '0.1.0' });
  const yank = await cli(['yank', 'acme/beta', '0.1.0', '--index', setup.clone]);
  assert.equal(yank.code, 0, yank.stderr);
  published = await listFiles(setup.storage);
  // referenced objects as old as the orphans: age alone never gets an object deleted
  for (const key of published) await utimes(path.join(setup.storage, key), TWO_DAYS_AGO, TWO_DAYS_AGO);
  await put(setup.storage, GHOST, 'an upload whose commit failed', TWO_DAYS_AGO);
  await put(setup.storage, OLD_DOC, 'a doc page nothing names', TWO_DAYS_AGO);
  await put(setup.storage, IN_FLIGHT, 'a publish in flight');
  await put(setup.storage, FOREIGN, 'not ours', TWO_DAYS_AGO);
});

after(() => setup?.cleanup());

describe('gc with file storage', () => {
  it('lists old unreferenced objects by default and deletes nothing', async () => {
    assert.equal(published.length, 4, `alpha: archive, README, doc page; beta: archive (${published.join(', ')})`);
    const before = await listFiles(setup.storage);
    const plan = await gcJson(['--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.orphans.map((o) => o.key), [OLD_DOC, GHOST]);
    assert.deepEqual(plan.orphans.map((o) => o.size), [24, 29]);
    assert.deepEqual([plan.listed, plan.referenced, plan.young, plan.foreign, plan.deleted], [8, 4, 1, 1, 0]);
    assert.deepEqual(await listFiles(setup.storage), before);

    const text = await cli(['gc', '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, new RegExp(`^would delete ${GHOST} \\(29 B, 2d old\\)$`, 'm'));
    assert.match(text.stdout, /2 objects \(53 B\) of 8 would be deleted; kept 4 referenced, 1 unreferenced but younger than 1d, 1 outside the storage layout; run with --delete/);
  });

  it('refuses to delete when the origin of the index cannot be reached', async () => {
    const stale = await setup.cloneAnother('unreachable');
    await runGit(stale, ['remote', 'set-url', 'origin', path.join(setup.root, 'gone.git')]);
    const before = await listFiles(setup.storage);
    const refused = await cli(['gc', '--delete', '--index', stale, '--storage-root', setup.storage]);
    assert.equal(refused.code, 9, refused.stderr);
    assert.match(refused.stderr, /^error: cannot fetch the index from .*gone\.git.*; nothing deleted \(gc --delete needs the current index\)$/m);
    assert.deepEqual(await listFiles(setup.storage), before);
    const listed = await cli(['gc', '--index', stale, '--storage-root', setup.storage]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, /warning: cannot fetch the index .*listing against the local copy/);
  });

  it('refuses a missing index, an index without packages and a bad duration before touching storage', async () => {
    const before = await listFiles(setup.storage);
    const empty = path.join(setup.root, 'empty-index');
    assert.equal((await cli(['init', empty, '--api', 'http://127.0.0.1:1'])).code, 0);
    const wrong = await cli(['gc', '--delete', '--older-than', '0', '--index', empty, '--storage-root', setup.storage]);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /has no packages, so every stored object would be deleted: is --index the clone of this storage's index\? Nothing deleted/);
    const missing = await cli(['gc', '--delete', '--index', path.join(setup.root, 'nope'), '--storage-root', setup.storage]);
    assert.equal(missing.code, 2, missing.stderr);
    const bad = await cli(['gc', '--delete', '--older-than', 'soon', '--index', setup.clone, '--storage-root', setup.storage]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--older-than: "soon" is not a duration/);
    assert.deepEqual(await listFiles(setup.storage), before);
  });

  it('deletes old orphans with --delete, keeps everything referenced (yanked too), young and foreign', async () => {
    const result = await gcJson(['--delete', '--index', setup.clone, '--storage-root', setup.storage]);
    assert.deepEqual([result.dryRun, result.deleted, result.deletedBytes], [false, 2, 53]);
    assert.deepEqual(await listFiles(setup.storage), [...published, FOREIGN, IN_FLIGHT].sort());
    assert.equal((await cli(['verify', '--index', setup.clone, '--storage-root', setup.storage])).code, 0);
    // the emptied folders of the deleted archive went with it
    await assert.rejects(readFile(path.join(setup.storage, 'acme/ghost')), { code: 'ENOENT' });

    const again = await gcJson(['--delete', '--older-than', '0', '--index', setup.clone, '--storage-root', setup.storage]);
    assert.deepEqual(again.orphans.map((o) => o.key), [IN_FLIGHT]);
    assert.deepEqual(await listFiles(setup.storage), [...published, FOREIGN].sort());
  });
});

describe('gc with S3 storage', () => {
  let s3: TestS3;
  before(async () => {
    s3 = await startS3();
    const bucket = new S3Storage({ client: s3.client, bucket: s3.bucket, endpoint: s3.endpoint });
    for (const key of published) await bucket.put(key, await readFile(path.join(setup.storage, key)));
    for (const key of [GHOST, OLD_DOC, IN_FLIGHT, FOREIGN]) await bucket.put(key, Buffer.from(`orphan ${key}`));
  });
  after(() => s3?.dispose());

  it('keeps just-written orphans for the grace period, then deletes them and only them', async () => {
    const fresh = await gcJson(['--delete', '--index', setup.clone], s3.env);
    assert.deepEqual([fresh.deleted, fresh.young, fresh.referenced, fresh.foreign], [0, 3, 4, 1]);
    assert.equal((await listS3Keys(s3)).length, 8);

    const dry = await gcJson(['--older-than', '0s', '--index', setup.clone], s3.env);
    assert.deepEqual(dry.orphans.map((o) => o.key), [GHOST, IN_FLIGHT, OLD_DOC].sort());
    assert.equal((await listS3Keys(s3)).length, 8);

    const result = await gcJson(['--delete', '--older-than', '0', '--index', setup.clone], s3.env);
    assert.equal(result.deleted, 3);
    assert.deepEqual(await listS3Keys(s3), [...published, FOREIGN].sort());
    const verify = await cli(['verify', '--index', setup.clone], { env: s3.env });
    assert.equal(verify.code, 0, verify.stderr);
  });
});
