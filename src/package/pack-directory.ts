/**
 * Packs a package folder (the one holding `pesde.toml`) into the archive `pesde publish`
 * (pesde 0.7.3) would upload, so CI can publish without the pesde client:
 *
 * - files: every path under the folder matched by an `includes` glob and by no negated
 *   (`!`) one, plus `pesde.toml` and the lib, bin and script files the target names. Globs
 *   follow the client's glob library (wax 0.6), implemented below because its rules differ
 *   from every npm glob library: a glob matches whole paths (`src` names the folder itself,
 *   not its files: write `src/**`), `*` also matches dotfiles, `$` is a lazy `*`, `<a:1,3>` is
 *   a repetition, `(?i)` turns case-insensitivity on, and `(`, `)`, `,`, `:`, `<`, `>` must be
 *   escaped with `\` to stand for themselves. A README or `docs/` is packed only when
 *   `includes` matches it, as with the client, which only warns when they are missing;
 * - refusals: a matched `.git`, toolchain manifests (`foreman.toml`, `aftman.toml`,
 *   `rokit.toml`), `.DS_Store` or `default.project.json` at any depth; a lib, bin or script
 *   that is missing, a folder, or starts with `./`; a roblox build file that is missing or
 *   that no included path lies under; dependency indices missing from `[indices]` /
 *   `[wally_indices]`; path dependencies;
 * - the manifest: re-written as the client serialises its `Manifest` struct (the `toml`
 *   crate's layout, field order and normalised versions): `index` names become the URLs
 *   from `[indices]` / `[wally_indices]`, workspace dependencies become pesde dependencies
 *   on the member's version, `scripts`, `indices`, `wally_indices`, `overrides`, `patches`
 *   and `place` are dropped, a roblox target gains the first folder of its lib path in
 *   `build_files`, fields a target kind does not have are dropped, `private = false` and
 *   `includes` are always written, and unknown top-level keys are kept.
 *
 * Deliberate differences from the client: Luau files are not syntax-checked (no Luau parser
 * here); the roblox "may not depend on non-roblox packages" check is skipped (it needs an
 * installed lockfile); an `index` that already is a URL is kept (the client refuses it);
 * members matched by `workspace_members` that hold no or an unreadable `pesde.toml` are
 * skipped (reported only if depended on); an unknown key holding a float or a date is left
 * out with a warning (our TOML writer has no floats or dates); rule checks
 * of wax about alternatives and repetitions (`{a,**}`, `*{*a,b}`) are not made; an export
 * that is a symbolic link is packed under the path the manifest names (the client adds its
 * target's path), and a packed link to a file outside the folder is warned about; the archive
 * is reproducible: entries in byte order, fixed mtime, owner 0:0 without names, modes
 * 0644/0755, gzip level 9 as the client uses.
 */
import { compileGlob, GlobSyntaxError } from './pesde-glob.js';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { parse as parseToml, TomlError } from 'smol-toml';
import { Header, Pack, ReadEntry } from 'tar';
import { RegistryError } from '../errors.js';
import { compareUtf8 } from '../utf8-order.js';
import { canonicalRepoUrl } from '../index-repo/allow-list.js';
import { isRobloxTarget, parsePackageName, parseTargetKind } from '../index-repo/names.js';
import { tomlDocument, type TomlTable, type TomlValue } from '../index-repo/toml-emit.js';
import type { DependencySpecifier, DependencyType, TargetKind } from '../index-repo/types.js';
import { parseVersion } from '../index-repo/version.js';
import { parseVersionReq } from '../index-repo/version-req.js';
import { DEFAULT_ARCHIVE_LIMITS } from './archive-reader.js';
import { DEPENDENCY_TABLES, decodeManifest, parseManifest } from './manifest.js';
import type { Manifest, ManifestDependencySpecifier, WorkspaceDependencySpecifier } from './manifest.js';

const gzip = promisify(gzipCallback);

export interface PackOptions {
  /**
   * The `[indices]` entry naming the registry published to, as `pesde publish --index`
   * (default `default`). Given explicitly, the manifest must have it.
   */
  indexName?: string;
}

