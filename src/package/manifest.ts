/**
 * The package manifest (`pesde.toml`) as the official registry deserialises it (the client's
 * `Manifest` struct), plus the rules the pesde client enforces before publishing, so that a
 * package no client could have published is refused here with a message saying why.
 *
 * Leniency follows the official struct: unknown keys are ignored (it has no
 * `deny_unknown_fields`), optional fields take their serde defaults (a pesde or wally
 * dependency without `index` gets `"default"`), and the fields the client removes when
 * publishing (`scripts`, `indices`, `wally_indices`, `overrides`, `patches`, `place`) are
 * accepted when present but only checked for shape, since nothing here reads them.
 *
 * Stricter than the official registry, as the pesde client is: a private package, a target
 * exporting nothing, a roblox target without build files, and exports the target kind
 * cannot have (`bin` or `scripts` on roblox, which serde would silently drop) are refused.
 * Workspace and path dependencies are parsed so the publish step can refuse them by name.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { RegistryError, invalidPackage } from '../errors.js';
import { compareUtf8 } from '../utf8-order.js';
import { canonicalRepoUrl } from '../index-repo/allow-list.js';
import { isRobloxTarget, parseAlias, parseEngineKind, parsePackageName, parseTargetKind, parseWallyName } from '../index-repo/names.js';
import { DEPENDENCY_TYPES, ENGINE_KINDS } from '../index-repo/types.js';
import type {
  DependencySpecifier,
  DependencyType,
  EngineKind,
  GitDependencySpecifier,
  PackageName,
  PesdeDependencySpecifier,
  Target,
  TargetKind,
  WallyDependencySpecifier,
} from '../index-repo/types.js';
import { parseVersion } from '../index-repo/version.js';
import { parseVersionReq } from '../index-repo/version-req.js';

export interface WorkspaceDependencySpecifier {
  workspace: string;
  /** `^`, `~`, `=`, `*` or a normalised requirement; the client defaults to `^` */
  version: string;
  target?: TargetKind;
}
export interface PathDependencySpecifier {
  path: string;
}
export type ManifestDependencySpecifier = DependencySpecifier | WorkspaceDependencySpecifier | PathDependencySpecifier;
export type ManifestDependencyEntry = [ManifestDependencySpecifier, DependencyType];
export type DependencySourceKind = 'pesde' | 'wally' | 'git' | 'workspace' | 'path';

export interface Manifest {
  name: PackageName;
  /** canonical semver */
  version: string;
  description?: string;
  license?: string;
  authors: string[];
  /** normalised by the URL parser, as the official `url::Url` serialises it */
  repository?: string;
  target: Target;
  /** requirements normalised as Rust prints them */
  engines: Partial<Record<EngineKind, string>>;
  includes: string[];
  workspace_members: string[];
  /** alias -> specifier, in file order; version requirements normalised */
  dependencies: Record<string, ManifestDependencySpecifier>;
  peer_dependencies: Record<string, ManifestDependencySpecifier>;
  dev_dependencies: Record<string, ManifestDependencySpecifier>;
}

export const DEPENDENCY_TABLES = {
  standard: 'dependencies',
  peer: 'peer_dependencies',
  dev: 'dev_dependencies',
} as const satisfies Record<DependencyType, string>;

/** The shapes are told apart by key, in the order serde's untagged enum tries them. */
export function specifierKind(spec: ManifestDependencySpecifier): DependencySourceKind {
  if ('name' in spec) return 'pesde';
  if ('wally' in spec) return 'wally';
  if ('repo' in spec) return 'git';
  if ('workspace' in spec) return 'workspace';
  return 'path';
}

/**
 * All three dependency tables merged, as the official `all_dependencies`: keyed by alias in
 * the order of its case-insensitive `BTreeMap`. parseManifest already refused aliases used twice.
 */
export function allDependencies(manifest: Manifest): Record<string, ManifestDependencyEntry> {
  const tables: Record<DependencyType, Record<string, ManifestDependencySpecifier>> = {
    standard: manifest.dependencies,
    peer: manifest.peer_dependencies,
    dev: manifest.dev_dependencies,
  };
  const all: Array<[string, ManifestDependencyEntry]> = [];
  for (const type of DEPENDENCY_TYPES) {
    for (const [alias, spec] of Object.entries(tables[type])) all.push([alias, [spec, type]]);
  }
  // Aliases are ASCII, so comparing lower-cased code units is the official byte order.
  all.sort(([a], [b]) => compareCodeUnits(a.toLowerCase(), b.toLowerCase()));
  // fromEntries defines own properties, so an alias such as `__proto__` stays data.
  return Object.fromEntries(all);
}

