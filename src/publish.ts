import { RegistryError } from './errors.js';
import { buildPublishChange, checkPublishable, type PublishedVersion, type PublishPlan } from './index-repo/changes.js';
import { DEFAULT_MAX_ARCHIVE_SIZE, parseIndexConfig } from './index-repo/config.js';
import type { Committer } from './index-repo/committer.js';
import { CONFIG_FILE } from './index-repo/index-layout.js';
import { fetchWriteBase } from './index-repo/clone-lock.js';
import { DEFAULT_MAX_ATTEMPTS, prepareCommit, readSnapshot, withRepoFacts, writeBase, writeIndex, type IndexSnapshot, type IndexWriteRequest } from './index-repo/index-writer.js';
import type { LocalIndex } from './index-repo/local-index.js';
import { knownIndexUrls } from './index-repo/index-address.js';
import type { IndexConfig, IndexEntry, TargetKind, VersionId } from './index-repo/types.js';
import { BlobReader } from './index-repo/tree-reader.js';
import { abandonClaim, CLAIM_LEASE_MS, claimCommit, claimVersion, releaseUpdate, type VersionClaim } from './index-repo/version-claim.js';
import { inspectPackage, readPackage, type InspectedPackage } from './package/inspect-package.js';
import { archiveKey, docKey, readmeKey } from './storage/keys.js';
import { NO_STORAGE_CONFIGURED } from './storage/storage-options.js';
import type { Storage } from './storage/storage.js';
import { uploadAll } from './storage/upload.js';
import { publishedAtNow } from './published-at.js';
import { assertMayWrite, mayWrite, type Identity } from './identity.js';

export interface WriteContext {
  index: LocalIndex;
  /** null only for dry runs */
  storage: Storage | null;
  /** URLs under which this index is known besides its origin (`index-address.ts` adds origin; dependencies on it are always allowed) */
  ownIndexUrls: string[];
  committer?: Partial<Committer> | undefined;
  /** how long the uploads may take (UPLOAD_DEADLINE_MS; tests shorten it) */
  uploadDeadlineMs?: number;
  /** how long the claim waits for a brief hold (gc's) to end before a 409 (BRIEF_WAIT_MS; tests shorten it) */
  briefWaitMs?: number;
}

/** Half the claim's lease: an upload never lands after another publish could take the claim over. */
export const UPLOAD_DEADLINE_MS = CLAIM_LEASE_MS / 2;

export type PublishPhase = 'validate' | 'upload' | 'commit' | 'push';

export interface PublishOptions {
  publisherId: number;
  dryRun?: boolean;
  onPhase?: (phase: PublishPhase) => void;
  onRetry?: (attempt: number, reason: string) => void;
  /** who publishes, for logs, the claim and the audit trail; `publisher <id>` when unset */
  actor?: string;
  /** commit trailers for the index commit (`Published-by: ...`) */
  trailers?: ReadonlyArray<readonly [string, string]>;
  /** the credential, whose scopes are checked as soon as the package's name is known */
  identity?: Identity | undefined;
  /** the fetch of origin every publish starts with (`fetchWriteBase`), when the caller started it already */
  fetched?: Promise<void> | undefined;
}

export interface PublishResult {
  name: string;
  version: string;
  target: TargetKind;
  /** null for a dry run */
  commit: string | null;
  storageKeys: string[];
  entry: IndexEntry;
  attempts: number;
  /** false when the pushed commit could not be checked out in the local clone (local edits, a stale lock) */
  localUpdated: boolean;
}

/**
 * The one publish pipeline, for `pesde-registry publish` and `POST /v1/packages`:
 * validate against the index's rules, claim the version on the index's origin (one winner
 * per version across every writer), store every object, and only then hand the entry to
 * the one writer, so an entry never points at an archive that is not there and storage
 * only ever holds the bytes of the publish that was told success. Validation and uploads
 * run outside any lock.
 *
 * The whole publish asks git's config once and reads the index through one `cat-file`; the
 * claim's push proves the branch is still at the commit the checks read, so the index
 * write builds on that commit without fetching again (a newer tip only costs a retry).
 */
export async function publishPackage(ctx: WriteContext, archive: Buffer, opts: PublishOptions): Promise<PublishResult> {
  opts.onPhase?.('validate');
  // the archive is read while the fetch runs; inspectPackage reports what it found after the
  // config's size check (a rejection is handled there). Only up to the default limit: before
  // the config is known, an archive larger than that is probably refused, and gunzipping it
  // first would be work (and a claim's commit) for nothing
  const reading = archive.length <= DEFAULT_MAX_ARCHIVE_SIZE ? readPackage(archive) : undefined;
  reading?.catch(() => undefined);
  const index = await withRepoFacts(ctx.index);
  const actor = opts.actor ?? `publisher ${opts.publisherId}`;
  // the claim's commit is written as soon as the archive names the version, beside the fetch;
  // a failure here is met again, and reported, by the claim itself
  const claimCommitted = opts.dryRun || ctx.storage === null || reading === undefined
    ? Promise.resolve(undefined)
    : reading.then((pkg) => (mayWrite(opts.identity, pkg.name.scope) ? claimCommit(index, pkg.name, { version: pkg.version, target: pkg.target }, actor, ctx.committer) : undefined)).catch(() => undefined);
  // started beside the fetch: cat-file finds objects that arrive after it started
  const reader = BlobReader.open(index.dir);
  try {
    await (opts.fetched ?? fetchWriteBase(index));
    return await publishFromBase({ ...ctx, index }, reader, archive, { ...opts, actor }, reading, claimCommitted);
  } catch (error) {
    // a publish that failed while the claim's commit was being written ends after that git, not beside it
    await claimCommitted;
    throw error;
  } finally {
    reader.close();
  }
}

