/**
 * Claims held on many versions at once by a writer that is not a publish. `gc --delete`
 * holds the claim of every version whose archive and README it deletes: a publish of one of
 * them (a retry of the publish that left them) is then either uploading already, and its
 * claim makes gc leave the version alone, or made to wait until gc is done (the claims say
 * they are brief holds), so gc never deletes an archive a publish has just written. The
 * claims are the refs publishes create, in pushes that move each ref on its own: one refused
 * is a version another writer holds.
 */
import type { Committer } from './committer.js';
import type { LocalIndex } from './local-index.js';
import { pushEach } from './ref-push.js';
import { CLAIM_PREFIX, writeClaimCommit } from './version-claim.js';
import { remoteRefs } from './remote-refs.js';

export interface HeldVersions {
  /** the claim refs this writer holds now */
  held: Set<string>;
  /** claim refs on the origin held by anyone else, read after ours were made */
  others: string[];
  /** gives every held claim back; never throws (a claim left behind expires, or is taken over once this process is gone) */
  release(): Promise<void>;
}

export async function holdVersions(index: LocalIndex, refs: readonly string[], describe: string, committer?: Partial<Committer>): Promise<HeldVersions> {
  const wanted = [...new Set(refs)];
  // one commit for them all: whatever a failed push left behind, every ref at it is ours
  const oid = wanted.length === 0 ? null : await writeClaimCommit(index, `claim ${wanted.length} version(s)`, describe, committer, true);
  const giveBack = async (mine: readonly string[]): Promise<void> => {
    if (oid !== null && mine.length > 0) await pushEach(index, mine.map((ref) => ({ ref, to: null, expect: oid }))).catch(() => undefined);
  };
  const held = new Set<string>();
  if (oid !== null) {
    const { pushed } = await pushEach(index, wanted.map((ref) => ({ ref, to: oid, expect: 'absent' as const }))).catch(async (error: unknown) => {
      await giveBack(wanted);
      throw error;
    });
    for (const ref of pushed) held.add(ref);
  }
  const release = async (): Promise<void> => {
    const mine = [...held];
    held.clear();
    await giveBack(mine);
  };
  try {
    const others = [...(await remoteRefs(index, `${CLAIM_PREFIX}/`)).keys()].filter((ref) => !held.has(ref));
    return { held, others, release };
  } catch (error) {
    await release();
    throw error;
  }
}
