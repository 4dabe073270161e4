/**
 * Keeps a checked-out clone in step with what a write committed, when that is safe; the
 * push is what counts, so a clone with local edits is left alone (the caller warns that
 * the checkout lags) rather than failing the write.
 *
 * `git merge --ff-only` does this right in every case, but it refreshes the whole staging
 * area first: with 50,000 files that is most of a publish. When the checkout is exactly at
 * the commit the write built on and nothing git would guard is in the way, the outcome is
 * known in advance: the changed files are the only ones to update. Then only those paths
 * are checked (staged and on disk as the base has them, new paths absent from the work
 * tree, nothing unmerged) and checked out, and the branch moved after, as merge orders it.
 * Anything else goes the slow way, which decides as it always did.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { git, tryGit, type GitResult } from './git.js';
import { currentBranch, isBareRepository } from './git-queries.js';
import type { TreeEntry } from './tree-object.js';
import type { LocalIndex } from './local-index.js';

export interface CommittedChange {
  /** what the write built on (null: the first commit) and what it committed */
  base: string | null;
  commit: string;
  /** every path the commit changed, as the base had it (null: not there) */
  before: ReadonlyMap<string, TreeEntry | null>;
}

/**
 * What would make `git merge --ff-only` run a hook or refuse regardless of the paths: its
 * hook (and checkout's, which the fast way runs), an unfinished merge or cherry-pick, and a
 * sparse checkout, whose rules for paths outside it are git's to apply.
 */
const GUARDED = ['hooks/post-merge', 'hooks/post-checkout', 'MERGE_HEAD', 'CHERRY_PICK_HEAD', 'info/sparse-checkout'];

/** What the fast way needs to know about the checkout: read-only questions about the clone, not about the remote. */
export interface CheckoutState {
  state: GitResult;
  unmerged: GitResult;
  entries: GitResult;
  added: boolean;
}

/**
 * Asks the fast way's questions. With a remote they do not depend on the push (it moves no
 * local ref but origin's), so a writer asks them while its push is on the way; without one
 * the local "push" moves the branch, so they are asked after it. Never rejects.
 */
export async function inspectCheckout(index: LocalIndex, change: CommittedChange): Promise<CheckoutState> {
  const paths = [...change.before.keys()];
  // read-only questions, asked at the same time; one rev-parse for what the slow way asks in
  // three (bareness, HEAD, and where git keeps what it guards)
  const [state, unmerged, entries, added] = await Promise.all([
    tryGit(index.dir, ['rev-parse', '--is-bare-repository', ...GUARDED.flatMap((p) => ['--git-path', p]), 'HEAD', '--symbolic-full-name', 'HEAD']),
    tryGit(index.dir, ['ls-files', '--unmerged']),
    // each path's staged entry, then (a second line) each one whose file differs from it
    tryGit(index.dir, ['ls-files', '-z', '--stage', '--modified', '--', ...paths], { env: LITERAL }),
    anyExists(index.dir, paths.filter((p) => change.before.get(p) === null)),
  ]);
  return { state, unmerged, entries, added };
}

/**
 * Whether the checkout (if any) now shows `commit`; `trackingRef` (origin's branch as this
 * clone knows it) is moved to the commit in any case. Without a remote the branch has
 * already moved. `inspected`: what `inspectCheckout` found, when the caller asked earlier.
 */
