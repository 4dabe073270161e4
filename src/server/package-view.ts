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
import { compareDocEntryDerived, isDocPage } from '../index-repo/doc-entry-order.js';
import { compareAliases, compareUtf8 } from '../utf8-order.js';
import { canonicalTimestamp } from '../published-at.js';

/** web/ reads the display form from here */
export { canonicalTimestamp } from '../published-at.js';

export interface IdEntry {
  id: VersionId;
  entry: IndexEntry;
}

const KIND_RANK = new Map<string, number>(TARGET_KINDS.map((kind, i) => [kind, i]));
const kindRank = (kind: TargetKind): number => KIND_RANK.get(kind) ?? TARGET_KINDS.length;

/** `{lib, bin, scripts?}`: which exports a target has, not their paths. */
function targetSummary(target: Target): { [key: string]: JsonValue } {
  const hasBin = target.environment === 'lune' || target.environment === 'luau';
  const scripts = hasBin && target.scripts ? Object.keys(target.scripts).sort(compareUtf8) : [];
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
  const sorted = [...docs].sort(compareDocEntryDerived);
  const unique = sorted.filter((doc, i) => i === 0 || compareDocEntryDerived(sorted[i - 1]!, doc) !== 0);
  return unique.map((doc) => {
    if (isDocPage(doc)) return { label: doc.label, position: doc.position, name: doc.name };
    const items = doc.items ? docsView(doc.items) : [];
    return {
      label: doc.label,
      position: doc.position,
      items: items.length > 0 ? items : undefined,
      collapsed: doc.collapsed ? true : undefined,
    };
  });
}


/** Aliases sorted case-insensitively (pesde's `Alias` ordering), each as `[specifier, type]`. */
function dependenciesView(deps: Readonly<Record<string, DependencyEntry>>): Map<string, JsonValue> {
  const aliases = Object.keys(deps).sort((a, b) => compareAliases(a, b));
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
