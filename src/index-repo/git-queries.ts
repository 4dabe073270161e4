/**
 * The questions this project asks git, each under a name, so no module spells a raw
 * argument list for "what is origin", "which branch", "is this bare".
 */
import { tryGit } from './git.js';

/** The URL of `origin` (the one pushes go to with `push`), or null when the repository has none. */
export async function originUrl(dir: string, opts: { push?: boolean } = {}): Promise<string | null> {
  const result = await tryGit(dir, ['remote', 'get-url', ...(opts.push === true ? ['--push'] : []), 'origin']);
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/** `git config --get <key>`, trimmed; undefined when unset or empty. */
export async function configValue(dir: string, key: string): Promise<string | undefined> {
  const result = await tryGit(dir, ['config', '--get', key]);
  const value = result.stdout.trim();
  return result.exitCode === 0 && value !== '' ? value : undefined;
}

/** Points `origin` at `url`, adding it when missing. */
export async function setOriginUrl(dir: string, url: string): Promise<void> {
  const current = await originUrl(dir);
  const result = await tryGit(dir, current === null ? ['remote', 'add', 'origin', url] : ['remote', 'set-url', 'origin', url]);
  if (result.exitCode !== 0) throw new Error(`cannot set origin of ${dir}: ${result.stderr.trim()}`);
}

/** The branch HEAD names (also before its first commit), or null for a detached HEAD. */
export async function currentBranch(dir: string): Promise<string | null> {
  const result = await tryGit(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return result.exitCode === 0 && result.stdout.trim() !== '' ? result.stdout.trim() : null;
}

export async function isBareRepository(dir: string): Promise<boolean> {
  return (await tryGit(dir, ['rev-parse', '--is-bare-repository'])).stdout.trim() === 'true';
}

/** The top folder of the work tree `dir` is in, or null outside any repository. */
export async function workTreeRoot(dir: string): Promise<string | null> {
  const result = await tryGit(dir, ['rev-parse', '--show-toplevel']);
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/** Whether `ancestor` is `descendant` or one of its ancestors (a history never force-pushed is a line). */
export async function isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true;
  return (await tryGit(dir, ['merge-base', '--is-ancestor', ancestor, descendant])).exitCode === 0;
}

/** Seconds since the epoch of a commit's committer date, or null when it is not there. */
export async function commitTime(dir: string, commit: string): Promise<number | null> {
  const result = await tryGit(dir, ['log', '-1', '--format=%ct', commit, '--']);
  const seconds = Number(result.stdout.trim());
  return result.exitCode === 0 && Number.isFinite(seconds) && result.stdout.trim() !== '' ? seconds : null;
}

/** Makes `branch` follow `origin/<branch>` (what `push -u` records), for `git pull` in a clone. */
export async function setUpstream(dir: string, branch: string): Promise<void> {
  await tryGit(dir, ['config', `branch.${branch}.remote`, 'origin']);
  await tryGit(dir, ['config', `branch.${branch}.merge`, `refs/heads/${branch}`]);
}