export interface PackedDirectory {
  /** the .tar.gz to publish */
  archive: Buffer;
  /** the transformed pesde.toml packed in the archive */
  manifest: string;
  /** archive entry paths, in archive order */
  files: string[];
  /** what the client would warn about (missing README, files added to includes, ...) */
  warnings: string[];
  /** `[indices]` URL under `indexName`, when the manifest has one */
  indexUrl?: string;
}

const MANIFEST_FILE = 'pesde.toml';
/** Every entry's mtime: a constant keeps the archive identical from one checkout to the next. */
const PACKED_MTIME = new Date(0);
/** The client refuses these anywhere in the included paths (IGNORED_FILES and IGNORED_DIRS). */
const IGNORED_NAMES: readonly string[] = ['foreman.toml', 'aftman.toml', 'rokit.toml', '.DS_Store', '.git'];
/** ADDITIONAL_FORBIDDEN_FILES of the client, matched by file name. */
const SYNC_CONFIG = 'default.project.json';
/** Fields the client leaves out of the uploaded manifest (`skip_serializing`). */
const CLIENT_ONLY_FIELDS: readonly string[] = ['scripts', 'indices', 'wally_indices', 'overrides', 'patches', 'place'];
/** Fields of the client's `Manifest` struct; any other top-level key is user data, kept as written. */
const MANIFEST_FIELDS: ReadonlySet<string> = new Set([
  'name', 'version', 'description', 'license', 'authors', 'repository', 'target', 'private',
  'includes', 'workspace_members', 'engines', 'dependencies', 'peer_dependencies', 'dev_dependencies',
  ...CLIENT_ONLY_FIELDS,
]);

const invalid = (message: string): RegistryError => new RegistryError('invalid_package', message);

type Table = Record<string, unknown>;
const isTable = (value: unknown): value is Table =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

export async function packDirectory(dir: string, opts: PackOptions = {}): Promise<PackedDirectory> {
  const root = path.resolve(dir);
  const info = await statOrNull(root);
  if (info === null || !info.isDirectory()) {
    throw new RegistryError('usage', `${dir} is not a folder: pass the package folder (the one holding pesde.toml) or its .tar.gz`);
  }
  const text = await readManifestFile(root, dir);
  const manifest = parseManifest(text);
  // parseManifest has checked every field's shape; the raw table supplies what it does not keep
  const raw = parseToml(text.replace(/^\uFEFF/, ''), { integersAsBigInt: true }) as Table;
  const warnings: string[] = [];

  const indices = stringMap(raw.indices);
  const indexName = opts.indexName ?? 'default';
  const indexUrl = indices.get(indexName);
  if (indexUrl === undefined && opts.indexName !== undefined) {
    throw invalid(`pesde.toml: [indices] has no "${indexName}" entry: add ${indexName} = "<index URL>" to [indices]`);
  }

  const paths = await includedPaths(root, manifest.includes, warnings);
  if (!paths.has(MANIFEST_FILE)) {
    paths.add(MANIFEST_FILE);
    warnings.push('pesde.toml is not matched by includes; packed it anyway (pesde publish does the same)');
  }
  checkForbiddenPaths(paths);
  if (![...paths].some((p) => /^readme(\.md|\.txt)?$/i.test(p))) {
    warnings.push('no README is included: add "README.md" to includes so the registry can show it');
  }
  if (![...paths].some((p) => p === 'docs' || p.startsWith('docs/'))) {
    warnings.push('no docs folder is included: add "docs/**" to includes to publish documentation pages');
  }

  const target = { ...manifest.target };
  const buildFiles = target.build_files === undefined ? undefined : new Set(target.build_files);
  for (const key of ['lib', 'bin'] as const) {
    const written = target[key];
    if (written === undefined) continue;
    const file = await requireExportFile(root, written, `target.${key}`);
    if (!paths.has(file)) {
      paths.add(file);
      warnings.push(`target.${key} (${file}) is not matched by includes; packed it anyway (pesde publish does the same)`);
    }
    const first = file.split('/')[0] as string;
    if (buildFiles !== undefined && !buildFiles.has(first)) {
      buildFiles.add(first);
      warnings.push(`target.${key} lies in "${first}", which is not in build_files; added it (pesde publish does the same)`);
    }
  }
  if (buildFiles !== undefined) {
    target.build_files = [...buildFiles].sort(compareUtf8);
    await checkBuildFiles(root, target.build_files, paths, warnings);
  }
  for (const [name, written] of Object.entries(target.scripts ?? {})) {
    const file = await requireExportFile(root, written, `target.scripts.${name}`);
    if (!paths.has(file)) {
      paths.add(file);
      warnings.push(`script ${name} (${file}) is not matched by includes; packed it anyway (pesde publish does the same)`);
    }
  }

  const dependencies = await publishedDependencies(root, manifest, raw);
  const manifestText = serializeManifest(manifest, target, dependencies, raw, warnings);
  checkRoundTrip(manifestText, manifest);

  const entries = await readIncludedFiles(root, paths, warnings);
  entries.push({ path: MANIFEST_FILE, mode: 0o644, content: Buffer.from(manifestText, 'utf8') });
  entries.sort((a, b) => compareUtf8(a.path, b.path));
  const archive = await buildArchive(entries);
  const packed: PackedDirectory = { archive, manifest: manifestText, files: entries.map((e) => e.path), warnings };
  if (indexUrl !== undefined) packed.indexUrl = indexUrl;
  return packed;
}

