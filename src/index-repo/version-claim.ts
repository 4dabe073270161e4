/**
 * One winner per version, across every writer (threads of one server, replicas, a CLI).
 * Before a publish uploads anything it creates a ref on the index's origin,
 * `refs/registry-claims/<scope>/<name>/<version>/<target>`, then makes sure the branch is
 * still where the publish's checks ran. Git refuses to create an existing ref without
 * force, so of two publishes of one version exactly one gets the claim;
 * the other is told 409 before it writes a byte. The winner's index push deletes the claim in
 * the same atomic push. A claim older than the lease is a crashed publish's and may be taken
 * over (a lease-checked force), so a crash never blocks a version for good; so is one whose
 * holder ran where this process runs and is gone (a killed CLI), without waiting
 * (claim-holder.ts says what "where" is).
 */
import { randomUUID } from 'node:crypto';
import { RegistryError } from '../errors.js';
import { durationText } from '../duration-text.js';
import { holderIsGone, holderTrailers } from './claim-holder.js';
import { committerEnv, resolveCommitter, type Committer } from './committer.js';
import { git, tryGit } from './git.js';
import type { LocalIndex } from './local-index.js';
import { pushRefs, type RefUpdate } from './ref-push.js';
import { remoteRefs } from './remote-refs.js';
import type { PackageName, VersionId } from './types.js';
import { formatVersionId } from './version.js';

/** Longer than any publish takes between its claim and its index push (upload included). */
export const CLAIM_LEASE_MS = 10 * 60 * 1000;

export const CLAIM_PREFIX = 'refs/registry-claims';
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface VersionClaim {
  ref: string;
  oid: string;
}

export function claimRef(name: PackageName, id: VersionId): string {
  // versions are semver (with `+build` and `-pre`), targets a fixed word: all valid in a ref name
  return claimRefOfVersionDir(`${name.scope}/${name.name}/${id.version}/${id.target}`);
}

/** The claim ref of the version whose objects live under `<scope>/<name>/<version>/<target>/` in storage. */
export function claimRefOfVersionDir(dir: string): string {
  return `${CLAIM_PREFIX}/${dir}`;
}

export type ClaimAttempt =
  | { kind: 'claimed'; claim: VersionClaim }
  /** the branch moved since `base`: check the version again on the new tip, then retry */
  | { kind: 'moved' };

/**
 * The commit a claim's ref points at: unique per attempt (two claims can never look alike),
 * its date the lease's start. Written before the claim is pushed, it is named by no ref.
 */
export function claimCommit(index: LocalIndex, name: PackageName, id: VersionId, describe: string, committer?: Partial<Committer>): Promise<string> {
  return writeClaimCommit(index, `claim ${name.full}@${formatVersionId(id)}`, describe, committer);
}

/**
 * A claim's commit with its own subject line (one for many versions, say); `brief` for a hold
 * of seconds by a writer that is not a publish, which a publish then waits for.
 */
export async function writeClaimCommit(index: LocalIndex, subject: string, describe: string, committer?: Partial<Committer>, brief = false): Promise<string> {
  // a claim is a commit like any other: on a machine without a git identity it needs ours
  const identity = committerEnv(await resolveCommitter(index.dir, committer, index.facts));
  // one line each: a name holding line breaks must not write holder lines of its own
  const line = (text: string) => text.replace(/[\r\n]+/g, ' ');
  return git(index.dir, ['commit-tree', EMPTY_TREE, '-F', '-'], { env: identity, input: `${line(subject)}\n\n${line(describe)}\nClaim-id: ${randomUUID()}\n${brief ? `${BRIEF_TRAILER}\n` : ''}${holderTrailers()}` });
}

export interface ClaimOptions {
  committer?: Partial<Committer> | undefined;
  /** from `claimCommit`, written ahead; a new one when not given */
  commit?: string | undefined;
  /** how long a brief hold (gc's) is waited for before a 409 (BRIEF_WAIT_MS) */
  briefWaitMs?: number | undefined;
}

/**
 * Claims `name@id` while the branch is still at `base` (the commit the caller's checks read).
 * Throws 409 when another publish holds a live claim on the version.
 */
