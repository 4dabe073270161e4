/**
 * `gc` and `storage copy` on a storage of 10,000 objects (small archives), on the file
 * system and on s3rver: objects per second to plan a gc (one listing), to delete orphans,
 * to copy fs -> S3, S3 -> fs and fs -> fs, and to resume a finished copy (everything
 * skipped), and to hold and give back the claims of the orphan versions as `gc --delete`
 * does. Baselines from the same run: `cp -r` of the same tree, a bare paginated S3 listing,
 * and one plain `git push` creating the same claim refs.
 *
 *   npm run bench:storage-ops [-- --quick]
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { holdVersions } from '../src/index-repo/held-versions.js';
import { claimRefOfVersionDir } from '../src/index-repo/version-claim.js';
import { openLocalIndex } from '../src/index-repo/local-index.js';
import { copyObjects } from '../src/storage/copy.js';
import { FsStorage } from '../src/storage/fs-storage.js';
import { deleteObjects, planGarbage } from '../src/storage/garbage.js';
import type { IndexReferences } from '../src/storage/referenced-keys.js';
import { S3Storage } from '../src/storage/s3-storage.js';
import type { Storage } from '../src/storage/storage.js';
import { startS3 } from '../test/helpers/s3.js';
import { GIT_ENV } from './lib/indexes.js';
import { OUT_DIR } from './lib/paths.js';
import { report, scriptFlags } from './lib/script.js';
import { perSecond, ratio, type Figure } from './lib/stats.js';

const flags = scriptFlags();
const COUNT = flags.quick ? 2_000 : 10_000;
const CONCURRENCY = 16;
const dir = path.join(OUT_DIR, 'storage-ops');
const execFileAsync = promisify(execFile);

const keys = Array.from({ length: COUNT }, (_, i) => `bench/p${i % 500}/1.0.${i}/luau/pkg.tar.gz`);
// half the objects are referenced: gc lists all of them and deletes the other half
const refs: IndexReferences = { commit: 'bench', packages: 500, versions: COUNT / 2, required: new Set(keys.filter((_, i) => i % 2 === 0)), optional: new Set() };

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { seconds: (performance.now() - started) / 1000, value };
}

async function fill(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
  for (const [i, key] of keys.entries()) {
    await mkdir(path.join(root, path.dirname(key)), { recursive: true });
    await writeFile(path.join(root, key), Buffer.alloc(1024 + (i % 512), i % 251));
  }
}

async function gcRates(label: string, storage: Storage, figures: Figure[]): Promise<void> {
  const plan = await timed(() => planGarbage(storage, refs, 0, Date.now() + 1000));
  if (plan.value.orphans.length !== COUNT / 2) throw new Error(`${label}: ${plan.value.orphans.length} orphans, expected ${COUNT / 2}`);
  figures.push({ name: `gc plan, ${label} (objects listed per second)`, value: perSecond(COUNT / plan.seconds), target: '', met: null });
  const del = await timed(() => deleteObjects(storage, plan.value.orphans));
  figures.push({ name: `gc --delete, ${label} (objects deleted per second)`, value: perSecond(COUNT / 2 / del.seconds), target: '', met: null });
}

/**
 * What `gc --delete` adds before it deletes: holding the claim of every orphan version on the
 * index's origin (a bare repository here) and giving the claims back, against one plain
 * `git push` creating the same refs, same run.
 */