async function statOrNull(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

async function readManifestFile(root: string, shown: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(root, MANIFEST_FILE));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid(`${shown} has no pesde.toml: pass the package folder (the one holding pesde.toml) or its .tar.gz`);
    throw invalid(`cannot read ${path.join(shown, MANIFEST_FILE)}: ${code ?? (error as Error).message}`);
  }
  return decodeManifest(bytes);
}

/** A `[indices]`-shaped table as a map; parseManifest has already refused non-string values. */
function stringMap(value: unknown): Map<string, string> {
  if (!isTable(value)) return new Map();
  return new Map(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

// --- files -------------------------------------------------------------------------------

interface WalkedPath {
  /** `/`-separated, relative to the walked folder */
  path: string;
  isDirectory: boolean;
}

/**
 * Every path under `root`, folders included, as the client's walk sees them: symbolic links
 * are listed but never followed into, so a link to a folder cannot loop or leave the tree.
 */
async function walkTree(root: string): Promise<WalkedPath[]> {
  const found: WalkedPath[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const relative = pending.pop() as string;
    const entries = await readdir(path.join(root, relative), { withFileTypes: true });
    for (const entry of entries) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const isDirectory = entry.isDirectory();
      found.push({ path: child, isDirectory });
      if (isDirectory) pending.push(child);
    }
  }
  return found;
}

interface GlobSet {
  positive: RegExp[];
  negative: RegExp[];
}

function compileGlobSet(globs: readonly string[], field: string): GlobSet {
  const set: GlobSet = { positive: [], negative: [] };
  globs.forEach((glob, i) => {
    const negated = glob.startsWith('!');
    const body = negated ? glob.slice(1) : glob;
    let regex: RegExp;
    try {
      regex = compileGlob(body);
    } catch (error) {
      if (!(error instanceof GlobSyntaxError)) throw error;
      throw invalid(`pesde.toml: ${field}[${i}]: ${JSON.stringify(glob)} is not a valid glob (${error.message}): fix it, e.g. "src/**/*.luau"`);
    }
    (negated ? set.negative : set.positive).push(regex);
  });
  return set;
}

const globSetMatches = (set: GlobSet, candidate: string): boolean =>
  set.positive.some((r) => r.test(candidate)) && !set.negative.some((r) => r.test(candidate));

/** The client's `matching_globs`: every walked path, file or folder, that the globs select. */
async function includedPaths(root: string, includes: readonly string[], warnings: string[]): Promise<Set<string>> {
  const globs = compileGlobSet(includes, 'includes');
  const walked = await walkTree(root);
  const matched = new Set(walked.filter((w) => globSetMatches(globs, w.path)).map((w) => w.path));
  // A folder name alone matches the folder, never its files: the commonest includes mistake.
  const holdsFiles = new Set<string>();
  const holdsMatchedFiles = new Set<string>();
  for (const w of walked) {
    if (w.isDirectory) continue;
    for (let slash = w.path.indexOf('/'); slash !== -1; slash = w.path.indexOf('/', slash + 1)) {
      const folder = w.path.slice(0, slash);
      holdsFiles.add(folder);
      if (matched.has(w.path)) holdsMatchedFiles.add(folder);
    }
  }
  for (const w of walked) {
    if (w.isDirectory && matched.has(w.path) && holdsFiles.has(w.path) && !holdsMatchedFiles.has(w.path)) {
      warnings.push(`includes matches the folder "${w.path}" but none of the files in it (a glob matches whole paths): write "${w.path}/**" to pack its contents`);
    }
  }
  return matched;
}

function checkForbiddenPaths(paths: Set<string>): void {
  for (const p of [...paths].sort(compareUtf8)) {
    const parts = p.split('/');
    const name = parts[parts.length - 1] as string;
    if (parts.includes('.git')) {
      throw invalid(`includes matches "${p}" in a .git folder, which pesde publish refuses: narrow the glob or add "!.git/**" to includes`);
    }
    if (name === SYNC_CONFIG) {
      throw invalid(`includes matches "${p}": default.project.json must not be published (dependants generate it with their roblox_sync_config_generator script): add "!**/${SYNC_CONFIG}" to includes`);
    }
    const ignored = parts.find((part) => IGNORED_NAMES.includes(part));
    if (ignored !== undefined) {
      throw invalid(`includes matches "${p}": ${ignored} must not be published (toolchain manifests break dependants' scripts, .DS_Store is clutter): add "!**/${ignored}" to includes`);
    }
  }
}

/** A lib, bin or script path as the client reads it: inside the package, an existing file. */
async function requireExportFile(root: string, written: string, field: string): Promise<string> {
  const parts = written.split('/');
  if (parts[0] === '.') {
    throw invalid(`pesde.toml: ${field}: ${JSON.stringify(written)} starts with "./", which pesde publish refuses: write ${JSON.stringify(parts.slice(1).filter((s) => s !== '').join('/'))}`);
  }
  const file = parts.filter((s) => s !== '' && s !== '.').join('/');
  const info = await statOrNull(path.join(root, ...file.split('/')));
  if (info === null) throw invalid(`pesde.toml: ${field}: ${JSON.stringify(written)} does not exist: create it or fix the path`);
  if (!info.isFile()) throw invalid(`pesde.toml: ${field}: ${JSON.stringify(written)} is not a file: point it at a .luau file`);
  return file;
}

async function checkBuildFiles(root: string, buildFiles: readonly string[], paths: Set<string>, warnings: string[]): Promise<void> {
  for (const buildFile of buildFiles) {
    if (buildFile.toLowerCase() === MANIFEST_FILE) {
      warnings.push('pesde.toml is listed in build_files: remove it');
      continue;
    }
    if ((await statOrNull(path.join(root, buildFile))) === null) {
      throw invalid(`pesde.toml: target.build_files: ${JSON.stringify(buildFile)} does not exist: create it or remove it from build_files`);
    }
    const prefix = buildFile.split('/').filter((s) => s !== '');
    const included = [...paths].some((p) => {
      const parts = p.split('/');
      return prefix.every((part, i) => parts[i] === part);
    });
    if (!included) {
      throw invalid(`pesde.toml: target.build_files: nothing under ${JSON.stringify(buildFile)} is matched by includes: add "${prefix.join('/')}/**" (or the file) to includes`);
    }
  }
}

interface PackedFile {
  path: string;
  mode: number;
  content: Buffer;
}

/**
 * The contents of every included regular file (a symbolic link counts as its target, as for
 * the client); folders and other kinds are not entries. Nested pesde.toml files are left
 * out as the client does: only the transformed root manifest is packed.
 */
async function readIncludedFiles(root: string, paths: Set<string>, warnings: string[]): Promise<PackedFile[]> {
  const limits = DEFAULT_ARCHIVE_LIMITS;
  const files: PackedFile[] = [];
  const realRoot = await realpath(root);
  let total = 0;
  for (const p of [...paths].sort(compareUtf8)) {
    const absolute = path.join(root, ...p.split('/'));
    const info = await statOrNull(absolute);
    if (info === null) throw invalid(`included path "${p}" cannot be read (a broken symbolic link?): fix it or exclude it from includes`);
    if ((p.split('/').pop() as string).toLowerCase() === MANIFEST_FILE || !info.isFile()) continue;
    if (files.length + 1 >= limits.maxEntries) {
      throw invalid(`includes matches more than ${limits.maxEntries - 1} files, more than a registry accepts: narrow the globs`);
    }
    if (Buffer.byteLength(p, 'utf8') > limits.maxPathBytes) {
      throw invalid(`included path "${p}" is longer than ${limits.maxPathBytes} bytes: shorten it or exclude it`);
    }
    if (info.size > limits.maxFileBytes) {
      throw invalid(`included file "${p}" is ${info.size} bytes, more than ${limits.maxFileBytes}: exclude it from includes`);
    }
    total += info.size;
    if (total > limits.maxUnpackedBytes) {
      throw invalid(`included files add up to more than ${limits.maxUnpackedBytes} bytes: exclude large files from includes`);
    }
    // A CI job publishes without anyone looking: say when a link pulls in a file from elsewhere.
    if ((await lstat(absolute)).isSymbolicLink()) {
      const target = await realpath(absolute);
      if (path.relative(realRoot, target).split(path.sep)[0] === '..') {
        warnings.push(`"${p}" is a symbolic link to ${target}, outside the package folder; packed that file's contents`);
      }
    }
    // Only the execute bits vary between checkouts for a reason; umask differences do not.
    files.push({ path: p, mode: info.mode & 0o111 ? 0o755 : 0o644, content: await readFile(absolute) });
  }
  return files;
}

async function buildArchive(files: readonly PackedFile[]): Promise<Buffer> {
  const pack = new Pack({});
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const file of files) {
    // Owner 0:0 without names and a fixed mtime: nothing of the packing machine gets in.
    const header = new Header({ path: file.path, type: 'File', size: file.content.length, mode: file.mode, uid: 0, gid: 0, mtime: PACKED_MTIME });
    const entry = new ReadEntry(header);
    pack.add(entry);
    entry.end(file.content);
  }
  pack.end();
  await done;
  const gzipped = await gzip(Buffer.concat(chunks), { level: 9 });
  // The gzip header's OS byte depends on the platform zlib was built for; fix it to Unix (3).
  gzipped[9] = 3;
  return gzipped;
}

