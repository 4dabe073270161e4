/**
 * The one writer: every change to an index (publish, yank, deprecate, owners, init's first
 * commit, the embedded index's config) is an `IndexWriteRequest` handed to `writeIndex`.
 * It takes the clone's lock only for fetch -> build -> commit -> push; whatever a write does
 * before (validating, uploading) runs outside it, so one slow upload never holds up another
 * write or the refresher.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from '../errors.js';
import { git, tryGit } from './git.js';
import { currentBranch, isBareRepository } from './git-queries.js';
import { fetchOrigin, type LocalIndex } from './local-index.js';
import { pushRefs, type RefUpdate } from './ref-push.js';
import { BlobReader, resolveRef } from './tree-reader.js';
import { committerEnv, resolveCommitter, type Committer } from './committer.js';

/** Read access to the index at the commit a change is being built on (null: an empty index). */
export interface IndexSnapshot {
  readonly commit: string | null;
  read(filePath: string): Promise<string | null>;
}

export interface IndexChange {
  message: string;
  /** path in the index -> new content */
  files: Map<string, string>;
}

export type WriteKind = 'publish' | 'yank' | 'deprecate' | 'owners' | 'init' | 'config';

export interface IndexWriteRequest {
  kind: WriteKind;
  /** a pure change builder: re-run on each newer tip, so its checks see what is really there */
  build: (snapshot: IndexSnapshot) => Promise<IndexChange>;
  /** who asked, for logs and the audit trail (e.g. `publisher 7`) */
  actor?: string | undefined;
  /** commit trailers appended after a blank line, in order (`Published-by: ...`) */
  trailers?: ReadonlyArray<readonly [string, string]> | undefined;
  /** refs moved in the same atomic push as the branch (releasing a publish claim) */
  alsoUpdate?: readonly RefUpdate[] | undefined;
  committer?: Partial<Committer> | undefined;
  /** how many times to rebuild on a newer tip after a rejected push */
  maxAttempts?: number | undefined;
  onRetry?: ((attempt: number, reason: string) => void) | undefined;
  /** told once the change is built and its push starts */
  onPush?: (() => void) | undefined;
  /** the caller fetched origin moments ago: build the first attempt on what it has */
  alreadyFetched?: boolean | undefined;
  /** an index may have no commit yet (init): the change becomes its first commit */
  allowEmpty?: boolean | undefined;
}

export interface WriteResult {
  kind: WriteKind;
  commit: string;
  /** pushes tried until one landed (1 when nobody else was writing) */
  attempts: number;
  /** false when the local branch could not be fast-forwarded (local changes); the remote has the commit */
  localUpdated: boolean;
}

export const DEFAULT_MAX_ATTEMPTS = 30;

/** Writers in one process (a server handling parallel requests) take turns per clone. */
const cloneLocks = new Map<string, Promise<unknown>>();

