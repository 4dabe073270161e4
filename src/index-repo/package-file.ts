/**
 * Package index files (protocol section 3): reading them into the typed model, and writing
 * them back exactly as the official registry does, so a file we rewrite differs from the
 * official writer's output nowhere, not even in quoting or order.
 *
 * Reading follows the client's serde rules: unknown keys are ignored, and values are
 * normalised the way a parse-and-print round trip through the Rust types normalises them
 * (version requirements are re-printed, timestamps put in jiff's form, empty lists dropped,
 * engine names lower-cased).
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { RegistryError } from '../errors.js';
import { compareAliases, compareUtf8 } from '../utf8-order.js';
import { sortDocEntries } from './doc-entry-order.js';
import { normalizeTimestamp } from '../published-at.js';
import { DEPENDENCY_TYPES, ENGINE_KINDS } from './types.js';
import type {
  DependencyEntry,
  DependencySpecifier,
  DependencyType,
  DocEntry,
  EngineKind,
  IndexEntry,
  IndexFile,
  Target,
  TargetKind,
  VersionId,
} from './types.js';
import { isRobloxTarget, parseAlias, parseEngineKind, parsePackageName, parseTargetKind, parseWallyName } from './names.js';
import { compareVersionIds, formatVersionId, parseVersionId } from './version.js';
import { parseVersionReq } from './version-req.js';
import { tomlDocument, tomlKey } from './toml-emit.js';
import type { TomlTable, TomlValue } from './toml-emit.js';

type Entry = IndexFile['entries'][number];

// ---------------------------------------------------------------------------------------
// Reading

type Raw = Record<string, unknown>;

/** Carries the file name and the key path so every message says where the problem is. */
class Reader {
  constructor(
    private readonly where: string | undefined,
    private readonly path: string,
  ) {}

  at(key: string): Reader {
    const segment = tomlKey(key);
    return new Reader(this.where, this.path === '' ? segment : `${this.path}.${segment}`);
  }

  index(i: number): Reader {
    return new Reader(this.where, `${this.path}[${i}]`);
  }

  fail(problem: string): never {
    const file = this.where === undefined ? 'invalid index file' : `invalid index file ${this.where}`;
    throw new RegistryError('invalid_input', `${file}: ${this.path === '' ? '' : `${this.path}: `}${problem}`);
  }