// --- manifest ----------------------------------------------------------------------------

type PublishedDependencies = Record<DependencyType, Map<string, DependencySpecifier>>;

/** Dependencies as the client uploads them: index names resolved, workspace ones pinned. */
async function publishedDependencies(root: string, manifest: Manifest, raw: Table): Promise<PublishedDependencies> {
  const indices = stringMap(raw.indices);
  const wallyIndices = stringMap(raw.wally_indices);
  let workspace: Promise<Workspace | null> | undefined;
  const tables: Record<DependencyType, Record<string, ManifestDependencySpecifier>> = {
    standard: manifest.dependencies,
    peer: manifest.peer_dependencies,
    dev: manifest.dev_dependencies,
  };
  const result: PublishedDependencies = { standard: new Map(), peer: new Map(), dev: new Map() };
  for (const type of ['standard', 'peer', 'dev'] as const) {
    const sorted = Object.entries(tables[type]).sort(([a], [b]) => compareUtf8(a.toLowerCase(), b.toLowerCase()));
    for (const [alias, spec] of sorted) {
      const where = `pesde.toml: ${DEPENDENCY_TABLES[type]}.${alias}`;
      if ('name' in spec) {
        const published = { ...spec, index: resolveIndex(spec.index, indices, 'indices', where) };
        result[type].set(alias, published);
      } else if ('wally' in spec) {
        result[type].set(alias, { ...spec, index: resolveIndex(spec.index, wallyIndices, 'wally_indices', where) });
      } else if ('repo' in spec) {
        result[type].set(alias, spec);
      } else if ('workspace' in spec) {
        workspace ??= findWorkspace(root);
        result[type].set(alias, await resolveWorkspaceDependency(spec, manifest.target.environment, await workspace, root, where));
      } else {
        throw invalid(`${where}: path dependencies cannot be published: depend on a published version instead`);
      }
    }
  }
  return result;
}

