/**
 * What `gc --delete` may delete of a plan made a moment ago, decided with the versions'
 * claims held (index-repo/held-versions.ts). The plan's listing and its index read are not
 * one instant: since them a publish may have landed a version whose objects looked
 * orphaned, or a retry of a failed publish may be writing the very keys the plan would
 * delete. So the claim of every version with an archive or README in the plan is taken
 * first, the index is fetched and read again, and only then is anything let through:
 * - an archive or README only when its version's claim is ours (no publish of it is under
 *   way, and none can land it until gc gives the claim back) and the new tip does not name it;
 * - a doc page (content-addressed, so no claim names it) only when the new tip does not
 *   name it and no publish at all holds a claim.
 */
import { fetchOrigin, tipCommit, type LocalIndex } from '../index-repo/local-index.js';
import { holdVersions } from '../index-repo/held-versions.js';
import { claimRefOfVersionDir } from '../index-repo/version-claim.js';
import { DOC_DIR, versionDirOfKey } from './keys.js';
import { readIndexReferences } from './referenced-keys.js';
import type { ObjectInfo } from './storage.js';

export interface HeldGarbage {
  deletable: ObjectInfo[];
  /** orphans of the plan left alone: a publish of theirs is under way, or landed since the plan */
  kept: number;
  release(): Promise<void>;
}

export async function holdGarbage(index: LocalIndex, orphans: readonly ObjectInfo[], describe: string): Promise<HeldGarbage> {
  // each orphan's claim ref: null for a doc page, which no claim names
  const claims = orphans.map((o) => {
    const dir = versionDirOfKey(o.key);
    return dir === null ? null : claimRefOfVersionDir(dir);
  });
  const hold = await holdVersions(index, claims.filter((ref) => ref !== null), describe);
  try {
    await fetchOrigin(index);
    const refs = await readIndexReferences(index.dir, await tipCommit(index));
    const deletable = orphans.filter((o, i) => {
      if (refs.required.has(o.key) || refs.optional.has(o.key)) return false;
      const claim = claims[i]!;
      if (claim !== null) return hold.held.has(claim);
      return o.key.startsWith(`${DOC_DIR}/`) && hold.others.length === 0;
    });
    return { deletable, kept: orphans.length - deletable.length, release: hold.release };
  } catch (error) {
    await hold.release();
    throw error;
  }
}
