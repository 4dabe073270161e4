/**
 * The pure change builders: each kind of write as (snapshot of the index) -> change, with
 * every check that depends on what the index holds. The writer re-runs them on each newer
 * tip; a publish also runs its check once before uploading, so a doomed publish uploads nothing.
 */
import { RegistryError } from '../errors.js';
import type { IndexChange, IndexSnapshot } from './index-writer.js';
import { packageFilePath, scopeFilePath } from './index-layout.js';
import { findEntry, insertEntry, parseIndexFile, serializeIndexFile } from './package-file.js';
import { parseScopeInfo, serializeScopeInfo } from './scope-file.js';
import type { IndexEntry, IndexFile, PackageName, ScopeInfo, TargetKind, VersionId } from './types.js';
import { formatVersionId } from './version.js';

/** The one owner check, for every write into a scope. */
export function assertScopeOwner(scope: string, info: ScopeInfo, publisherId: number): void {
  if (!info.owners.includes(publisherId)) {
    throw new RegistryError('forbidden', `publisher ${publisherId} is not an owner of scope "${scope}": ask an owner to add you to ${scopeFilePath(scope)}`);
  }
}

async function readScope(snapshot: IndexSnapshot, scope: string): Promise<ScopeInfo | null> {
  const text = await snapshot.read(scopeFilePath(scope));
  return text === null ? null : parseScopeInfo(text, scopeFilePath(scope));
}

async function readPackage(snapshot: IndexSnapshot, name: PackageName): Promise<IndexFile | null> {
  const text = await snapshot.read(packageFilePath(name));
  return text === null ? null : parseIndexFile(text, packageFilePath(name));
}

/** Reads a package file after checking the publisher owns its scope (the official order of checks). */
export async function readOwnedPackage(snapshot: IndexSnapshot, name: PackageName, publisherId: number): Promise<IndexFile> {
  const scope = await readScope(snapshot, name.scope);
  if (scope === null) throw new RegistryError('not_found', `package ${name.full} does not exist in this index`);
  assertScopeOwner(name.scope, scope, publisherId);
  const file = await readPackage(snapshot, name);
  if (file === null) throw new RegistryError('not_found', `package ${name.full} does not exist in this index`);
  return file;
}

export interface PublishedVersion {
  name: PackageName;
  id: VersionId;
  /** the index entry without `published_at`, which is set when the change is built */
  entry: Omit<IndexEntry, 'published_at'>;
}

export interface PublishPlan {
  /** null when the scope exists */
  newScope: ScopeInfo | null;
  file: IndexFile;
}

/** Every check a publish makes against the index, without building anything. */
export async function checkPublishable(snapshot: IndexSnapshot, pkg: PublishedVersion, publisherId: number): Promise<PublishPlan> {
  const { name, id } = pkg;
  const scope = await readScope(snapshot, name.scope);
  if (scope !== null) assertScopeOwner(name.scope, scope, publisherId);
  const file = (await readPackage(snapshot, name)) ?? { entries: [] };
  if (findEntry(file, id) !== undefined) {
    throw new RegistryError('conflict', `${name.full}@${formatVersionId(id)} is already published: bump the version in pesde.toml`);
  }
  const sibling = file.entries.find((e) => e.id.version === id.version);
  if (sibling !== undefined && sibling.entry.description !== pkg.entry.description) {
    throw new RegistryError('invalid_package', `${name.full}@${id.version} exists for target ${sibling.id.target} with a different description: use the same description for every target of a version`);
  }
  return { newScope: scope === null ? { owners: [publisherId] } : null, file };
}

/** The change for one publish on top of `snapshot`: the entry in order, and `scope.toml` for a new scope. */
export async function buildPublishChange(snapshot: IndexSnapshot, pkg: PublishedVersion, publisherId: number, publishedAt: string, checked?: PublishPlan): Promise<{ entry: IndexEntry; change: IndexChange }> {
  // `checked`: what checkPublishable answered for this very snapshot, which it would answer again
  const plan = checked ?? (await checkPublishable(snapshot, pkg, publisherId));
  const files = new Map<string, string>();
  if (plan.newScope !== null) files.set(scopeFilePath(pkg.name.scope), serializeScopeInfo(plan.newScope));
  const entry: IndexEntry = { published_at: publishedAt, ...pkg.entry };
  files.set(packageFilePath(pkg.name), serializeIndexFile(insertEntry(plan.file, pkg.id, entry)));
  return { entry, change: { message: `add ${pkg.name.full}@${pkg.id.version} ${pkg.id.target}`, files } };
}

export interface YankChange {
  name: PackageName;
  version: string;
  target: TargetKind | 'all';
  yanked: boolean;
  publisherId: number;
}

export async function buildYankChange(snapshot: IndexSnapshot, req: YankChange): Promise<{ summary: string; change: IndexChange }> {
  const { name, version } = req;
  const file = await readOwnedPackage(snapshot, name, req.publisherId);
  const matching = file.entries.filter((e) => e.id.version === version && (req.target === 'all' || e.id.target === req.target));
  if (matching.length === 0) {
    throw new RegistryError('not_found', `${name.full}@${version}${req.target === 'all' ? '' : ` ${req.target}`} does not exist in this index`);
  }
  const changed = matching.filter((e) => Boolean(e.entry.yanked) !== req.yanked);
  if (changed.length === 0) {
    throw new RegistryError('conflict', `${name.full}@${version} is already ${req.yanked ? 'yanked' : 'not yanked'}`);
  }
  for (const e of changed) {
    if (req.yanked) e.entry.yanked = true;
    else delete e.entry.yanked;
  }
  const targets = changed.map((e) => e.id.target).join(', ');
  const verb = req.yanked ? 'yank' : 'unyank';
  return {
    summary: `${verb}ed ${name.full}@${version} ${targets}`,
    change: { message: `${verb} ${name.full}@${version} ${targets}`, files: new Map([[packageFilePath(name), serializeIndexFile(file)]]) },
  };
}

export interface DeprecateChange {
  name: PackageName;
  /** empty to undeprecate */
  reason: string;
  publisherId: number;
}

export async function buildDeprecateChange(snapshot: IndexSnapshot, req: DeprecateChange): Promise<{ summary: string; change: IndexChange }> {
  const { name, reason } = req;
  const deprecating = reason !== '';
  const file = await readOwnedPackage(snapshot, name, req.publisherId);
  if ((file.deprecated ?? '') === reason) {
    throw new RegistryError('conflict', deprecating ? `${name.full} is already deprecated with this reason` : `${name.full} is not deprecated`);
  }
  if (deprecating) file.deprecated = reason;
  else delete file.deprecated;
  return {
    summary: `${deprecating ? '' : 'un'}deprecated ${name.full}`,
    change: { message: `${deprecating ? '' : 'un'}deprecate ${name.full}`, files: new Map([[packageFilePath(name), serializeIndexFile(file)]]) },
  };
}
