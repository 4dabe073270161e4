/**
 * `pesde-registry gc`: list (by default) or delete stored objects that no entry of the
 * index at its tip references. Deleting needs a current index: with an origin it is fetched
 * first, and when that fails nothing is deleted.
 */
import { durationText } from '../duration-text.js';
import { RegistryError, errorMessage, usageError } from '../errors.js';
import { fetchOrigin, openLocalIndex, tipCommit } from '../index-repo/local-index.js';
import type { Reporter } from '../output.js';
import { formatBytes } from '../storage/byte-size.js';
import { DEFAULT_GC_GRACE_MS, deleteObjects, planGarbage } from '../storage/garbage.js';
import { holdGarbage } from '../storage/garbage-hold.js';
import { readIndexReferences } from '../storage/referenced-keys.js';
import { openStorage, resolveStorageOptions, type StorageFlags } from '../storage/storage-options.js';
import { parseDurationFlag } from './flag-values.js';

interface GcFlags extends StorageFlags {
  index: string;
  olderThan?: string;
  delete?: boolean;
  dryRun?: boolean;
}

export async function gcCommand(reporter: Reporter, flags: GcFlags): Promise<void> {
  if (flags.delete && flags.dryRun) throw usageError('choose one: --dry-run (list, the default) or --delete');
  const graceMs = flags.olderThan === undefined ? DEFAULT_GC_GRACE_MS : parseDurationFlag('--older-than', flags.olderThan);
  const deleting = Boolean(flags.delete);
  const options = resolveStorageOptions(flags, process.env);
  if (options === null) throw usageError('no storage configured: pass --storage-root <dir> or the --s3-* flags, or set FS_STORAGE_ROOT or the S3_* variables');

  const index = await openLocalIndex(flags.index, { requireRemote: false });
  if (index.remote !== null) {
    reporter.step('Fetching the index');
    try {
      await fetchOrigin(index);
    } catch (error) {
      // an old tip could miss entries published since, whose objects would look unreferenced
      if (deleting) throw new RegistryError('git', `${errorMessage(error)}; nothing deleted (gc --delete needs the current index)`);
      reporter.warn(`${errorMessage(error)}; listing against the local copy`);
    }
  }
  const commit = await tipCommit(index);
  reporter.step(`Reading the index at ${commit.slice(0, 12)}`);
  const refs = await readIndexReferences(index.dir, commit);
  // every object would look unreferenced: far likelier a wrong --index than an emptied registry
  if (deleting && refs.packages === 0) {
    throw usageError(`the index at ${index.dir} has no packages, so every stored object would be deleted: is --index the clone of this storage's index? Nothing deleted`);
  }
  const storage = await openStorage(options);
  reporter.step(`Listing ${storage.describe()}`);
  const started = performance.now();
  const plan = await planGarbage(storage, refs, graceMs);
  const now = Date.now();
  if (!reporter.json) {
    for (const o of plan.orphans) reporter.info(`${deleting ? 'delete' : 'would delete'} ${o.key} (${formatBytes(o.size)}, ${durationText(now - o.modified.getTime())} old)`);
  }
  let deleted = 0;
  let deletedBytes = 0;
  let inFlight = 0;
  if (deleting && plan.orphans.length > 0) {
    reporter.step('Claiming their versions, so no publish writes them meanwhile');
    const held = await holdGarbage(index, plan.orphans, 'pesde-registry gc --delete');
    inFlight = held.kept;
    try {
      reporter.step(`Deleting ${held.deletable.length} objects`);
      await deleteObjects(storage, held.deletable, {
        onDeleted: (batch) => {
          deleted += batch.length;
          for (const o of batch) deletedBytes += o.size;
          reporter.progress(`Deleting: ${deleted} of ${held.deletable.length} objects`);
        },
      });
    } catch (error) {
      throw new RegistryError('storage', `${errorMessage(error)} (${deleted} of ${held.deletable.length} deleted before it)`, { cause: error });
    } finally {
      await held.release();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const data = {
    commit,
    dryRun: !deleting,
    olderThanMs: graceMs,
    listed: plan.listed,
    referenced: plan.referenced,
    young: plan.young,
    foreign: plan.foreign,
    orphans: plan.orphans.map((o) => ({ key: o.key, size: o.size, modified: o.modified.toISOString() })),
    orphanBytes: plan.orphanBytes,
    deleted,
    deletedBytes,
    inFlight,
    seconds: Math.round(seconds * 1000) / 1000,
  };
  const kept = `${plan.referenced} referenced, ${plan.young} unreferenced but younger than ${durationText(graceMs)}, ${plan.foreign} outside the storage layout${inFlight > 0 ? `, ${inFlight} of a publish under way or landed meanwhile` : ''}`;
  const text = deleting
    ? `deleted ${deleted} objects (${formatBytes(deletedBytes)}) of ${plan.listed} listed; kept ${kept} (${seconds.toFixed(2)} s)`
    : `${plan.orphans.length} objects (${formatBytes(plan.orphanBytes)}) of ${plan.listed} would be deleted; kept ${kept}; run with --delete to delete them`;
  reporter.result(data, text);
}
