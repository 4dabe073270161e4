import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from '../errors.js';
import { firstLine, git, tryGit } from './git.js';
import { fetchOrigin, tipCommit, type LocalIndex } from './local-index.js';
import { BlobReader } from './tree-reader.js';
import { committerEnv, resolveCommitter, type Committer } from './committer.js';

/** Read access to the index at the commit a change is being built on. */
export interface IndexSnapshot {
  readonly commit: string;
  read(filePath: string): Promise<string | null>;
}

export interface IndexChange {
  message: string;
  /** path in the index -> new content */
  files: Map<string, string>;
}

export interface WriteOptions {
  committer?: Partial<Committer> | undefined;
  /** how many times to rebuild on a newer tip after a rejected push */
  maxAttempts?: number;
  onRetry?: (attempt: number, reason: string) => void;
  /** the caller fetched origin moments ago: build the first attempt on what it has */
  alreadyFetched?: boolean;
}

export interface WriteResult {
  commit: string;
  attempts: number;
  /** false when the local branch could not be fast-forwarded (local changes); the remote has the commit */
  localUpdated: boolean;
}

export const DEFAULT_MAX_ATTEMPTS = 30;

/** Writers in one process (a server handling parallel requests) take turns per clone. */
const queues = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

/**
 * Builds a change on the newest tip, commits it without touching the work tree, and pushes.
 * When another writer pushed first, it fetches and rebuilds the change (so conflict and
 * ownership checks run again against what is really there) instead of force-pushing.
 * Nothing changes locally or remotely until a commit is complete, so a crash at any point
 * leaves at most unreferenced objects behind.
 */
export function writeIndexChange(
  index: LocalIndex,
  build: (snapshot: IndexSnapshot) => Promise<IndexChange>,
  opts: WriteOptions = {},
): Promise<WriteResult> {
  return serialised(index.dir, () => writeWithRetry(index, build, opts));
}

async function writeWithRetry(
  index: LocalIndex,
  build: (snapshot: IndexSnapshot) => Promise<IndexChange>,
  opts: WriteOptions,
): Promise<WriteResult> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const identity = committerEnv(await resolveCommitter(index.dir, opts.committer));
  let lockedAttempts = 0;
  for (let attempt = 1; ; attempt++) {
    // a caller that has just fetched saves a round trip; a stale tip only costs a retry
    if (attempt > 1 || !opts.alreadyFetched) await fetchOrigin(index);
    const base = await tipCommit(index);
    const change = await buildOn(index, base, build);
    const commit = await createCommit(index, base, change, identity);
    const outcome = await publishCommit(index, base, commit);
    if (outcome === 'updated') {
      return { commit, attempts: attempt, localUpdated: await fastForwardCheckout(index, base, commit) };
    }
    lockedAttempts = outcome.startsWith('rejected:locked:') ? lockedAttempts + 1 : 0;
    if (lockedAttempts >= STALE_LOCK_ATTEMPTS) {
      const file = outcome.slice('rejected:locked:'.length);
      throw new RegistryError('git', `the remote branch stays locked by ${file}: another push is running, or a killed one left the lock behind; if no push is running, delete that file and publish again (no change was made)`);
    }
    if (attempt >= maxAttempts) {
      throw new RegistryError('git', `the index moved under this write ${attempt} times in a row; try again (no change was made)`);
    }
    opts.onRetry?.(attempt, outcome);
    // jittered exponential backoff so a crowd of writers spreads out instead of colliding again
    const ceiling = Math.min(2000, 40 * 2 ** Math.min(attempt, 6));
    await sleep(ceiling / 2 + Math.random() * ceiling);
  }
}

async function buildOn(
  index: LocalIndex,
  base: string,
  build: (snapshot: IndexSnapshot) => Promise<IndexChange>,
): Promise<IndexChange> {
  const reader = BlobReader.open(index.dir);
  try {
    return await build({ commit: base, read: (p) => reader.readText(`${base}:${p}`) });
  } finally {
    reader.close();
  }
}

interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
}

async function readTree(dir: string, treeish: string): Promise<Map<string, TreeEntry>> {
  const entries = new Map<string, TreeEntry>();
  const result = await tryGit(dir, ['ls-tree', '-z', treeish]);
  // a missing folder (a new scope) is simply an empty tree
  if (result.exitCode !== 0) return entries;
  for (const record of result.stdout.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode, type, oid] = record.slice(0, tab).split(' ') as [string, string, string];
    entries.set(record.slice(tab + 1), { mode, type, oid });
  }
  return entries;
}