type Table = Record<string, unknown>;

const fail = (path: string, message: string): RegistryError =>
  new RegistryError('invalid_package', `pesde.toml: ${path}: ${message}`);

/** Runs a shared parser (they throw `invalid_input`) and puts the key path in front of its message. */
function at<T>(path: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RegistryError && error.kind === 'invalid_input') throw fail(path, error.message);
    throw error;
  }
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (isTable(value)) return 'a table';
  return `${typeof value === 'string' ? 'the string' : 'the value'} ${JSON.stringify(value)}`;
}

function optionalString(table: Table, key: string, path: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw fail(path, `must be a string, found ${describe(value)}`);
  return value;
}

function requiredString(table: Table, key: string, path: string, example: string): string {
  const value = optionalString(table, key, path);
  if (value === undefined) throw fail(path, `is missing: add it, e.g. ${example}`);
  return value;
}

function stringArray(table: Table, key: string): string[] {
  const value = table[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw fail(key, `must be an array of strings, found ${describe(value)}`);
  return value.map((item, i) => {
    if (typeof item !== 'string') throw fail(`${key}[${i}]`, `must be a string, found ${describe(item)}`);
    return item;
  });
}

function optionalTable(table: Table, key: string, path: string): Table | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (!isTable(value)) throw fail(path, `must be a table, found ${describe(value)}`);
  return value;
}

export function parseManifest(text: string): Manifest {
  let raw: Table;
  try {
    // A BOM (some Windows editors write one) is not part of the document.
    raw = parseToml(text.replace(/^\uFEFF/, '')) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const detail = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
      throw new RegistryError('invalid_package', `pesde.toml is not valid TOML (line ${error.line}, column ${error.column}: ${detail}): fix the syntax`);
    }
    throw error;
  }

  const name = at('name', () => parsePackageName(requiredString(raw, 'name', 'name', 'name = "scope/name"')));
  const version = at('version', () => parseVersion(requiredString(raw, 'version', 'version', 'version = "0.1.0"')));

  if (raw.private !== undefined && typeof raw.private !== 'boolean') {
    throw fail('private', `must be true or false, found ${describe(raw.private)}`);
  }
  const description = optionalString(raw, 'description', 'description');
  const license = optionalString(raw, 'license', 'license');
  const authors = stringArray(raw, 'authors');
  const repository = parseRepository(optionalString(raw, 'repository', 'repository'));
  const includes = stringArray(raw, 'includes');
  const workspaceMembers = stringArray(raw, 'workspace_members');
  if (raw.target === undefined) {
    throw fail('target', 'is missing: add a [target] table, e.g. [target] environment = "luau" lib = "src/init.luau"');
  }
  const target = parseTarget(raw.target);
  const engines = parseEngines(optionalTable(raw, 'engines', 'engines'));
  checkClientOnlyFields(raw);

  const seen = new Map<string, string>();
  const dependencyTable = (key: string): Record<string, ManifestDependencySpecifier> =>
    parseDependencyTable(optionalTable(raw, key, key), key, seen);
  const dependencies = dependencyTable(DEPENDENCY_TABLES.standard);
  const peerDependencies = dependencyTable(DEPENDENCY_TABLES.peer);
  const devDependencies = dependencyTable(DEPENDENCY_TABLES.dev);
  // The official struct deserialised; now what the client checks before uploading.
  checkPublishable(raw.private === true, raw.target as Table, target);

  const manifest: Manifest = {
    name,
    version,
    authors,
    target,
    engines,
    includes,
    workspace_members: workspaceMembers,
    dependencies,
    peer_dependencies: peerDependencies,
    dev_dependencies: devDependencies,
  };
  if (description !== undefined) manifest.description = description;
  if (license !== undefined) manifest.license = license;
  if (repository !== undefined) manifest.repository = repository;
  return manifest;
}

function parseRepository(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return new URL(value).href;
  } catch {
    throw fail('repository', `${JSON.stringify(value)} is not an absolute URL: use e.g. "https://github.com/acme/foo"`);
  }
}

/** Paths the target exports are relative to the package root, as the client requires. */
function relativePath(value: unknown, path: string): string {
  if (typeof value !== 'string') throw fail(path, `must be a path string, found ${describe(value)}`);
  if (value === '') throw fail(path, 'is empty: give a path relative to the package root');
  if (/^[/\\]/.test(value) || /^[A-Za-z]:/.test(value)) {
    throw fail(path, `${JSON.stringify(value)} is absolute: give a path relative to the package root`);
  }
  if (value.split(/[/\\]/).includes('..')) {
    throw fail(path, `${JSON.stringify(value)} leaves the package root: give a path inside the package`);
  }
  return value;
}