  /** Re-throws a name or version parser's error with this location in front. */
  wrap<T>(parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof RegistryError) this.fail(error.message);
      throw error;
    }
  }

  /** The string at `raw[key]`, run through one of the name or version parsers. */
  parsedString<T>(raw: Raw, key: string, parse: (text: string) => T): T {
    const at = this.at(key);
    return at.wrap(() => parse(at.string(raw[key])));
  }

  table(value: unknown): Raw {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
      this.fail(`expected a table, found ${describe(value)}`);
    }
    return value as Raw;
  }

  string(value: unknown): string {
    if (typeof value !== 'string') this.fail(`expected a string, found ${describe(value)}`);
    return value;
  }

  optionalString(value: unknown): string | undefined {
    return value === undefined ? undefined : this.string(value);
  }

  array(value: unknown): unknown[] {
    if (!Array.isArray(value)) this.fail(`expected an array, found ${describe(value)}`);
    return value;
  }

  strings(value: unknown): string[] {
    return this.array(value).map((element, i) => this.index(i).string(element));
  }

  boolean(value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail(`expected true or false, found ${describe(value)}`);
    return value;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date-time';
  if (typeof value === 'object' && value !== null) return 'a table';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value === 'bigint' || typeof value === 'number' ? 'the number' : 'the value'} ${String(value)}`;
}

/** `__proto__` is a valid alias and script name; plain assignment would set the prototype. */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function parseIndexFile(text: string, where?: string): IndexFile {
  let raw: Raw;
  try {
    raw = parseToml(text) as Raw;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const problem = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'syntax error';
    throw new RegistryError(
      'invalid_input',
      `invalid index file${where === undefined ? '' : ` ${where}`}: not valid TOML (line ${error.line}, column ${error.column}: ${problem})`,
    );
  }

  const root = new Reader(where, '');
  const file: IndexFile = { entries: [] };
  for (const key of Object.keys(raw)) {
    const at = root.at(key);
    if (key === 'meta') {
      const meta = at.table(raw[key]);
      const deprecated = at.at('deprecated').optionalString(meta['deprecated']);
      if (deprecated !== undefined && deprecated !== '') file.deprecated = deprecated;
      continue;
    }
    const id = at.wrap(() => parseVersionId(key));
    file.entries.push({ id, entry: readEntry(at, at.table(raw[key]), id.target) });
  }
  file.entries = sortEntries(file.entries);
  return file;
}

function readEntry(at: Reader, raw: Raw, kind: TargetKind): IndexEntry {
  const publishedAtText = at.at('published_at').string(raw['published_at']);
  const publishedAt = normalizeTimestamp(publishedAtText);
  if (publishedAt === undefined) {
    return at.at('published_at').fail(`expected an RFC 3339 timestamp such as "2025-10-24T16:42:55.401532168Z", found "${publishedAtText}"`);
  }
  const entry: IndexEntry = { published_at: publishedAt, target: readTarget(at.at('target'), raw['target'], kind) };

  for (const field of ['description', 'license'] as const) {
    const value = at.at(field).optionalString(raw[field]);
    if (value !== undefined) entry[field] = value;
  }
  if (raw['authors'] !== undefined) {
    const authors = at.at('authors').strings(raw['authors']);
    if (authors.length > 0) entry.authors = authors;
  }
  const repository = at.at('repository').optionalString(raw['repository']);
  if (repository !== undefined) {
    if (!URL.canParse(repository)) at.at('repository').fail(`expected a URL, found "${repository}"`);
    entry.repository = repository;
  }
  if (raw['yanked'] !== undefined && at.at('yanked').boolean(raw['yanked'])) entry.yanked = true;

  if (raw['engines'] !== undefined) {
    const engines = readEngines(at.at('engines'), raw['engines']);
    if (Object.keys(engines).length > 0) entry.engines = engines;
  }
  if (raw['docs'] !== undefined) {
    const docs = readDocs(at.at('docs'), raw['docs']);
    if (docs.length > 0) entry.docs = docs;
  }
  if (raw['dependencies'] !== undefined) {
    const dependencies = readDependencies(at.at('dependencies'), raw['dependencies']);
    if (Object.keys(dependencies).length > 0) entry.dependencies = dependencies;
  }
  return entry;
}

function readTarget(at: Reader, value: unknown, kind: TargetKind): Target {
  const raw = at.table(value);
  const environment = at.parsedString(raw, 'environment', parseTargetKind);
  if (environment !== kind) {
    at.at('environment').fail(`"${environment}" does not match the entry's version id, which says "${kind}"`);
  }
  const target: Target = { environment };
  const lib = at.at('lib').optionalString(raw['lib']);
  if (lib !== undefined) target.lib = lib;
  // Fields of the other kinds are ignored, as the client's internally tagged enum ignores them.
  if (isRobloxTarget(environment)) {
    target.build_files = raw['build_files'] === undefined ? [] : at.at('build_files').strings(raw['build_files']);
    return target;
  }
  const bin = at.at('bin').optionalString(raw['bin']);
  if (bin !== undefined) target.bin = bin;
  if (raw['scripts'] !== undefined) {
    const scriptsAt = at.at('scripts');
    const table = scriptsAt.table(raw['scripts']);
    const scripts: Record<string, string> = {};
    for (const name of Object.keys(table)) setOwn(scripts, name, scriptsAt.at(name).string(table[name]));
    if (Object.keys(scripts).length > 0) target.scripts = scripts;
  }
  return target;
}

