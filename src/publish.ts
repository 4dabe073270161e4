import { RegistryError } from './errors.js';
import { CONFIG_FILE, parseIndexConfig } from './index-repo/config.js';
import type { Committer } from './index-repo/committer.js';
import { writeIndexChange, type IndexSnapshot } from './index-repo/index-writer.js';
import { fetchOrigin, tipCommit, type LocalIndex } from './index-repo/local-index.js';
import { findEntry, insertEntry, parseIndexFile, serializeIndexFile } from './index-repo/package-file.js';
import { parseScopeInfo, serializeScopeInfo } from './index-repo/scope-file.js';
import { BlobReader } from './index-repo/tree-reader.js';
import type { IndexConfig, IndexEntry, IndexFile, TargetKind, VersionId } from './index-repo/types.js';
import { formatVersionId } from './index-repo/version.js';
import { inspectPackage, type InspectedPackage } from './package/inspect-package.js';
import { archiveKey, docKey, readmeKey } from './storage/keys.js';
import type { Storage } from './storage/storage.js';
import { publishedAtNow } from './published-at.js';
import { auditedMessage } from './audit/trailer.js';
import { assertMayWrite, type Identity } from './identity.js';

export interface WriteContext {
  index: LocalIndex;
  /** null only for dry runs */
  storage: Storage | null;
  /** URLs under which this index is known, besides its origin (dependencies on it are always allowed) */
  ownIndexUrls: string[];
  committer?: Partial<Committer> | undefined;
}

export type PublishPhase = 'validate' | 'upload' | 'commit' | 'push';

export interface PublishOptions {
  publisherId: number;
  /** who publishes: checked against the credential's scopes, recorded in the commit's trailer */
  actor?: Identity | undefined;
  dryRun?: boolean;
  onPhase?: (phase: PublishPhase) => void;
  onRetry?: (attempt: number, reason: string) => void;
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

export function indexUrls(ctx: WriteContext): string[] {
  return [...(ctx.index.remote === null ? [] : [ctx.index.remote]), ...ctx.ownIndexUrls];
}

/**
 * The one publish pipeline, for `pesde-registry publish` and `POST /v1/packages`:
 * validate against the index's rules, store every object, and only then commit and push
 * the index entry, so an entry never points at an archive that is not there.
 */
export async function publishPackage(ctx: WriteContext, archive: Buffer, opts: PublishOptions): Promise<PublishResult> {
  opts.onPhase?.('validate');
  await fetchOrigin(ctx.index);
  const base = await tipCommit(ctx.index);
  const reader = BlobReader.open(ctx.index.dir);
  let pkg: InspectedPackage;
  try {
    const snapshot: IndexSnapshot = { commit: base, read: (p) => reader.readText(`${base}:${p}`) };
    const config = await readConfig(snapshot);
    pkg = await inspectPackage(archive, { config, ownIndexUrls: indexUrls(ctx) });
    assertMayWrite(opts.actor, pkg.name.scope);
    // fail before uploading anything when the index already rules the package out
    await buildIndexChange(snapshot, pkg, opts.publisherId, '1970-01-01T00:00:00Z');
  } finally {
    reader.close();
  }
  const id: VersionId = { version: pkg.version, target: pkg.target };
  const keys = storageKeys(pkg, id, archive);
  if (opts.dryRun) {
    return { name: pkg.name.full, version: pkg.version, target: pkg.target, commit: null, storageKeys: keys.map((k) => k.key), entry: { published_at: publishedAtNow(), ...pkg.entry }, attempts: 0, localUpdated: true };
  }
  if (ctx.storage === null) {
    throw new RegistryError('usage', 'no storage configured: pass --storage-root <dir> or the S3 flags, or set FS_STORAGE_ROOT or S3_* variables');
  }
  opts.onPhase?.('upload');
  const storage = ctx.storage;
  await Promise.all(keys.map(({ key, body }) => storage.put(key, body)));

  opts.onPhase?.('commit');
  const publishedAt = publishedAtNow();
  let entry: IndexEntry | undefined;
  const written = await writeIndexChange(
    ctx.index,
    async (snapshot) => {
      const built = await buildIndexChange(snapshot, pkg, opts.publisherId, publishedAt);
      entry = built.entry;
      if (ctx.index.remote !== null) opts.onPhase?.('push');
      return { ...built.change, message: auditedMessage(built.change.message, 'add', opts.actor) };
    },
    { committer: ctx.committer, onRetry: opts.onRetry, alreadyFetched: true },
  );
  return {
    name: pkg.name.full,
    version: pkg.version,
    target: pkg.target,
    commit: written.commit,
    storageKeys: keys.map((k) => k.key),
    entry: entry!,
    attempts: written.attempts,
    localUpdated: written.localUpdated,
  };
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

/** The index change for one publish on top of `snapshot`, with every check that depends on the index. */
async function buildIndexChange(snapshot: IndexSnapshot, pkg: InspectedPackage, publisherId: number, publishedAt: string) {
  const { name } = pkg;
  const files = new Map<string, string>();
  const scopePath = `${name.scope}/scope.toml`;
  const scopeText = await snapshot.read(scopePath);
  if (scopeText === null) {
    files.set(scopePath, serializeScopeInfo({ owners: [publisherId] }));
  } else if (!parseScopeInfo(scopeText, scopePath).owners.includes(publisherId)) {
    throw new RegistryError('forbidden', `publisher ${publisherId} is not an owner of scope "${name.scope}": ask an owner to add you to ${scopePath}`);
  }
  const filePath = `${name.scope}/${name.name}`;
  const existing = await snapshot.read(filePath);
  const file: IndexFile = existing === null ? { entries: [] } : parseIndexFile(existing, filePath);
  const id: VersionId = { version: pkg.version, target: pkg.target };
  if (findEntry(file, id) !== undefined) {
    throw new RegistryError('conflict', `${name.full}@${formatVersionId(id)} is already published: bump the version in pesde.toml`);
  }
  const sibling = file.entries.find((e) => e.id.version === pkg.version);
  if (sibling !== undefined && sibling.entry.description !== pkg.entry.description) {
    throw new RegistryError('invalid_package', `${name.full}@${pkg.version} exists for target ${sibling.id.target} with a different description: use the same description for every target of a version`);
  }
  const entry: IndexEntry = { published_at: publishedAt, ...pkg.entry };
  files.set(filePath, serializeIndexFile(insertEntry(file, id, entry)));
  return { entry, change: { message: `add ${name.full}@${pkg.version} ${pkg.target}`, files } };
}