export function withCloneLock<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const previous = cloneLocks.get(dir) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  cloneLocks.set(dir, settled);
  void settled.then(() => {
    if (cloneLocks.get(dir) === settled) cloneLocks.delete(dir);
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
export function writeIndex(index: LocalIndex, request: IndexWriteRequest): Promise<WriteResult> {
  return withCloneLock(index.dir, () => writeWithRetry(index, request));
}

/**
 * Fetches origin into the ref writes build on, under the clone's lock: git updates that ref
 * with a compare-and-swap, so a fetch racing another (or a write moving it after its push)
 * fails with "cannot lock ref" (measured: 2 of 20 concurrent publishes answered 502).
 */
export function fetchWriteBase(index: LocalIndex): Promise<void> {
  return withCloneLock(index.dir, () => fetchOrigin(index));
}

/** The commit writes build on: origin's branch when there is a remote; null before the first commit. */
export async function writeBase(index: LocalIndex): Promise<string | null> {
  const remoteRef = `refs/remotes/origin/${index.branch}`;
  const localRef = `refs/heads/${index.branch}`;
  return (index.remote === null ? null : await resolveRef(index.dir, remoteRef)) ?? (await resolveRef(index.dir, localRef));
}

/** Runs `task` on a snapshot of the index at `base`. */
export async function readSnapshot<T>(index: LocalIndex, base: string | null, task: (snapshot: IndexSnapshot) => Promise<T>): Promise<T> {
  if (base === null) return task({ commit: null, read: async () => null });
  const reader = BlobReader.open(index.dir);
  try {
    return await task({ commit: base, read: (p) => reader.readText(`${base}:${p}`) });
  } finally {
    reader.close();
  }
}

async function writeWithRetry(index: LocalIndex, request: IndexWriteRequest): Promise<WriteResult> {
  const maxAttempts = request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const identity = committerEnv(await resolveCommitter(index.dir, request.committer));
  let lockedAttempts = 0;
  for (let attempt = 1; ; attempt++) {
    // a caller that has just fetched saves a round trip; a stale tip only costs a retry
    if (attempt > 1 || !request.alreadyFetched) await fetchForWrite(index, request.allowEmpty === true);
    const base = await writeBase(index);
    if (base === null && !request.allowEmpty) {
      throw new RegistryError('git', `${index.dir} has no commit on ${index.branch}: is it an initialised index (pesde-registry init)?`);
    }
    const change = await readSnapshot(index, base, request.build);
    const commit = await createCommit(index, base, change, commitMessage(change.message, request.trailers), identity);
    request.onPush?.();
    // what the pushed branch must still hold: origin's tip (absent on an empty remote), or the local branch
    const expected = index.remote === null ? base : await resolveRef(index.dir, `refs/remotes/origin/${index.branch}`);
    const branch: RefUpdate = { ref: `refs/heads/${index.branch}`, to: commit, expect: expected ?? 'absent' };
    const outcome = await pushRefs(index, [branch, ...(request.alsoUpdate ?? [])]);
    if (outcome.kind === 'pushed') {
      if (index.remote !== null) await git(index.dir, ['update-ref', `refs/remotes/origin/${index.branch}`, commit]);
      return { kind: request.kind, commit, attempts: attempt, localUpdated: await fastForwardCheckout(index, base, commit, change) };
    }
    if (outcome.kind === 'failed') throw new RegistryError('git', outcome.message);
    if (outcome.kind === 'behind' && !outcome.refs.includes(branch.ref)) {
      // the branch was fine, so a ref the caller holds (a claim) was taken from it
      throw new RegistryError('conflict', `${outcome.refs.filter((ref) => ref !== branch.ref).join(', ')} changed under this write: another writer took it over (no change was made)`);
    }
    lockedAttempts = outcome.kind === 'locked' ? lockedAttempts + 1 : 0;
    if (outcome.kind === 'locked' && lockedAttempts >= STALE_LOCK_ATTEMPTS) {
      throw new RegistryError('git', `the remote branch stays locked by ${outcome.lockFile}: another push is running, or a killed one left the lock behind; if no push is running, delete that file and publish again (no change was made)`);
    }
    if (attempt >= maxAttempts) {
      throw new RegistryError('git', `the index moved under this write ${attempt} times in a row; try again (no change was made)`);
    }
    request.onRetry?.(attempt, outcome.kind === 'locked' ? `locked: ${outcome.lockFile}` : 'behind');
    // jittered exponential backoff so a crowd of writers spreads out instead of colliding again
    const ceiling = Math.min(2000, 40 * 2 ** Math.min(attempt, 6));
    await sleep(ceiling / 2 + Math.random() * ceiling);
  }
}

/** A lock that outlives this many attempts is a leftover of a killed writer, not a concurrent push. */
const STALE_LOCK_ATTEMPTS = 5;

async function fetchForWrite(index: LocalIndex, allowEmpty: boolean): Promise<void> {
  if (!allowEmpty || index.remote === null) return fetchOrigin(index);
  // an empty remote (a first push) has no branch to fetch yet
  const heads = await tryGit(index.dir, ['ls-remote', '--heads', 'origin', index.branch]);
  if (heads.exitCode === 0 && heads.stdout.trim() !== '') await fetchOrigin(index);
}

function commitMessage(message: string, trailers: IndexWriteRequest['trailers']): string {
  if (trailers === undefined || trailers.length === 0) return message;
  for (const [key, value] of trailers) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key) || /[\r\n]/.test(value)) throw new RegistryError('usage', `invalid commit trailer ${JSON.stringify(key)}`);
  }
  return `${message.replace(/\n+$/, '')}\n\n${trailers.map(([key, value]) => `${key}: ${value}`).join('\n')}\n`;
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
async function createCommit(index: LocalIndex, base: string | null, change: IndexChange, message: string, identity: Record<string, string>): Promise<string> {
  const root = base === null ? new Map<string, TreeEntry>() : await readTree(index.dir, base);
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
  return git(index.dir, ['commit-tree', tree, ...(base === null ? [] : ['-p', base]), '-F', '-'], { env: identity, input: message });
}

/**
 * Keeps a checked-out clone in step with what was pushed, when that is safe; the push is
 * what counts, so a clone with local edits is left alone rather than failing the publish.
 */
async function fastForwardCheckout(index: LocalIndex, base: string | null, commit: string, change: IndexChange): Promise<boolean> {
  const onBranch = (await currentBranch(index.dir)) === index.branch;
  if (await isBareRepository(index.dir)) return true;
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
    const paths = [...change.files.keys()];
    const checkout = await tryGit(index.dir, ['checkout', '--quiet', commit, '--', ...paths]);
    return reset.exitCode === 0 && checkout.exitCode === 0;
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
