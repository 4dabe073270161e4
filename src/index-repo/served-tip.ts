/**
 * The refresher's fetch. Writes fetch into `refs/remotes/origin/<branch>` under the clone's
 * lock; the refresher fetches the same branch into a ref of its own, with no lock and no
 * FETCH_HEAD, so a refresh neither waits behind a write nor fails on a ref a write holds.
 */
import { RegistryError } from '../errors.js';
import { firstLine, tryGit } from './git.js';
import type { LocalIndex } from './local-index.js';
import { resolveRef } from './tree-reader.js';

export function servedTipRef(index: LocalIndex): string {
  return `refs/registry-served/${index.branch}`;
}

/** Fetches origin's branch into the served-tip ref and returns the commit it names. */
export async function fetchServedTip(index: LocalIndex): Promise<string> {
  const ref = servedTipRef(index);
  // an index has no submodules; looking for them reads the work tree's index, 50,000 entries
  // on a large index, which was half of what a fetch of one new commit cost
  const result = await tryGit(index.dir, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--recurse-submodules=no', 'origin', `+refs/heads/${index.branch}:${ref}`]);
  if (result.exitCode !== 0) throw new RegistryError('git', `cannot fetch the index from ${index.remote}: ${firstLine(result.stderr)}`);
  const tip = await resolveRef(index.dir, ref);
  if (tip === null) throw new RegistryError('git', `origin has no branch ${index.branch}`);
  return tip;
}
