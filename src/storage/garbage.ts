/**
 * Finding and deleting stored objects no index entry names: archives of publishes whose
 * commit failed, doc pages no entry points at any more. One listing of the store decides
 * everything (sizes and times come with it), so a big bucket costs pages, not a probe per
 * object. Objects younger than the grace period are left alone: a publish stores its
 * objects before it commits, so a fresh unreferenced object may be one in flight.
 */
import type { IndexReferences } from './referenced-keys.js';
import { isLayoutKey } from './referenced-keys.js';
import { DELETE_BATCH, type ObjectInfo, type Storage } from './storage.js';

export const DEFAULT_GC_GRACE_MS = 24 * 60 * 60 * 1000;

export interface GarbagePlan {
  /** unreferenced and older than the grace period: what `--delete` removes */
  orphans: ObjectInfo[];
  orphanBytes: number;
  /** unreferenced but younger than the grace period */
  young: number;
  /** objects the index references */
  referenced: number;
  /** keys outside the storage layout (another tool's files in a shared bucket): never touched */
  foreign: number;
  listed: number;
}

export async function planGarbage(storage: Storage, refs: IndexReferences, graceMs: number, now = Date.now()): Promise<GarbagePlan> {
  const plan: GarbagePlan = { orphans: [], orphanBytes: 0, young: 0, referenced: 0, foreign: 0, listed: 0 };
  for await (const object of storage.listObjects('')) {
    plan.listed++;
    if (!isLayoutKey(object.key)) plan.foreign++;
    else if (refs.required.has(object.key) || refs.optional.has(object.key)) plan.referenced++;
    else if (now - object.modified.getTime() < graceMs) plan.young++;
    else {
      plan.orphans.push(object);
      plan.orphanBytes += object.size;
    }
  }
  plan.orphans.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return plan;
}

/** Deletes in batches (one request each on S3); the first failure stops it, the rest stay for a rerun. */
export async function deleteObjects(storage: Storage, objects: readonly ObjectInfo[], opts: { onDeleted?: (batch: readonly ObjectInfo[]) => void } = {}): Promise<void> {
  for (let start = 0; start < objects.length; start += DELETE_BATCH) {
    const batch = objects.slice(start, start + DELETE_BATCH);
    await storage.deleteMany(batch.map((o) => o.key));
    opts.onDeleted?.(batch);
  }
}
