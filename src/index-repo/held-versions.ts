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
import { tryGit } from './git.js';
import { RegistryError } from '../errors.js';
import { redact } from '../redact.js';

export interface HeldVersions {
  /** the claim refs this writer holds now */
  held: Set<string>;
  /** claim refs on the origin held by anyone else, read after ours were made */
  others: string[];
  /** gives every held claim back; never throws (a claim left behind expires, or is taken over once this process is gone) */
  release(): Promise<void>;
}

/** The claim ref of the version whose objects live under `<scope>/<name>/<version>/<target>/` in storage. */
export function claimRefOfVersionDir(dir: string): string {
  return `${CLAIM_PREFIX}/${dir}`;
}

export async function holdVersions(index: LocalIndex, refs: readonly string[], describe: string, committer?: Partial<Committer>): Promise<HeldVersions> {
  const wanted = [...new Set(refs)];
  const held = new Set<string>();
  let oid: string | undefined;
  if (wanted.length > 0) {
    const claim = await writeClaimCommit(index, `claim ${wanted.length} version(s)`, describe, committer, true);
    oid = claim;
    const pushing = pushEach(index, wanted.map((ref) => ({ ref, to: claim, expect: 'absent' as const })));
    const { pushed } = await pushing.catch(async (error: unknown) => {
      // some pushes may have landed before one failed: every ref still at our commit is ours
      await pushEach(index, wanted.map((ref) => ({ ref, to: null, expect: claim }))).catch(() => undefined);
      throw error;
    });
    for (const ref of pushed) held.add(ref);
  }
  const release = async (): Promise<void> => {
    if (held.size === 0 || oid === undefined) return;
    const mine = [...held];
    held.clear();
    await pushEach(index, mine.map((ref) => ({ ref, to: null, expect: oid! }))).catch(() => undefined);
  };
  try {
    const others = (await listClaims(index)).filter((ref) => !held.has(ref));
    return { held, others, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Every claim ref on the origin (in the repository itself without one). */
async function listClaims(index: LocalIndex): Promise<string[]> {
  const args = index.remote === null ? ['for-each-ref', '--format=%(refname)', `${CLAIM_PREFIX}/`] : ['ls-remote', '--refs', 'origin', `${CLAIM_PREFIX}/*`];
  const result = await tryGit(index.dir, args, index.remote === null ? {} : { remote: index.facts?.fetch });
  if (result.exitCode !== 0) throw new RegistryError('git', redact(`cannot list the version claims on ${index.remote ?? index.dir}`));
  return result.stdout
    .split('\n')
    .map((line) => line.slice(line.indexOf('\t') + 1).trim())
    .filter((ref) => ref.startsWith(`${CLAIM_PREFIX}/`));
}
