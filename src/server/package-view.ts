/**
 * The JSON bodies of the package routes, field for field as the official registry's
 * `package.rs` serialises them: which fields are left out when empty, in which order
 * fields appear, and how sets and maps are sorted (Rust `Ord`, not insertion order).
 */
import type {
  DependencyEntry,
  DocEntry,
  IndexEntry,
  IndexFile,
  Target,
  TargetKind,
  VersionId,
} from '../index-repo/types.js';
import { TARGET_KINDS } from '../index-repo/types.js';
import type { JsonValue } from './json.js';

export interface IdEntry {
  id: VersionId;
  entry: IndexEntry;
}

const KIND_RANK = new Map<string, number>(TARGET_KINDS.map((kind, i) => [kind, i]));
const kindRank = (kind: TargetKind): number => KIND_RANK.get(kind) ?? TARGET_KINDS.length;

/** Characters from a surrogate up, the only ones where UTF-16 order and code point order differ. */
const ABOVE_SURROGATES = /[\uD800-\uFFFF]/;

/** Rust compares `String`s by UTF-8 bytes, which is code point order, not UTF-16 order. */
function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // below U+D800, UTF-16 units are code points: the built-in order is the right one
  if (!ABOVE_SURROGATES.test(a) && !ABOVE_SURROGATES.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** `{lib, bin, scripts?}`: which exports a target has, not their paths. */
function targetSummary(target: Target): { [key: string]: JsonValue } {
  const hasBin = target.environment === 'lune' || target.environment === 'luau';
  const scripts = hasBin && target.scripts ? Object.keys(target.scripts).sort(compareBytes) : [];
  return {
    lib: target.lib !== undefined,
    // roblox targets have no bin export even if a file names one
    bin: hasBin && target.bin !== undefined,
    scripts: scripts.length > 0 ? scripts : undefined,
  };
}

/** The fields every response flattens in from an entry (`PackageResponseInner`). */
function entryDetails(entry: IndexEntry): Array<[string, JsonValue]> {
  const docs = entry.docs ? docsView(entry.docs) : [];
  const deps = entry.dependencies ? dependenciesView(entry.dependencies) : new Map<string, JsonValue>();
  return [
    ['published_at', canonicalTimestamp(entry.published_at)],
    ['license', entry.license || undefined],
    ['authors', entry.authors && entry.authors.length > 0 ? entry.authors : undefined],
    ['repository', entry.repository === undefined ? undefined : canonicalUrl(entry.repository)],
    ['docs', docs.length > 0 ? docs : undefined],
    ['dependencies', deps.size > 0 ? deps : undefined],
  ];
}

/** `GET /v1/packages/{name}/{version}/{target}` (and each element of search and v0 lists). */
export function versionView(name: string, file: IndexFile, chosen: IdEntry, sameVersion: readonly IdEntry[]): JsonValue {
  const targets = new Map<TargetKind, JsonValue>();
  for (const { id, entry } of [...sameVersion].sort((a, b) => kindRank(a.id.target) - kindRank(b.id.target))) {
    if (targets.has(id.target)) continue;
    targets.set(id.target, { kind: id.target, yanked: entry.yanked ? true : undefined, ...targetSummary(entry.target) });
  }
  return {
    name,
    version: chosen.id.version,
    targets: [...targets.values()],
    description: chosen.entry.description || undefined,
    deprecated: file.deprecated || undefined,
    ...Object.fromEntries(entryDetails(chosen.entry)),
  };
}

/** `GET /v1/packages/{name}`: versions in semver order, targets in kind order. */
export function versionsView(name: string, file: IndexFile, groups: ReadonlyArray<readonly IdEntry[]>): JsonValue {
  const versions = new Map<string, JsonValue>();
  for (const group of groups) {
    const first = group[0];
    if (first === undefined) continue;
    const targets = new Map<string, JsonValue>();
    for (const { id, entry } of group) {
      targets.set(id.target, {
        target: targetSummary(entry.target),
        yanked: entry.yanked ? true : undefined,
        ...Object.fromEntries(entryDetails(entry)),
      });
    }
    // the official loop overwrites the description with each target's, so the last one wins
    const last = group[group.length - 1]!;
    versions.set(first.id.version, { description: last.entry.description || undefined, targets });
  }
  return { name, deprecated: file.deprecated || undefined, versions };
}

/** Doc entries without page hashes, sorted by label, then position, then kind (derived `Ord`). */
function docsView(docs: readonly DocEntry[]): JsonValue[] {
  const sorted = [...docs].sort(compareDocs);
  const unique = sorted.filter((doc, i) => i === 0 || compareDocs(sorted[i - 1]!, doc) !== 0);
  return unique.map((doc) => {
    if (isPage(doc)) return { label: doc.label, position: doc.position, name: doc.name };
    const items = doc.items ? docsView(doc.items) : [];
    return {
      label: doc.label,
      position: doc.position,
      items: items.length > 0 ? items : undefined,
      collapsed: doc.collapsed ? true : undefined,
    };
  });
}

function isPage(doc: DocEntry): doc is Extract<DocEntry, { hash: string }> {
  return 'name' in doc && 'hash' in doc && typeof doc.name === 'string';
}

function compareDocs(a: DocEntry, b: DocEntry): number {
  const byLabel = compareBytes(a.label, b.label);
  if (byLabel !== 0) return byLabel;
  const byPosition = compareOptional(a.position, b.position);
  if (byPosition !== 0) return byPosition;
  const aPage = isPage(a);
  const bPage = isPage(b);
  // variant order: Page before Category
  if (aPage !== bPage) return aPage ? -1 : 1;
  if (aPage && bPage) return compareBytes(a.name, b.name);
  const aItems = [...('items' in a && a.items ? a.items : [])].sort(compareDocs);
  const bItems = [...('items' in b && b.items ? b.items : [])].sort(compareDocs);
  for (let i = 0; i < Math.min(aItems.length, bItems.length); i++) {
    const c = compareDocs(aItems[i]!, bItems[i]!);
    if (c !== 0) return c;
  }
  if (aItems.length !== bItems.length) return aItems.length - bItems.length;
  const aCollapsed = 'collapsed' in a && a.collapsed === true ? 1 : 0;
  const bCollapsed = 'collapsed' in b && b.collapsed === true ? 1 : 0;
  return aCollapsed - bCollapsed;
}

/** Option ordering: None before Some. */
function compareOptional(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a - b;
}

/** Aliases sorted case-insensitively (pesde's `Alias` ordering), each as `[specifier, type]`. */
function dependenciesView(deps: Readonly<Record<string, DependencyEntry>>): Map<string, JsonValue> {
  const aliases = Object.keys(deps).sort((a, b) => compareBytes(a.toLowerCase(), b.toLowerCase()));
  const view = new Map<string, JsonValue>();
  for (const alias of aliases) {
    const [specifier, type] = deps[alias]!;
    view.set(alias, [specifierView(specifier as unknown as Record<string, unknown>), type]);
  }
  return view;
}

/** Fields in the order of pesde's specifier structs, whatever order the file had them in. */
function specifierView(spec: Record<string, unknown>): JsonValue {
  const order = 'wally' in spec
    ? ['wally', 'version', 'index']
    : 'repo' in spec
      ? ['repo', 'rev', 'path']
      : 'name' in spec
        ? ['name', 'version', 'index', 'target']
        : Object.keys(spec);
  const view: { [key: string]: JsonValue } = {};
  for (const key of order) view[key] = spec[key] as JsonValue;
  return view;
}

/**
 * `published_at` as jiff prints a Timestamp: UTC, `Z`, fractional seconds without trailing
 * zeros. Older entries were written with nine digits; the official registry re-prints them.
 */
export function canonicalTimestamp(text: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (match) {
    const fraction = (match[2] ?? '').replace(/0+$/, '');
    return fraction === '' ? `${match[1]}Z` : `${match[1]}.${fraction}Z`;
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : canonicalTimestamp(new Date(ms).toISOString());
}

/** A key that sorts timestamps chronologically as plain strings. */
export function timestampSortKey(text: string): string {
  const canonical = canonicalTimestamp(text);
  const match = /^(.{19})(?:\.(\d+))?Z$/.exec(canonical);
  return match ? `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}` : canonical;
}

/** Parsing a URL costs microseconds, and every version of a package names the same repository. */
const canonicalUrls = new Map<string, string>();
const MAX_CANONICAL_URLS = 4096;

/** The URL as Rust's `url` crate prints it (WHATWG serialisation, like `URL.href`). */
function canonicalUrl(text: string): string {
  let canonical = canonicalUrls.get(text);
  if (canonical === undefined) {
    try {
      canonical = new URL(text).href;
    } catch {
      canonical = text;
    }
    if (canonicalUrls.size >= MAX_CANONICAL_URLS) canonicalUrls.clear();
    canonicalUrls.set(text, canonical);
  }
  return canonical;
}