function readEngines(at: Reader, value: unknown): Partial<Record<EngineKind, string>> {
  const raw = at.table(value);
  const engines: Partial<Record<EngineKind, string>> = {};
  for (const key of Object.keys(raw)) {
    engines[at.at(key).wrap(() => parseEngineKind(key))] = at.parsedString(raw, key, parseVersionReq);
  }
  return engines;
}

function readDocs(at: Reader, value: unknown): DocEntry[] {
  return at.array(value).map((element, i) => readDoc(at.index(i), element));
}

function readDoc(at: Reader, value: unknown): DocEntry {
  const raw = at.table(value);
  const label = at.at('label').string(raw['label']);
  let position: number | undefined;
  if (raw['position'] !== undefined) {
    const p = raw['position'];
    if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0) {
      return at.at('position').fail(`expected a non-negative integer, found ${describe(p)}`);
    }
    position = p;
  }
  const withPosition = <T extends DocEntry>(doc: T): T => (position === undefined ? doc : { ...doc, position });

  if (raw['name'] !== undefined || raw['hash'] !== undefined) {
    const name = at.at('name').string(raw['name']);
    const hash = at.at('hash').string(raw['hash']);
    return withPosition({ label, name, hash });
  }
  const items = raw['items'] === undefined ? [] : readDocs(at.at('items'), raw['items']);
  const collapsed = raw['collapsed'] !== undefined && at.at('collapsed').boolean(raw['collapsed']);
  const category = withPosition({ label, items });
  return collapsed ? { ...category, collapsed: true } : category;
}

function readDependencies(at: Reader, value: unknown): Record<string, DependencyEntry> {
  const raw = at.table(value);
  const dependencies: Record<string, DependencyEntry> = {};
  for (const alias of Object.keys(raw)) {
    const aliasAt = at.at(alias);
    aliasAt.wrap(() => parseAlias(alias));
    const pair = aliasAt.array(raw[alias]);
    if (pair.length !== 2) {
      aliasAt.fail(`expected [<specifier>, "standard" | "peer" | "dev"], found an array of ${pair.length}`);
    }
    const specifier = readSpecifier(aliasAt.index(0), pair[0]);
    const type = aliasAt.index(1).string(pair[1]);
    if (!(DEPENDENCY_TYPES as readonly string[]).includes(type)) {
      aliasAt.index(1).fail(`expected one of ${DEPENDENCY_TYPES.join(', ')}, found "${type}"`);
    }
    setOwn(dependencies, alias, [specifier, type as DependencyType]);
  }
  return dependencies;
}

/** Tried in the order of the client's untagged enum: pesde, wally, git. */
function readSpecifier(at: Reader, value: unknown): DependencySpecifier {
  const raw = at.table(value);
  const version = (): string => at.parsedString(raw, 'version', parseVersionReq);
  const index = (): string => at.at('index').string(raw['index']);
  if (raw['name'] !== undefined) {
    const specifier = { name: at.parsedString(raw, 'name', (s) => parsePackageName(s).full), version: version(), index: index() };
    return raw['target'] === undefined ? specifier : { ...specifier, target: at.parsedString(raw, 'target', parseTargetKind) };
  }
  if (raw['wally'] !== undefined) {
    return { wally: at.parsedString(raw, 'wally', (s) => parseWallyName(s).full), version: version(), index: index() };
  }
  if (raw['repo'] !== undefined) {
    const specifier = { repo: at.at('repo').string(raw['repo']), rev: at.at('rev').string(raw['rev']) };
    const path = at.at('path').optionalString(raw['path']);
    return path === undefined ? specifier : { ...specifier, path };
  }
  return at.fail(
    'expected a pesde ({ name, version, index }), wally ({ wally, version, index }) or git ({ repo, rev }) specifier; workspace and path dependencies cannot be published',
  );
}

// ---------------------------------------------------------------------------------------
// Writing