function parseTarget(value: unknown): Target {
  if (!isTable(value)) throw fail('target', `must be a table, found ${describe(value)}: use e.g. [target] environment = "luau"`);
  const environment = at('target.environment', () =>
    parseTargetKind(requiredString(value, 'environment', 'target.environment', 'environment = "luau"')),
  );
  const target: Target = { environment };
  if (value.lib !== undefined) target.lib = relativePath(value.lib, 'target.lib');

  if (isRobloxTarget(environment)) {
    const buildFiles = value.build_files;
    if (buildFiles !== undefined && !Array.isArray(buildFiles)) {
      throw fail('target.build_files', `must be an array of paths, found ${describe(buildFiles)}`);
    }
    const files = (buildFiles ?? []).map((file: unknown, i: number) => relativePath(file, `target.build_files[${i}]`));
    // A BTreeSet in the official struct: unique and in byte order.
    target.build_files = [...new Set(files)].sort(compareUtf8);
  } else {
    // build_files is ignored here, as serde ignores it for these kinds.
    if (value.bin !== undefined) target.bin = relativePath(value.bin, 'target.bin');
    const scripts = optionalTable(value, 'scripts', 'target.scripts');
    if (scripts !== undefined) {
      const entries = Object.entries(scripts).map(([script, path]): [string, string] => [
        script,
        relativePath(path, `target.scripts.${script}`),
      ]);
      entries.sort(([a], [b]) => compareUtf8(a, b));
      if (entries.length > 0) target.scripts = Object.fromEntries(entries);
    }
  }
  return target;
}

/**
 * The pesde client's refusals before uploading (private, no exports, roblox without build
 * files), plus exports a roblox target cannot have: serde would drop them silently and the
 * package would install without what its author declared.
 */
function checkPublishable(isPrivate: boolean, raw: Table, target: Target): void {
  if (isPrivate) {
    throw fail('private', 'the package is private and cannot be published: remove `private = true` to publish it');
  }
  const kind = target.environment;
  if (isRobloxTarget(kind)) {
    for (const key of ['bin', 'scripts']) {
      if (raw[key] !== undefined) {
        throw fail(`target.${key}`, `a ${kind} target cannot export ${key === 'bin' ? 'a bin' : 'scripts'}: remove it (only lune and luau targets have them)`);
      }
    }
  }
  if (target.lib === undefined && target.bin === undefined && target.scripts === undefined) {
    throw fail('target', 'exports nothing: set lib, bin or scripts (the pesde client refuses to publish such a package)');
  }
  if (isRobloxTarget(kind) && (target.build_files ?? []).length === 0) {
    throw fail('target.build_files', `a ${kind} package needs at least one build file: list what the sync tool should include, e.g. build_files = ["src"]`);
  }
}

function parseEngines(table: Table | undefined): Partial<Record<EngineKind, string>> {
  const found = new Map<EngineKind, string>();
  for (const [key, value] of Object.entries(table ?? {})) {
    const path = `engines.${key}`;
    const engine = at(path, () => parseEngineKind(key));
    if (found.has(engine)) throw fail(path, `engine ${engine} is listed twice: keep one`);
    if (typeof value !== 'string') throw fail(path, `must be a version requirement string, found ${describe(value)}`);
    found.set(engine, at(path, () => parseVersionReq(value)));
  }
  // Written in the order of the official EngineKind enum.
  return Object.fromEntries(ENGINE_KINDS.filter((e) => found.has(e)).map((e) => [e, found.get(e) as string]));
}

/**
 * Fields the client strips before uploading. They are still deserialised by the official
 * struct, so a wrong shape is refused, but nothing deeper is checked.
 */
function checkClientOnlyFields(raw: Table): void {
  for (const key of ['scripts', 'overrides', 'patches']) optionalTable(raw, key, key);
  for (const key of ['indices', 'wally_indices', 'place']) {
    const table = optionalTable(raw, key, key);
    for (const [name, value] of Object.entries(table ?? {})) {
      if (typeof value !== 'string') throw fail(`${key}.${name}`, `must be a string, found ${describe(value)}`);
      if (key === 'place' && name !== 'shared' && name !== 'server') {
        throw fail(`place.${name}`, 'unknown place kind: use shared or server');
      }
    }
  }
}