async function claimRates(figures: Figure[]): Promise<void> {
  const git = (cwd: string, args: string[]) => execFileAsync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 * 1024 * 1024 });
  const remote = path.join(dir, 'claims-remote.git');
  const clone = path.join(dir, 'claims-clone');
  await rm(remote, { recursive: true, force: true });
  await rm(clone, { recursive: true, force: true });
  await git(dir, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  await git(dir, ['clone', '--quiet', remote, clone]);
  await git(clone, ['commit', '--quiet', '--allow-empty', '-m', 'index']);
  await git(clone, ['push', '--quiet', 'origin', 'HEAD:main']);
  const versions = [...new Set(keys.filter((_, i) => i % 2 === 1).map((key) => path.posix.dirname(key)))];
  const refs = versions.map(claimRefOfVersionDir);
  // the baseline: one push creating them all, from a file of refspecs cut into command lines as xargs would
  const head = (await git(clone, ['rev-parse', 'HEAD'])).stdout.trim();
  const bare = await timed(() => git(clone, ['push', '--quiet', 'origin', ...refs.map((ref) => `${head}:${ref}`)]));
  await git(clone, ['push', '--quiet', 'origin', ...refs.map((ref) => `:${ref}`)]);
  const index = await openLocalIndex(clone, { requireRemote: true });
  const hold = await timed(() => holdVersions(index, refs, 'bench'));
  if (hold.value.held.size !== refs.length) throw new Error(`held ${hold.value.held.size} of ${refs.length} claims`);
  const release = await timed(() => hold.value.release());
  figures.push(
    { name: `baseline: one git push creating ${refs.length.toLocaleString('en-US')} refs (refs per second)`, value: perSecond(refs.length / bare.seconds), target: '', met: null },
    { name: 'gc --delete, holding the orphan versions\' claims (versions per second)', value: perSecond(refs.length / hold.seconds), target: '', met: null },
    { name: 'gc --delete, giving them back (versions per second)', value: perSecond(refs.length / release.seconds), target: '', met: null },
    { name: 'holding the claims / the baseline push (time)', value: ratio(hold.seconds / bare.seconds), target: '', met: null },
  );
}

async function copyRate(label: string, source: Storage, destination: Storage, figures: Figure[], expectCopied: number): Promise<number> {
  const run = await timed(() => copyObjects({ source, destination, wanted: null, concurrency: CONCURRENCY }));
  const s = run.value;
  if (s.copied !== expectCopied || s.failed.length > 0) throw new Error(`${label}: ${JSON.stringify({ ...s, failed: s.failed.slice(0, 3) })}`);
  const rate = s.objects / run.seconds;
  figures.push({ name: `storage copy, ${label} (objects per second)`, value: perSecond(rate), target: '', met: null });
  return rate;
}

const figures: Figure[] = [];
const fsSource = path.join(dir, 'source');
await fill(fsSource);
const source = new FsStorage(fsSource);

// fs -> fs against cp -r of the same tree
const cpTarget = path.join(dir, 'cp');
await rm(cpTarget, { recursive: true, force: true });
const cp = await timed(() => promisify(execFile)('cp', ['-r', fsSource, cpTarget]));
figures.push({ name: 'baseline: cp -r of the tree (objects per second)', value: perSecond(COUNT / cp.seconds), target: '', met: null });
const fsTarget = path.join(dir, 'fs-copy');
await rm(fsTarget, { recursive: true, force: true });
const fsRate = await copyRate('fs -> fs', source, new FsStorage(fsTarget), figures, COUNT);
figures.push({ name: 'storage copy fs -> fs / cp -r', value: ratio(fsRate / (COUNT / cp.seconds)), target: '', met: null });
await copyRate('fs -> fs resumed, all skipped', source, new FsStorage(fsTarget), figures, 0);

const s3 = await startS3({ bucket: 'bench-storage-ops', tuning: { maxAttempts: 3, connectionTimeoutMs: 3000, socketTimeoutMs: 60_000 } });
try {
  const bucket = new S3Storage({ client: s3.client, bucket: s3.bucket, endpoint: s3.endpoint });
  await copyRate('fs -> s3rver', source, bucket, figures, COUNT);
  await copyRate('fs -> s3rver resumed, all skipped', source, bucket, figures, 0);
  const back = path.join(dir, 's3-back');
  await rm(back, { recursive: true, force: true });
  await copyRate('s3rver -> fs', bucket, new FsStorage(back), figures, COUNT);
  const list = await timed(async () => {
    let n = 0;
    for await (const _ of bucket.listKeys('')) n++;
    return n;
  });
  figures.push({ name: 'baseline: bare s3rver listing (objects per second)', value: perSecond(list.value / list.seconds), target: '', met: null });
  await gcRates('s3rver', bucket, figures);
} finally {
  await s3.dispose();
}
await gcRates('fs', new FsStorage(fsTarget), figures);
await claimRates(figures);
await rm(dir, { recursive: true, force: true });

report('Storage operations: gc and storage copy', flags, `${COUNT.toLocaleString('en-US')} objects of 1-1.5 KiB in 500 package folders; ${CONCURRENCY} requests in flight; s3rver on 127.0.0.1 (one Node process, its own files).`, figures);