export async function updateCheckout(index: LocalIndex, change: CommittedChange, trackingRef: string | null, inspected?: Promise<CheckoutState>): Promise<boolean> {
  const { base, commit } = change;
  // first, as it always was: a tracking ref that cannot move fails the write before the work tree is touched
  const tracked = trackingRef === null ? Promise.resolve() : git(index.dir, ['update-ref', trackingRef, commit]).then(() => undefined);
  if (base === null) return tracked.then(() => slowUpdate(index, change));
  const paths = [...change.before.keys()];
  const [{ state, unmerged, entries, added }] = await Promise.all([inspected ?? inspectCheckout(index, change), tracked]);
  const lines = state.stdout.split('\n');
  const [bare, guarded, head, headRef] = [lines[0], lines.slice(1, 1 + GUARDED.length), lines[1 + GUARDED.length], lines[2 + GUARDED.length]];
  // without a remote the local push already moved the branch to the commit
  const atBase = state.exitCode === 0 && bare === 'false' && headRef === `refs/heads/${index.branch}` && head === (index.remote === null ? commit : base);
  const clean = entries.exitCode === 0 && stagedAsBase(entries.stdout, change.before) && !added && unmerged.exitCode === 0 && unmerged.stdout === '';
  // what rev-parse said need not be asked again
  const known = state.exitCode === 0 && (bare === 'true' || bare === 'false') ? { bare: bare === 'true', onBranch: headRef === `refs/heads/${index.branch}` } : undefined;
  if (!atBase || !clean || (await anyExists(index.dir, guarded))) return slowUpdate(index, change, known);

  const checkout = await tryGit(index.dir, ['checkout', '--quiet', commit, '--', ...paths], { env: LITERAL });
  if (checkout.exitCode !== 0) return false;
  if (index.remote === null) return true;
  // the branch moves after the work tree, as merge orders it, and only from where it was
  const moved = await tryGit(index.dir, ['update-ref', '-m', `merge ${commit}: Fast-forward`, `refs/heads/${index.branch}`, commit, base]);
  return moved.exitCode === 0;
}

/** Paths are file names, never patterns. */
const LITERAL = { GIT_LITERAL_PATHSPECS: '1' };

/**
 * Whether `ls-files --stage --modified` shows exactly the base's entry, staged and unmodified
 * in the work tree, for every path the base had, and nothing for the paths it did not.
 */
function stagedAsBase(listing: string, before: ReadonlyMap<string, TreeEntry | null>): boolean {
  const seen = new Map<string, string[]>();
  for (const line of listing.split('\0')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const file = line.slice(tab + 1);
    seen.set(file, [...(seen.get(file) ?? []), line.slice(0, tab)]);
  }
  for (const [file, entry] of before) {
    const lines = seen.get(file) ?? [];
    seen.delete(file);
    if (entry === null ? lines.length !== 0 : lines.length !== 1 || lines[0] !== `${entry.mode} ${entry.oid} 0`) return false;
  }
  // a line for any other path is not understood: the slow way decides
  return seen.size === 0;
}

async function anyExists(dir: string, paths: readonly string[]): Promise<boolean> {
  return (await Promise.all(paths.map((p) => exists(path.resolve(dir, p))))).some(Boolean);
}

/** Anything there, even a dangling link or a file where a folder should be, counts. */
async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** The general way: git decides whether the fast-forward is safe. */
async function slowUpdate(index: LocalIndex, change: CommittedChange, known?: { bare: boolean; onBranch: boolean }): Promise<boolean> {
  const { base, commit } = change;
  const onBranch = known?.onBranch ?? (await currentBranch(index.dir)) === index.branch;
  if (known?.bare ?? (await isBareRepository(index.dir))) return true;
  if (!onBranch) {
    if (index.remote === null) return true;
    const moved = await tryGit(index.dir, ['update-ref', `refs/heads/${index.branch}`, commit]);
    return moved.exitCode === 0;
  }
  if (base === null) {
    // a first commit: the branch was unborn, so the staging area holds nothing of it yet;
    // stage what was committed and put the written files in the work tree
    await tryGit(index.dir, ['update-ref', `refs/heads/${index.branch}`, commit]);
    const reset = await tryGit(index.dir, ['reset', '--quiet', commit, '--']);
    const checkout = await tryGit(index.dir, ['checkout', '--quiet', commit, '--', ...change.before.keys()]);
    return reset.exitCode === 0 && checkout.exitCode === 0;
  }
  if (index.remote === null) {
    // the branch has moved already: bring the staging area and work tree along (a two-way
    // merge that refuses to overwrite local edits)
    const result = await tryGit(index.dir, ['read-tree', '-m', '-u', base, commit]);
    return result.exitCode === 0;
  }
  const result = await tryGit(index.dir, ['merge', '--ff-only', '--quiet', commit]);
  return result.exitCode === 0;
}