function resolveIndex(name: string, map: Map<string, string>, table: 'indices' | 'wally_indices', where: string): string {
  const url = map.get(name);
  if (url !== undefined) return url;
  // An index already written as a URL (a manifest published before) needs no lookup.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name) && canonicalRepoUrl(name) !== undefined) return name;
  const example = table === 'indices' ? 'https://github.com/pesde-pkg/index' : 'https://github.com/UpliftGames/wally-index';
  throw invalid(`${where}: index "${name}" is not in [${table}]: add ${name.match(/^[A-Za-z0-9_-]+$/) ? name : JSON.stringify(name)} = "${example}" (or your index's URL) to [${table}]`);
}

interface WorkspaceMember {
  /** relative to the workspace root, for messages */
  dir: string;
  name: string;
  version: string;
  target: TargetKind;
  indices: Map<string, string>;
}

interface Workspace {
  root: string;
  members: WorkspaceMember[];
  /** members whose pesde.toml could not be read, with why */
  unreadable: string[];
}

/**
 * The workspace `root` belongs to, found as the client finds it: the nearest parent folder
 * whose pesde.toml lists `root` in `workspace_members`.
 */
async function findWorkspace(root: string): Promise<Workspace | null> {
  let current = path.dirname(root);
  for (;;) {
    const text = await readOptional(path.join(current, MANIFEST_FILE));
    if (text !== null) {
      const raw = parseOtherManifest(text, path.join(current, MANIFEST_FILE));
      const members = workspaceMemberGlobs(raw, current);
      if (members.length > 0) {
        const globs = compileGlobSet(members.filter((g) => g !== '.'), 'workspace_members');
        const walked = await walkTree(current);
        const dirs = walked.filter((w) => w.isDirectory && globSetMatches(globs, w.path)).map((w) => w.path);
        if (dirs.includes(toSlashes(path.relative(current, root)))) {
          // `.` lets the workspace root itself be a member, as for the client's resolver.
          if (members.includes('.')) dirs.unshift('');
          return { root: current, ...(await readMembers(current, dirs)) };
        }
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

function parseOtherManifest(text: string, file: string): Table {
  try {
    return parseToml(text.replace(/^\uFEFF/, '')) as Table;
  } catch (error) {
    const detail = error instanceof TomlError ? `line ${error.line}, column ${error.column}` : (error as Error).message;
    throw invalid(`${file} is not valid TOML (${detail}): fix it (pesde reads it to resolve workspace dependencies)`);
  }
}

function workspaceMemberGlobs(raw: Table, dir: string): string[] {
  const value = raw.workspace_members;
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalid(`${path.join(dir, MANIFEST_FILE)}: workspace_members must be an array of strings`);
  }
  return value as string[];
}

async function readMembers(workspaceRoot: string, dirs: readonly string[]): Promise<Pick<Workspace, 'members' | 'unreadable'>> {
  const members: WorkspaceMember[] = [];
  const unreadable: string[] = [];
  for (const dir of dirs) {
    const file = path.join(workspaceRoot, ...dir.split('/').filter(Boolean), MANIFEST_FILE);
    const text = await readOptional(file);
    if (text === null) continue;
    const shown = dir === '' ? MANIFEST_FILE : `${dir}/${MANIFEST_FILE}`;
    // A member that does not parse (a private workspace root without a target, say) only
    // matters if it is the one depended on, so it is reported then, not refused here.
    try {
      const raw = parseOtherManifest(text, file);
      const target = isTable(raw.target) ? raw.target.environment : undefined;
      members.push({
        dir: dir === '' ? '.' : dir,
        name: parsePackageName(String(raw.name)).full,
        version: parseVersion(String(raw.version)),
        target: parseTargetKind(String(target)),
        indices: stringMap(raw.indices),
      });
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      unreadable.push(`${shown}: ${error.message}`);
    }
  }
  return { members, unreadable };
}

async function resolveWorkspaceDependency(
  spec: WorkspaceDependencySpecifier,
  ownTarget: TargetKind,
  workspace: Workspace | null,
  root: string,
  where: string,
): Promise<DependencySpecifier> {
  if (workspace === null) {
    throw invalid(`${where}: workspace dependency on ${spec.workspace}, but no parent folder's pesde.toml lists ${root} in workspace_members: publish from the workspace checkout, or depend on a published version`);
  }
  const wanted = spec.target ?? ownTarget;
  const named = workspace.members.filter((m) => m.name === spec.workspace);
  const member = named.find((m) => m.target === wanted);
  if (member === undefined) {
    let found = named.length === 0 ? 'no member has that name' : `it has targets ${named.map((m) => m.target).join(', ')}`;
    if (workspace.unreadable.length > 0) found += `; unreadable members: ${workspace.unreadable.join('; ')}`;
    throw invalid(`${where}: the workspace at ${workspace.root} has no member ${spec.workspace} with target ${wanted} (${found}): fix the name or set target`);
  }
  const index = member.indices.get('default');
  if (index === undefined) {
    throw invalid(`${where}: workspace member ${member.dir}/pesde.toml has no "default" entry in [indices]: add it, the published dependency needs the URL of the index it is published to`);
  }
  let version: string;
  if (spec.version === '*') version = '*';
  else if (['^', '~', '='].includes(spec.version)) version = parseVersionReq(`${spec.version}${member.version}`);
  else version = spec.version;
  return { name: spec.workspace, version, index, target: spec.target ?? member.target };
}

const toSlashes = (p: string): string => p.split(path.sep).join('/');

/** The manifest as `toml::to_string` writes the client's `Manifest` struct after the transformation. */
function serializeManifest(
  manifest: Manifest,
  target: Manifest['target'],
  dependencies: PublishedDependencies,
  raw: Table,
  warnings: string[],
): string {
  const targetTable = new Map<string, TomlValue | undefined>([
    ['environment', target.environment],
    ['lib', target.lib],
  ]);
  if (isRobloxTarget(target.environment)) {
    targetTable.set('build_files', target.build_files ?? []);
  } else {
    targetTable.set('bin', target.bin);
    const scripts = Object.entries(target.scripts ?? {});
    if (scripts.length > 0) targetTable.set('scripts', new Map(scripts));
  }
  const doc = new Map<string, TomlValue | undefined>([
    ['name', manifest.name.full],
    ['version', manifest.version],
    ['description', manifest.description],
    ['license', manifest.license],
    ['authors', manifest.authors.length > 0 ? manifest.authors : undefined],
    ['repository', manifest.repository],
    ['target', targetTable],
    ['private', false],
    ['includes', manifest.includes],
    ['workspace_members', manifest.workspace_members.length > 0 ? manifest.workspace_members : undefined],
    ['engines', Object.keys(manifest.engines).length > 0 ? new Map(Object.entries(manifest.engines)) : undefined],
  ]);
  for (const type of ['standard', 'peer', 'dev'] as const) {
    const table = dependencies[type];
    doc.set(DEPENDENCY_TABLES[type], table.size > 0 ? new Map([...table].map(([alias, spec]) => [alias, specifierTable(spec)])) : undefined);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (MANIFEST_FIELDS.has(key)) continue;
    const converted = userValue(value);
    if (converted === undefined) {
      warnings.push(`pesde.toml: ${key} is left out of the packed manifest: it holds a float or a date, which pesde-registry does not write back (registries ignore unknown fields)`);
    } else {
      doc.set(key, converted);
    }
  }
  return tomlDocument(doc);
}

/** Fields in the order of the client's specifier structs. */
function specifierTable(spec: DependencySpecifier): TomlTable {
  if ('name' in spec) return new Map<string, TomlValue | undefined>([['name', spec.name], ['version', spec.version], ['index', spec.index], ['target', spec.target]]);
  if ('wally' in spec) return new Map<string, TomlValue>([['wally', spec.wally], ['version', spec.version], ['index', spec.index]]);
  return new Map<string, TomlValue | undefined>([['repo', spec.repo], ['rev', spec.rev], ['path', spec.path]]);
}

/** A user-defined value, or undefined when it holds something our emitter does not write (floats, dates). */
function userValue(value: unknown): TomlValue | undefined {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (Array.isArray(value)) {
    const items = value.map(userValue);
    return items.every((item) => item !== undefined) ? (items as TomlValue[]) : undefined;
  }
  if (isTable(value)) {
    const entries = Object.entries(value).map(([k, v]): [string, TomlValue | undefined] => [k, userValue(v)]);
    return entries.every(([, v]) => v !== undefined) ? new Map(entries) : undefined;
  }
  return undefined;
}

/** The packed manifest must be one the registry accepts and that says what the source said. */
function checkRoundTrip(text: string, source: Manifest): void {
  let packed: Manifest;
  try {
    packed = parseManifest(text);
  } catch (error) {
    throw new Error(`the packed pesde.toml does not parse back: ${(error as Error).message}`, { cause: error });
  }
  if (packed.name.full !== source.name.full || packed.version !== source.version || packed.target.environment !== source.target.environment) {
    throw new Error('the packed pesde.toml names another package than the source manifest');
  }
}

