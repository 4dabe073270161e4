/**
 * Everything the publish pipeline needs to know about an uploaded archive, and every check
 * that depends on the archive alone (not on the index state: conflicts and scope ownership
 * are the caller's). Mirrors the official registry's publish endpoint, in this order: size,
 * archive structure, forbidden root entries, manifest, README, docs, dependency sources.
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { RegistryError } from '../errors.js';
import type { DependencyEntry, IndexConfig, IndexEntry, PackageName, TargetKind } from '../index-repo/types.js';
import { DEFAULT_ARCHIVE_LIMITS, readArchive } from './archive-reader.js';
import type { ArchiveContents, ArchiveLimits } from './archive-reader.js';
import { checkDependencySources } from './dependency-policy.js';
import { buildDocs } from './docs.js';
import { allDependencies, decodeManifest, parseManifest } from './manifest.js';
import type { Manifest } from './manifest.js';

const gzip = promisify(gzipCallback);

export interface InspectOptions {
  config: IndexConfig;
  /** URLs this index is known by (its remote URL and any aliases); compared loosely */
  ownIndexUrls: string[];
  limits?: Partial<ArchiveLimits>;
  /** `readPackage(archive, limits)` when the caller started it already (a publish, beside its fetch) */
  read?: Promise<InspectedPackage> | undefined;
}

export interface InspectedPackage {
  name: PackageName;
  version: string;
  target: TargetKind;
  /** the index entry to write, once `published_at` is set */
  entry: Omit<IndexEntry, 'published_at'>;
  /** gzip-compressed README, stored as `readme.gz` */
  readme?: Buffer;
  /** doc page hash -> gzip-compressed page, stored as `Doc/<hash>.gz` */
  docPages: Map<string, Buffer>;
  manifest: Manifest;
}

/** IGNORED_DIRS of the official source: refused at the root. */
export const FORBIDDEN_ROOT_DIRS: readonly string[] = ['.git'];
/** IGNORED_FILES and ADDITIONAL_FORBIDDEN_FILES of the official source: refused at the root. */
export const FORBIDDEN_ROOT_FILES: readonly string[] = ['foreman.toml', 'aftman.toml', 'rokit.toml', '.DS_Store', 'default.project.json'];

const invalid = (message: string): RegistryError => new RegistryError('invalid_package', message);

export async function inspectPackage(archive: Buffer, opts: InspectOptions): Promise<InspectedPackage> {
  checkArchiveSize(archive, opts.config);
  // an early read's findings wait for the size check, so the errors come in this order either way
  const pkg = await (opts.read ?? readPackage(archive, opts.limits));
  checkDependencySources(allDependencies(pkg.manifest), opts.config, opts.ownIndexUrls);
  return pkg;
}

/** The first check, before the archive is read: the index's limit on its size. */
function checkArchiveSize(archive: Buffer, config: IndexConfig): void {
  const max = config.max_archive_size;
  if (archive.length > max) {
    throw new RegistryError(
      'too_large',
      `archive is ${archive.length} bytes, more than this registry's limit of ${max} bytes (max_archive_size): include fewer or smaller files`,
    );
  }
}

/**
 * Every check that needs the archive alone, and what it yields. A publish starts this before
 * the index's config is known (while its fetch runs) and hands it to `inspectPackage`.
 */
export async function readPackage(archive: Buffer, limits?: Partial<ArchiveLimits>): Promise<InspectedPackage> {
  const contents = await readArchive(archive, { ...DEFAULT_ARCHIVE_LIMITS, ...limits });
  checkRootEntries(contents);

  const manifest = parseManifest(readManifestText(contents));
  const readme = selectReadme(contents);
  const { docs, pages } = await buildDocs(docsFiles(contents));
  const dependencies = allDependencies(manifest);

  const entry: Omit<IndexEntry, 'published_at'> = { target: manifest.target };
  if (manifest.description !== undefined) entry.description = manifest.description;
  if (manifest.license !== undefined) entry.license = manifest.license;
  if (manifest.authors.length > 0) entry.authors = manifest.authors;
  if (manifest.repository !== undefined) entry.repository = manifest.repository;
  if (Object.keys(manifest.engines).length > 0) entry.engines = manifest.engines;
  if (docs.length > 0) entry.docs = docs;
  // inspectPackage's checkDependencySources refuses workspace and path specifiers, the only
  // ones an index entry cannot hold; nothing is published without it.
  if (Object.keys(dependencies).length > 0) entry.dependencies = dependencies as Record<string, DependencyEntry>;

  const inspected: InspectedPackage = {
    name: manifest.name,
    version: manifest.version,
    target: manifest.target.environment,
    entry,
    docPages: pages,
    manifest,
  };
  if (readme !== undefined) inspected.readme = await gzip(readme);
  return inspected;
}

function checkRootEntries(contents: ArchiveContents): void {
  for (const { path, type } of contents.entries) {
    const slash = path.indexOf('/');
    const rootName = slash === -1 ? path : path.slice(0, slash);
    const isDir = slash !== -1 || type === 'directory';
    if (isDir && FORBIDDEN_ROOT_DIRS.includes(rootName)) {
      throw invalid(`archive contains the forbidden directory "${rootName}" at its root: leave it out of the package`);
    }
    if (!isDir && FORBIDDEN_ROOT_FILES.includes(rootName)) {
      throw invalid(`archive contains the forbidden file "${rootName}" at its root: leave it out of the package (toolchain and sync-tool files break installs)`);
    }
  }
}

function readManifestText(contents: ArchiveContents): string {
  const bytes = contents.files.get('pesde.toml');
  if (bytes === undefined) {
    throw invalid('archive has no pesde.toml at its root: pack the package root (where pesde.toml is), as pesde publish does');
  }
  return decodeManifest(bytes);
}

/**
 * The official registry takes `readme.md` or `readme.txt` in any case and refuses two of
 * them; a bare `readme` is what the client (and protocol.md) also call a README, so it is
 * used when it is the only candidate, without ever making an archive the official registry
 * accepts fail here.
 */
function selectReadme(contents: ArchiveContents): Buffer | undefined {
  const rootFiles = contents.entries.filter((e) => e.type === 'file' && !e.path.includes('/')).map((e) => e.path);
  const withExtension = rootFiles.filter((name) => /^readme\.(md|txt)$/i.test(name));
  if (withExtension.length > 1) {
    throw invalid(`archive contains more than one README (${withExtension.join(', ')}): keep one`);
  }
  const bare = rootFiles.filter((name) => /^readme$/i.test(name));
  const chosen = withExtension[0] ?? (bare.length === 1 ? bare[0] : undefined);
  return chosen === undefined ? undefined : contents.files.get(chosen);
}

/** Files under `docs/` (paths relative to it), plus every folder there as a `name/` key. */
function docsFiles(contents: ArchiveContents): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const { path, type } of contents.entries) {
    if (!path.startsWith('docs/')) continue;
    const relative = path.slice('docs/'.length);
    if (type === 'directory') {
      files.set(`${relative}/`, Buffer.alloc(0));
      continue;
    }
    const kept = contents.files.get(path);
    if (kept !== undefined) {
      files.set(relative, kept);
    } else if (relative.includes('/')) {
      // An ignored file still makes its folder a category, as on disk.
      files.set(`${relative.slice(0, relative.lastIndexOf('/'))}/`, Buffer.alloc(0));
    }
  }
  return files;
}
