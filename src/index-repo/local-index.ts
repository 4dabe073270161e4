import { access, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { redact } from '../redact.js';
import { tryGit, firstLine } from './git.js';
import { readRepoFacts, type RepoFacts } from './repo-facts.js';
import { resolveRef } from './tree-reader.js';

/** A local clone (or a plain repo) of an index that commands read from and write to. */
export interface LocalIndex {
  readonly dir: string;
  /** URL of `origin`, or null for a repository without one (`--no-push`). */
  readonly remote: string | null;
  /** the index's branch: the one checked out, `main` by convention */
  readonly branch: string;
  /**
   * The clone's git config as read when this operation began (one CLI command, one write),
   * so its git calls need not each ask again; absent, they do. A long-lived index (a
   * server's) leaves it out, so that every write sees the config as it is then.
   */
  readonly facts?: RepoFacts | undefined;
  /** its git folder (`git rev-parse --absolute-git-dir`), where the server keeps its summary cache; known once opened */
  readonly gitDir?: string;
}

export interface OpenOptions {
  requireRemote: boolean;
  /** a command that ends soon: keep the config facts for all of its git calls */
  keepFacts?: boolean;
}

export async function openLocalIndex(dirArg: string, opts: OpenOptions): Promise<LocalIndex> {
  const dir = path.resolve(dirArg);
  try {
    await access(dir);
  } catch {
    throw new RegistryError('usage', `index folder ${dir} does not exist: pass --index <dir> with a clone of the index`);
  }
  // independent questions, asked at once: the top folder with the branch, and the config
  const [top, facts] = await Promise.all([tryGit(dir, ['rev-parse', '--show-toplevel', '--absolute-git-dir', '--symbolic-full-name', 'HEAD']), readRepoFacts(dir)]);
  const [topLevel, gitDir, fullBranch] = top.stdout.split('\n');
  if (topLevel === undefined || topLevel === '' || path.resolve(topLevel) !== (await realDir(dir))) {
    throw new RegistryError('usage', `${dir} is not the root of a git repository: pass --index <dir> with a clone of the index`);
  }
  // an unborn branch (no commit yet) makes rev-parse fail after the top folder: ask symbolic-ref
  const branch = top.exitCode === 0 ? branchName(fullBranch) : await symbolicBranch(dir);
  const remote = facts.fetch.url;
  if (remote === null && opts.requireRemote) {
    throw new RegistryError('usage', `${dir} has no "origin" remote: add one with \`git remote add origin <url>\`, or pass --no-push to commit locally`);
  }
  const opened = { dir, remote, branch, ...(gitDir ? { gitDir } : {}) };
  return opts.keepFacts ? { ...opened, facts } : opened;
}

/** What `git symbolic-ref --short HEAD` names, from rev-parse's full name; a detached HEAD is `main`. */
function branchName(fullName: string | undefined): string {
  return fullName?.startsWith('refs/heads/') ? fullName.slice('refs/heads/'.length) : 'main';
}

async function symbolicBranch(dir: string): Promise<string> {
  const result = await tryGit(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return result.exitCode === 0 ? result.stdout.trim() : 'main';
}

async function realDir(dir: string): Promise<string> {
  return path.resolve(await realpath(dir));
}

export async function fetchOrigin(index: LocalIndex): Promise<void> {
  if (index.remote === null) return;
  // an index holds files only: looking for submodules to fetch would read the whole staging area
  const result = await tryGit(index.dir, ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', 'origin', `+refs/heads/${index.branch}:refs/remotes/origin/${index.branch}`], { remote: index.facts?.fetch });
  if (result.exitCode !== 0) {
    throw new RegistryError('git', redact(`cannot fetch the index from ${index.remote}: ${firstLine(result.stderr)}`));
  }
}

/** The commit writes build on and readers serve: origin's branch when there is a remote. */
export async function tipCommit(index: LocalIndex): Promise<string> {
  const ref = index.remote === null ? `refs/heads/${index.branch}` : `refs/remotes/origin/${index.branch}`;
  const commit = await resolveRef(index.dir, ref);
  if (commit === null) {
    throw new RegistryError('git', `${index.dir} has no commit on ${ref}: is it an initialised index (pesde-registry init)?`);
  }
  return commit;
}

export async function cloneIndex(url: string, dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const result = await tryGit(parent, ['clone', '--quiet', url, path.resolve(dir)]);
  if (result.exitCode !== 0) {
    throw new RegistryError('git', redact(`cannot clone the index from ${url}: ${firstLine(result.stderr)}`));
  }
}

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
