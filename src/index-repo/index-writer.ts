/**
 * The one writer: every change to an index (publish, yank, deprecate, owners, init's first
 * commit, the embedded index's config) is an `IndexWriteRequest` handed to `writeIndex`.
 * It takes the clone's lock only for fetch -> build -> commit -> push; whatever a write does
 * before (validating, uploading) runs outside it, so one slow upload never holds up another
 * write or the refresher.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from '../errors.js';
import { tryGit } from './git.js';
import { inspectCheckout, updateCheckout } from './checkout-update.js';
import { buildCommit, type BuiltCommit } from './commit-builder.js';
import { withCloneLock } from './clone-lock.js';
import { fetchOrigin, type LocalIndex } from './local-index.js';
import { pushRefs, type RefUpdate } from './ref-push.js';
import { readRepoFacts } from './repo-facts.js';
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
  /** the caller fetched origin moments ago (or just saw its tip in a push): build the first attempt on what it has */
  alreadyFetched?: boolean | undefined;
  /** the caller's open reader of this clone, used instead of starting another `cat-file` */
  reader?: BlobReader | undefined;
  /** an index may have no commit yet (init): the change becomes its first commit */
  allowEmpty?: boolean | undefined;
  /** the change already built on a base (`prepareCommit`): the first attempt pushes it when that is still the base */
  prepared?: PreparedCommit | undefined;
}

/** A write's commit, built before the write was due (a publish builds it beside its claim's push). */
export interface PreparedCommit extends BuiltCommit {
  /** what it was built on */
  base: string | null;
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

/** The commit writes build on: origin's branch when there is a remote; null before the first commit. */
export async function writeBase(index: LocalIndex, reader?: BlobReader): Promise<string | null> {
  return (await resolveWriteBase(index, reader)).base;
}

/**
 * The base, and origin's tip as this clone knows it (null when it has none): the lease of
 * the push. Looked up through the caller's open reader when there is one (no new process).
 */
async function resolveWriteBase(index: LocalIndex, reader?: BlobReader): Promise<{ base: string | null; originTip: string | null }> {
  const resolve = (ref: string) => (reader === undefined ? resolveRef(index.dir, ref) : reader.resolveCommit(ref));
  const originTip = index.remote === null ? null : await resolve(`refs/remotes/origin/${index.branch}`);
  return { base: originTip ?? (await resolve(`refs/heads/${index.branch}`)), originTip };
}

/** Runs `task` on a snapshot of the index at `base`, through `reader` when the caller has one open. */
export async function readSnapshot<T>(index: LocalIndex, base: string | null, task: (snapshot: IndexSnapshot) => Promise<T>, reader?: BlobReader): Promise<T> {
  if (base === null) return task({ commit: null, read: async () => null });
  const own = reader ?? BlobReader.open(index.dir);
  try {
    return await task({ commit: base, read: (p) => own.readText(`${base}:${p}`) });
  } finally {
    if (reader === undefined) own.close();
  }
}

/** The index with its config facts, read once for the whole operation when it has none. */
export async function withRepoFacts(index: LocalIndex): Promise<LocalIndex> {
  return index.facts !== undefined ? index : { ...index, facts: await readRepoFacts(index.dir) };
}

/**
 * Builds `request`'s change on `base` and writes its commit, without the clone's lock and
 * without pushing: only objects no ref names yet are written, so nothing is visible until a
 * `writeIndex` with `prepared` pushes it. A publish builds its commit while its claim's push
 * is on the way, instead of after its upload.
 */
export async function prepareCommit(index: LocalIndex, request: IndexWriteRequest, base: string | null, reader: BlobReader): Promise<PreparedCommit> {
  return { base, ...(await buildOn(index, request, base, reader, await commitIdentity(index, request))) };
}

async function buildOn(index: LocalIndex, request: IndexWriteRequest, base: string | null, reader: BlobReader, identity: Record<string, string>): Promise<BuiltCommit> {
  const change = await readSnapshot(index, base, request.build, reader);
  return buildCommit(index.dir, reader, base, change, commitMessage(change.message, request.trailers), identity);
}

async function commitIdentity(index: LocalIndex, request: IndexWriteRequest): Promise<Record<string, string>> {
  return committerEnv(await resolveCommitter(index.dir, request.committer, index.facts));
}

async function writeWithRetry(unread: LocalIndex, request: IndexWriteRequest): Promise<WriteResult> {
  const maxAttempts = request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const index = await withRepoFacts(unread);
  const identity = await commitIdentity(index, request);
  const reader = request.reader ?? BlobReader.open(index.dir);
  try {
    let lockedAttempts = 0;
    for (let attempt = 1; ; attempt++) {
      // a caller that has just fetched saves a round trip; a stale tip only costs a retry
      if (attempt > 1 || !request.alreadyFetched) await fetchForWrite(index, request.allowEmpty === true);
      const { base, originTip } = await resolveWriteBase(index, reader);
      if (base === null && !request.allowEmpty) {
        throw new RegistryError('git', `${index.dir} has no commit on ${index.branch}: is it an initialised index (pesde-registry init)?`);
      }
      // built ahead on this very base: the same commit this attempt would build
      const prepared = attempt === 1 && request.prepared !== undefined && request.prepared.base === base ? request.prepared : undefined;
      const { commit, before } = prepared ?? (await buildOn(index, request, base, reader, identity));
      request.onPush?.();
      // what the pushed branch must still hold: the tip the change was built on (absent on an
      // empty remote), or the local branch; never a tip seen later, which the change has not seen
      const expected = index.remote === null ? base : originTip;
      const branch: RefUpdate = { ref: `refs/heads/${index.branch}`, to: commit, expect: expected ?? 'absent' };
      const pushing = pushRefs(index, [branch, ...(request.alsoUpdate ?? [])]);
      // the checkout's questions do not depend on a push to a remote: asked while it is on the way
      const inspected = index.remote === null || base === null ? undefined : inspectCheckout(index, { base, commit, before });
      const outcome = await pushing;
      if (outcome.kind === 'pushed') {
        const trackingRef = index.remote === null ? null : `refs/remotes/origin/${index.branch}`;
        // git's push has moved it already when the clone's fetch refspec maps the branch to it
        const tracked = trackingRef !== null && (await reader.resolveCommit(trackingRef)) === commit;
        const localUpdated = await updateCheckout(index, { base, commit, before }, tracked ? null : trackingRef, inspected);
        return { kind: request.kind, commit, attempts: attempt, localUpdated };
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
  } finally {
    if (request.reader === undefined) reader.close();
  }
}

/** A lock that outlives this many attempts is a leftover of a killed writer, not a concurrent push. */
const STALE_LOCK_ATTEMPTS = 5;

async function fetchForWrite(index: LocalIndex, allowEmpty: boolean): Promise<void> {
  if (!allowEmpty || index.remote === null) return fetchOrigin(index);
  // an empty remote (a first push) has no branch to fetch yet
  const heads = await tryGit(index.dir, ['ls-remote', '--heads', 'origin', index.branch], { remote: index.facts?.fetch });
  if (heads.exitCode === 0 && heads.stdout.trim() !== '') await fetchOrigin(index);
}

function commitMessage(message: string, trailers: IndexWriteRequest['trailers']): string {
  if (trailers === undefined || trailers.length === 0) return message;
  for (const [key, value] of trailers) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key) || /[\r\n]/.test(value)) throw new RegistryError('usage', `invalid commit trailer ${JSON.stringify(key)}`);
  }
  return `${message.replace(/\n+$/, '')}\n\n${trailers.map(([key, value]) => `${key}: ${value}`).join('\n')}\n`;
}
