import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
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
  for (let attempt = 1; ; attempt++) {
    await fetchOrigin(index);
    const base = await tipCommit(index);
    const change = await buildOn(index, base, build);
    const commit = await createCommit(index, base, change, opts.committer);
    const outcome = await publishCommit(index, base, commit);
    if (outcome === 'updated') {
      return { commit, attempts: attempt, localUpdated: await fastForwardCheckout(index, base, commit) };
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

async function createCommit(index: LocalIndex, base: string, change: IndexChange, committer: Partial<Committer> | undefined): Promise<string> {
  const gitDir = path.resolve(index.dir, await git(index.dir, ['rev-parse', '--git-dir']));
  // a private index file per write keeps concurrent writers (and the user's own staging area) apart
  const indexFile = path.join(gitDir, `pesde-registry-${process.pid}-${randomBytes(6).toString('hex')}.index`);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    await git(index.dir, ['read-tree', base], { env });
    const lines: string[] = [];
    for (const [filePath, content] of change.files) {
      const oid = await git(index.dir, ['hash-object', '-w', '--stdin'], { input: content });
      lines.push(`100644 ${oid}\t${filePath}`);
    }
    await git(index.dir, ['update-index', '--index-info'], { env, input: `${lines.join('\n')}\n` });
    const tree = await git(index.dir, ['write-tree'], { env });
    const identity = committerEnv(await resolveCommitter(index.dir, committer));
    return await git(index.dir, ['commit-tree', tree, '-p', base, '-F', '-'], { env: identity, input: change.message });
  } finally {
    await rm(indexFile, { force: true });
  }
}

type PushOutcome = 'updated' | 'rejected:non-fast-forward';

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