function parseDependencyTable(
  table: Table | undefined,
  key: string,
  seen: Map<string, string>,
): Record<string, ManifestDependencySpecifier> {
  const entries: Array<[string, ManifestDependencySpecifier]> = [];
  for (const [alias, value] of Object.entries(table ?? {})) {
    const path = `${key}.${alias}`;
    at(path, () => parseAlias(alias));
    const previous = seen.get(alias.toLowerCase());
    if (previous !== undefined) {
      throw fail(path, `alias "${alias}" is already used by ${previous} (aliases ignore case): rename one of them`);
    }
    seen.set(alias.toLowerCase(), path);
    entries.push([alias, parseSpecifier(value, path)]);
  }
  return Object.fromEntries(entries);
}

function parseSpecifier(value: unknown, path: string): ManifestDependencySpecifier {
  if (!isTable(value)) {
    throw fail(path, `must be a table, found ${describe(value)}: use e.g. { name = "scope/name", version = "^1.0.0" }`);
  }
  if ('name' in value) return parsePesde(value, path);
  if ('wally' in value) return parseWally(value, path);
  if ('repo' in value) return parseGit(value, path);
  if ('workspace' in value) return parseWorkspace(value, path);
  if ('path' in value) return { path: requiredString(value, 'path', `${path}.path`, 'path = "../foo"') };
  throw fail(path, 'is not a dependency specifier: give name + version (pesde), wally + version, repo + rev (git), workspace, or path');
}

function versionReq(table: Table, path: string): string {
  const text = requiredString(table, 'version', `${path}.version`, 'version = "^1.0.0"');
  return at(`${path}.version`, () => parseVersionReq(text));
}

function optionalTargetKind(table: Table, path: string): TargetKind | undefined {
  const text = optionalString(table, 'target', `${path}.target`);
  return text === undefined ? undefined : at(`${path}.target`, () => parseTargetKind(text));
}

function parsePesde(table: Table, path: string): PesdeDependencySpecifier {
  const name = at(`${path}.name`, () => parsePackageName(requiredString(table, 'name', `${path}.name`, 'name = "scope/name"')));
  const spec: PesdeDependencySpecifier = {
    name: name.full,
    version: versionReq(table, path),
    index: optionalString(table, 'index', `${path}.index`) ?? 'default',
  };
  const target = optionalTargetKind(table, path);
  if (target !== undefined) spec.target = target;
  return spec;
}

function parseWally(table: Table, path: string): WallyDependencySpecifier {
  const text = requiredString(table, 'wally', `${path}.wally`, 'wally = "scope/name"');
  return {
    // Stored as the client prints a wally name: always with the `wally#` prefix.
    wally: at(`${path}.wally`, () => parseWallyName(text)).full,
    version: versionReq(table, path),
    index: optionalString(table, 'index', `${path}.index`) ?? 'default',
  };
}

function parseGit(table: Table, path: string): GitDependencySpecifier {
  const written = requiredString(table, 'repo', `${path}.repo`, 'repo = "https://github.com/acme/foo"');
  // The client reads a repo without a scheme as GitHub shorthand `owner/name`.
  const repo = written.includes(':') ? written : `https://github.com/${written}`;
  if (canonicalRepoUrl(repo) === undefined) {
    throw fail(`${path}.repo`, `${JSON.stringify(written)} is not a Git URL: use e.g. "https://github.com/acme/foo" or "acme/foo"`);
  }
  const rev = requiredString(table, 'rev', `${path}.rev`, 'rev = "main"');
  const spec: GitDependencySpecifier = { repo, rev };
  const subPath = optionalString(table, 'path', `${path}.path`);
  if (subPath !== undefined) spec.path = subPath;
  return spec;
}

function parseWorkspace(table: Table, path: string): WorkspaceDependencySpecifier {
  const name = at(`${path}.workspace`, () =>
    parsePackageName(requiredString(table, 'workspace', `${path}.workspace`, 'workspace = "scope/name"')),
  );
  const text = optionalString(table, 'version', `${path}.version`) ?? '^';
  const version = ['^', '~', '=', '*'].includes(text) ? text : at(`${path}.version`, () => parseVersionReq(text));
  const spec: WorkspaceDependencySpecifier = { workspace: name.full, version };
  const target = optionalTargetKind(table, path);
  if (target !== undefined) spec.target = target;
  return spec;
}

const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);


/** Manifests are small; a larger one is an attempt to exhaust the parser, not a package. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The manifest's text, refusing what the TOML parser should never see. */
export function decodeManifest(bytes: Uint8Array): string {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw invalidPackage(`pesde.toml is ${bytes.length} bytes, more than ${MAX_MANIFEST_BYTES}: move data out of the manifest`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw invalidPackage('pesde.toml is not valid UTF-8: save it as UTF-8');
  }
}
