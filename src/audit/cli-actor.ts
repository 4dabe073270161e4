/**
 * Who a command-line write is for: the `--owner` publisher id, and the git identity the
 * commit is written as (COMMITTER_GIT_NAME/EMAIL or git's config), which is whoever ran it.
 */
import { resolveCommitter } from '../index-repo/committer.js';
import type { RepoFacts } from '../index-repo/repo-facts.js';
import { unrestrictedIdentity, type Identity } from '../identity.js';

export async function cliActor(indexDir: string, ownerId: number, facts?: RepoFacts): Promise<Identity> {
  const committer = await resolveCommitter(indexDir, undefined, facts);
  return unrestrictedIdentity('cli', ownerId, `${committer.name} <${committer.email}>`);
}