async function publishFromBase(
  ctx: WriteContext,
  reader: BlobReader,
  archive: Buffer,
  opts: PublishOptions & { actor: string },
  reading: Promise<InspectedPackage> | undefined,
  claimCommitted: Promise<string | undefined>,
): Promise<PublishResult> {
  let base = await writeBase(ctx.index, reader);
  if (base === null) throw new RegistryError('usage', `${ctx.index.dir} has no commit on ${ctx.index.branch}: make it an index with \`pesde-registry init\``);
  const { actor } = opts;
  // what the checks found, and on which commit: the change built on that commit starts from it
  let checked: { commit: string | null; plan: PublishPlan } | undefined;
  const pkg = await readSnapshot(ctx.index, base, async (snapshot) => {
    const inspected = await inspectPackage(archive, { config: await readConfig(snapshot), ownIndexUrls: knownIndexUrls({ remote: ctx.index.remote, named: ctx.ownIndexUrls }), read: reading });
    assertMayWrite(opts.identity, inspected.name.scope);
    // fail before claiming or uploading anything when the index already rules the package out
    checked = { commit: snapshot.commit, plan: await checkPublishable(snapshot, published(inspected), opts.publisherId) };
    return inspected;
  }, reader);
  const version = published(pkg);
  const keys = storageKeys(pkg, version.id, archive);
  const result = (commit: string | null, entry: IndexEntry, attempts: number, localUpdated: boolean): PublishResult => ({
    name: pkg.name.full, version: pkg.version, target: pkg.target, commit, storageKeys: keys.map((k) => k.key), entry, attempts, localUpdated,
  });
  if (opts.dryRun) return result(null, { published_at: publishedAtNow(), ...pkg.entry }, 0, true);
  if (ctx.storage === null) throw new RegistryError('usage', NO_STORAGE_CONFIGURED);
  const storage = ctx.storage;

  const publishedAt = publishedAtNow();
  let entry: IndexEntry | undefined;
  const request: IndexWriteRequest = {
    kind: 'publish',
    actor,
    trailers: opts.trailers,
    build: async (snapshot) => {
      const built = await buildPublishChange(snapshot, version, opts.publisherId, publishedAt, snapshot.commit === checked?.commit ? checked.plan : undefined);
      entry = built.entry;
      return built.change;
    },
    // the claim's push just found the branch at `base`, which this clone's origin ref holds
    alreadyFetched: true,
    reader,
    onPush: () => {
      if (ctx.index.remote !== null) opts.onPhase?.('push');
    },
    committer: ctx.committer,
    onRetry: opts.onRetry,
  };
  const claimOptions = { committer: ctx.committer, briefWaitMs: ctx.briefWaitMs };
  let claiming = claimVersion(ctx.index, pkg.name, version.id, base, actor, { ...claimOptions, commit: await claimCommitted });
  // the index commit is built while the claim's push (spawned first) is on the way; no ref names
  // it until the writer pushes it after the upload. A failure here is the writer's to meet again.
  const preparing = prepareCommit(ctx.index, request, base, reader).catch(() => undefined);
  let claim: VersionClaim | undefined;
  try {
    for (let attempt = 1; claim === undefined; attempt++) {
      const claimed = await claiming;
      if (claimed.kind === 'claimed') claim = claimed.claim;
      else {
        if (attempt >= DEFAULT_MAX_ATTEMPTS) throw new RegistryError('git', 'the index moved under this publish too many times in a row; try again (no change was made)');
        // someone else pushed since the checks ran: they may have published this very version
        await fetchWriteBase(ctx.index);
        base = (await writeBase(ctx.index, reader))!;
        checked = { commit: base, plan: await readSnapshot(ctx.index, base, (snapshot) => checkPublishable(snapshot, version, opts.publisherId), reader) };
        claiming = claimVersion(ctx.index, pkg.name, version.id, base, actor, claimOptions);
      }
    }
  } catch (error) {
    // the commit built ahead reads through `reader`, which the caller closes once this returns
    await preparing;
    throw error;
  }
  try {
    opts.onPhase?.('upload');
    await uploadAll(storage, keys, ctx.uploadDeadlineMs ?? UPLOAD_DEADLINE_MS);

    opts.onPhase?.('commit');
    // built on an older base (the claim had to wait for a newer tip), the writer builds it again
    const written = await writeIndex(ctx.index, { ...request, alsoUpdate: [releaseUpdate(claim)], prepared: await preparing });
    return result(written.commit, entry!, written.attempts, written.localUpdated);
  } catch (error) {
    await abandonClaim(ctx.index, claim);
    throw error;
  }
}

function published(pkg: InspectedPackage): PublishedVersion {
  return { name: pkg.name, id: { version: pkg.version, target: pkg.target }, entry: pkg.entry };
}

async function readConfig(snapshot: IndexSnapshot): Promise<IndexConfig> {
  const text = await snapshot.read(CONFIG_FILE);
  if (text === null) throw new RegistryError('invalid_input', `the index has no ${CONFIG_FILE}: create one with \`pesde-registry init\``);
  return parseIndexConfig(text);
}

function storageKeys(pkg: InspectedPackage, id: VersionId, archive: Buffer): Array<{ key: string; body: Buffer }> {
  // the archive is stored as uploaded: clients verify nothing else, so any re-packing would change what they get
  const keys = [{ key: archiveKey(pkg.name, id), body: archive }];
  if (pkg.readme !== undefined) keys.push({ key: readmeKey(pkg.name, id), body: pkg.readme });
  for (const [hash, body] of pkg.docPages) keys.push({ key: docKey(hash), body });
  return keys;
}