export async function claimVersion(index: LocalIndex, name: PackageName, id: VersionId, base: string, describe: string, opts: ClaimOptions = {}): Promise<ClaimAttempt> {
  const { committer, briefWaitMs = BRIEF_WAIT_MS } = opts;
  const ref = claimRef(name, id);
  const oid = opts.commit ?? (await claimCommit(index, name, id, describe, committer));
  const branch: RefUpdate = { ref: `refs/heads/${index.branch}`, to: base, expect: base };
  // the claim being taken over: only ever one found stale, never one read again after the check
  let holder: string | null = null;
  let takeovers = 0;
  let briefWaits = 0;
  let waitedMs = 0;
  for (;;) {
    const outcome = await pushRefs(index, [branch, { ref, to: oid, expect: holder ?? 'absent' }]);
    if (outcome.kind === 'pushed') {
      const claim = { ref, oid };
      // git sends no command for a ref it finds unchanged, so the branch was checked against the
      // remote's advertisement only, and a version landed since then would be claimed again. Held,
      // the claim keeps anyone else from landing the version: the tip read now says if one had.
      if (index.remote === null) return { kind: 'claimed', claim };
      const tip = await remoteRef(index, branch.ref).catch(async (error: unknown) => {
        await abandonClaim(index, claim);
        throw error;
      });
      if (tip === base) return { kind: 'claimed', claim };
      await abandonClaim(index, claim);
      return { kind: 'moved' };
    }
    if (outcome.kind === 'failed') throw new RegistryError('git', outcome.message);
    if (outcome.kind === 'locked') throw new RegistryError('git', `cannot claim ${name.full}@${formatVersionId(id)}: ${outcome.lockFile} is locked; try again`);
    // a rejected branch may hide the reason for the claim (an atomic push rejects all): check again on the new tip
    if (outcome.refs.includes(branch.ref)) return { kind: 'moved' };
    const current = await remoteRef(index, ref);
    if (current === null) {
      if (takeovers++ > 3) throw new RegistryError('conflict', `${name.full}@${formatVersionId(id)} is being published by another writer right now; try again`);
      // gone since the push: claim it as new (a claim made meanwhile makes that push fail, and is checked then)
      holder = null;
      continue;
    }
    const held = await judgeClaim(index, ref, current);
    if (held === 'brief' && waitedMs < briefWaitMs) {
      // held for a few seconds by a writer that is not a publish (gc): worth waiting for, not a 409
      const pause = Math.min(2000, 250 * 2 ** briefWaits++, Math.max(1, briefWaitMs - waitedMs));
      await new Promise((resolve) => setTimeout(resolve, pause));
      waitedMs += pause;
      holder = null;
      continue;
    }
    if (held === 'brief') {
      throw new RegistryError('conflict', `${name.full}@${formatVersionId(id)} has been held by \`pesde-registry gc --delete\` for over ${durationText(briefWaitMs)}; try again when it is done`);
    }
    if (held === 'live' || takeovers++ > 3) {
      throw new RegistryError('conflict', `${name.full}@${formatVersionId(id)} is being published by another writer right now (or was just published): bump the version in pesde.toml`);
    }
    holder = current;
  }
}

/** How long a claim waits for a brief hold (gc's) to end before it gives up with a 409. */
const BRIEF_WAIT_MS = 30_000;

/** The trailer of a claim held for seconds by a writer that is not a publish. */
const BRIEF_TRAILER = 'Claim-kind: brief';

/** The ref update that releases `claim`, for the index push that lands the version. */
export function releaseUpdate(claim: VersionClaim): RefUpdate {
  return { ref: claim.ref, to: null, expect: claim.oid };
}

/** Gives a claim back after a failed publish, so the version can be published again at once. */
export async function abandonClaim(index: LocalIndex, claim: VersionClaim): Promise<void> {
  await pushRefs(index, [releaseUpdate(claim)]).catch(() => undefined);
}

/** What `ref` holds on the index's origin (in the repository itself without one); null when absent. */
async function remoteRef(index: LocalIndex, ref: string): Promise<string | null> {
  return (await remoteRefs(index, ref)).get(ref) ?? null;
}

/** Whether a claim is stale (its holder crashed: it may be taken over), live, or a brief hold that ends on its own. */
async function judgeClaim(index: LocalIndex, ref: string, oid: string): Promise<'stale' | 'live' | 'brief'> {
  let claim = await readClaim(index.dir, oid);
  if (claim === null && index.remote !== null) {
    // fetched only now, into a private ref: the claim's date is what says whether it is live
    const seen = ref.replace(CLAIM_PREFIX, 'refs/registry-claims-seen');
    await tryGit(index.dir, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', 'origin', `+${ref}:${seen}`], { remote: index.facts?.fetch });
    claim = await readClaim(index.dir, oid);
  }
  if (claim === null) return 'live';
  if (Date.now() - claim.seconds * 1000 > CLAIM_LEASE_MS) return 'stale';
  // a holder where this process runs whose process is gone (killed mid-publish) needs no lease to expire
  if (holderIsGone(claim.message)) return 'stale';
  return claim.message.split('\n').includes(BRIEF_TRAILER) ? 'brief' : 'live';
}

/** A claim commit's date (seconds) and message, in one read; null when this clone does not have it. */
async function readClaim(dir: string, oid: string): Promise<{ seconds: number; message: string } | null> {
  const result = await tryGit(dir, ['log', '-1', '--format=%ct%n%B', oid, '--']);
  if (result.exitCode !== 0) return null;
  const newline = result.stdout.indexOf('\n');
  const seconds = Number(result.stdout.slice(0, newline));
  return newline > 0 && Number.isFinite(seconds) ? { seconds, message: result.stdout.slice(newline + 1) } : null;
}