async function writeTree(dir: string, entries: Map<string, TreeEntry>): Promise<string> {
  const input = [...entries].map(([name, e]) => `${e.mode} ${e.type} ${e.oid}\t${name}\0`).join('');
  return git(dir, ['mktree', '-z'], { input });
}

/**
 * Builds the new tree from the trees it changes only (the root and each touched scope
 * folder), so the cost of a write follows the number of scopes it touches, not the
 * number of files in the index; the work tree and the user's staging area are never used.
 */
async function createCommit(index: LocalIndex, base: string, change: IndexChange, identity: Record<string, string>): Promise<string> {
  const root = await readTree(index.dir, base);
  const folders = new Map<string, Map<string, string>>();
  for (const [filePath, content] of change.files) {
    const parts = filePath.split('/');
    if (parts.length > 2 || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new RegistryError('git', `cannot write ${filePath}: index files live at most one folder deep`);
    }
    const oid = await git(index.dir, ['hash-object', '-w', '--stdin'], { input: content });
    if (parts.length === 1) root.set(filePath, { mode: '100644', type: 'blob', oid });
    else {
      const [folder, name] = parts as [string, string];
      if (!folders.has(folder)) folders.set(folder, new Map());
      folders.get(folder)!.set(name, oid);
    }
  }
  for (const [folder, files] of folders) {
    const existing = root.get(folder);
    const entries = existing?.type === 'tree' ? await readTree(index.dir, existing.oid) : new Map<string, TreeEntry>();
    for (const [name, oid] of files) entries.set(name, { mode: '100644', type: 'blob', oid });
    root.set(folder, { mode: '040000', type: 'tree', oid: await writeTree(index.dir, entries) });
  }
  const tree = await writeTree(index.dir, root);
  return git(index.dir, ['commit-tree', tree, '-p', base, '-F', '-'], { env: identity, input: change.message });
}

type PushOutcome = 'updated' | 'rejected:non-fast-forward' | `rejected:locked:${string}`;

/** A lock that outlives this many attempts is a leftover of a killed writer, not a concurrent push. */
const STALE_LOCK_ATTEMPTS = 5;

async function publishCommit(index: LocalIndex, base: string, commit: string): Promise<PushOutcome> {
  if (index.remote === null) {
    // compare-and-swap on the branch: fails when another local writer moved it first
    const result = await tryGit(index.dir, ['update-ref', `refs/heads/${index.branch}`, commit, base]);
    return result.exitCode === 0 ? 'updated' : 'rejected:non-fast-forward';
  }
  const result = await tryGit(index.dir, ['push', '--porcelain', 'origin', `${commit}:refs/heads/${index.branch}`]);
  if (result.exitCode === 0) {
    await git(index.dir, ['update-ref', `refs/remotes/origin/${index.branch}`, commit]);
    return 'updated';
  }
  const output = `${result.stdout}\n${result.stderr}`;
  const lock = /Unable to create '([^']+\.lock)': File exists/.exec(output);
  if (lock) return `rejected:locked:${lock[1]}`;
  if (/\[rejected\]|non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref/i.test(output)) {
    return 'rejected:non-fast-forward';
  }
  throw new RegistryError('git', `cannot push the index to ${index.remote}: ${firstLine(result.stderr) || firstLine(result.stdout)}`);
}

/**
 * Keeps a checked-out clone in step with what was pushed, when that is safe; the push is
 * what counts, so a clone with local edits is left alone rather than failing the publish.
 */
async function fastForwardCheckout(index: LocalIndex, base: string, commit: string): Promise<boolean> {
  const head = await tryGit(index.dir, ['symbolic-ref', '--quiet', 'HEAD']);
  const onBranch = head.exitCode === 0 && head.stdout.trim() === `refs/heads/${index.branch}`;
  const bare = (await tryGit(index.dir, ['rev-parse', '--is-bare-repository'])).stdout.trim() === 'true';
  if (bare) return true;
  if (!onBranch) {
    if (index.remote === null) return true;
    const moved = await tryGit(index.dir, ['update-ref', `refs/heads/${index.branch}`, commit]);
    return moved.exitCode === 0;
  }
  if (index.remote === null) {
    // update-ref already moved the branch: bring the staging area and work tree along (a
    // two-way merge that refuses to overwrite local edits)
    const result = await tryGit(index.dir, ['read-tree', '-m', '-u', base, commit]);
    return result.exitCode === 0;
  }
  const result = await tryGit(index.dir, ['merge', '--ff-only', '--quiet', commit]);
  return result.exitCode === 0;
}
