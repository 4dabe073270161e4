import { configValue } from './git-queries.js';
import type { RepoFacts } from './repo-facts.js';

export interface Committer {
  name: string;
  email: string;
}

const FALLBACK: Committer = { name: 'pesde-registry', email: 'pesde-registry@localhost' };

/**
 * Who index commits are written as: explicit option, then the official registry's
 * COMMITTER_GIT_NAME/EMAIL, then git's own config, then a fixed identity so that a fresh
 * machine without `git config user.name` can still start (CI containers, the embedded default).
 */
export async function resolveCommitter(dir: string, explicit?: Partial<Committer>, facts?: RepoFacts): Promise<Committer> {
  const fromEnv = { name: process.env.COMMITTER_GIT_NAME, email: process.env.COMMITTER_GIT_EMAIL };
  const fromGit = (key: 'user.name' | 'user.email') => (facts === undefined ? configValue(dir, key) : key === 'user.name' ? facts.userName : facts.userEmail);
  const name = explicit?.name || fromEnv.name || (await fromGit('user.name')) || FALLBACK.name;
  const email = explicit?.email || fromEnv.email || (await fromGit('user.email')) || FALLBACK.email;
  return { name, email };
}

export function committerEnv(committer: Committer): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: committer.name,
    GIT_AUTHOR_EMAIL: committer.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  };
}