/** The official `DocEntry` order, kept under its old name for the file's callers. */
export const sortDocs = sortDocEntries;

/** Entries in index order; stable, so equal ids keep their relative order. */
export function sortEntries(entries: readonly Entry[]): Entry[] {
  return [...entries].sort((a, b) => compareVersionIds(a.id, b.id));
}

export function findEntry(file: IndexFile, id: VersionId): IndexEntry | undefined {
  return file.entries.find((e) => compareVersionIds(e.id, id) === 0)?.entry;
}

/** A copy of `file` with the entry added in its place; a version id may be published once. */
export function insertEntry(file: IndexFile, id: VersionId, entry: IndexEntry): IndexFile {
  if (findEntry(file, id) !== undefined) {
    throw new RegistryError('conflict', `version ${formatVersionId(id)} is already in the index: publish a new version instead`);
  }
  return { ...file, entries: sortEntries([...file.entries, { id, entry }]) };
}

export function serializeIndexFile(file: IndexFile): string {
  const document = new Map<string, TomlValue>();
  if (file.deprecated !== undefined && file.deprecated !== '') document.set('meta', { deprecated: file.deprecated });
  for (const { id, entry } of sortEntries(file.entries)) document.set(formatVersionId(id), entryTable(entry));
  return tomlDocument(document);
}

/** Fields in the order of the official `IndexFileEntry` struct, which decides the layout. */
function entryTable(entry: IndexEntry): TomlTable {
  const docs = sortDocs(entry.docs ?? []);
  const dependencies = Object.keys(entry.dependencies ?? {}).sort(compareAliases);
  return {
    target: targetTable(entry.target),
    published_at: entry.published_at,
    engines: enginesTable(entry.engines ?? {}),
    description: entry.description,
    license: entry.license,
    authors: entry.authors !== undefined && entry.authors.length > 0 ? entry.authors : undefined,
    repository: entry.repository,
    docs: docs.length > 0 ? docs.map(docTable) : undefined,
    yanked: entry.yanked === true ? true : undefined,
    dependencies:
      dependencies.length > 0
        ? new Map(dependencies.map((alias) => [alias, dependencyValue(entry.dependencies?.[alias] as DependencyEntry)]))
        : undefined,
  };
}

function targetTable(target: Target): TomlTable {
  if (isRobloxTarget(target.environment)) {
    const buildFiles = [...new Set(target.build_files ?? [])].sort(compareUtf8);
    return { environment: target.environment, lib: target.lib, build_files: buildFiles };
  }
  const scripts = Object.keys(target.scripts ?? {}).sort(compareUtf8);
  return {
    environment: target.environment,
    lib: target.lib,
    bin: target.bin,
    scripts: scripts.length > 0 ? new Map(scripts.map((name) => [name, target.scripts?.[name] as string])) : undefined,
  };
}

function enginesTable(engines: Partial<Record<EngineKind, string>>): TomlTable | undefined {
  const present = ENGINE_KINDS.filter((engine) => engines[engine] !== undefined);
  return present.length > 0 ? new Map(present.map((engine) => [engine, engines[engine] as string])) : undefined;
}

function docTable(doc: DocEntry): TomlTable {
  if ('name' in doc) return { label: doc.label, position: doc.position, name: doc.name, hash: doc.hash };
  return {
    label: doc.label,
    position: doc.position,
    items: doc.items.length > 0 ? doc.items.map(docTable) : undefined,
    collapsed: doc.collapsed === true ? true : undefined,
  };
}

function dependencyValue([specifier, type]: DependencyEntry): TomlValue {
  let table: TomlTable;
  if ('name' in specifier) {
    table = { name: specifier.name, version: specifier.version, index: specifier.index, target: specifier.target };
  } else if ('wally' in specifier) {
    table = { wally: specifier.wally, version: specifier.version, index: specifier.index };
  } else {
    table = { repo: specifier.repo, rev: specifier.rev, path: specifier.path };
  }
  return [table, type];
}
