/**
 * What the server keeps of every package between requests: which blob holds its file, and
 * what search and the package list show of it (the newest unyanked entry, the deprecation
 * reason). A few hundred bytes a package instead of the parsed file, so memory and start-up
 * do not grow with the size of the files; requests parse the file itself on demand
 * (package-store.ts). A summary never changes; a new blob gets a new summary.
 */
import type { IndexFile, PackageName, VersionId } from '../index-repo/types.js';
import { compareTargetKinds } from '../index-repo/names.js';
import { compareSemver, type SemVer } from '../index-repo/version.js';
import { detach } from './detach.js';
import { scanIndexFile, type ScannedFile, type ScannedSection } from './package-scan.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import { timestampSortKey } from '../published-at.js';
import { semverOf } from './quick-semver.js';
import type { SearchDoc } from './search-index.js';

/** The entry search and the package list show for a package. */
export interface ShownEntry {
  id: VersionId;
  description: string | undefined;
  publishedAt: string;
}

/** What choosing the shown entry looks at, for scanned and for parsed entries alike. */
export interface EntryFacts {
  id: VersionId;
  yanked: boolean;
  publishedAt: string;
  /** when already parsed */
  semver?: SemVer;
}

/** What a summary holds beyond its name and blob: what the summary cache keeps of it (summary-cache.ts). */
export interface SummaryFields {
  deprecated: string | undefined;
  shown: ShownEntry | null;
  span: readonly [number, number] | null;
  versions: number;
}

export class PackageSummary implements PackageName, SearchDoc {
  readonly scope: string;
  readonly name: string;
  readonly full: string;
  /** the blob of the package file: what requests read and what cached answers are keyed by */
  readonly oid: string;
  /** non-empty reason when deprecated */
  readonly deprecated: string | undefined;
  /** the newest unyanked entry; null when every version is yanked (search leaves it out) */
  readonly shown: ShownEntry | null;
  /**
   * Where the sections of the shown version's entries are in the file (in bytes), when they
   * are together (as the registry writes them): a search result needs only those, and
   * parsing them costs a fraction of parsing the file. -1 when unknown.
   */
  readonly shownStart: number;
  readonly shownEnd: number;
  readonly lowerDescription: string;
  readonly publishedKey: string;
  /** how many entries (version and target) the file has, yanked included */
  readonly versions: number;

  private constructor(name: PackageName, oid: string, deprecated: string | undefined, shown: ShownEntry | null, span: readonly [number, number] | null, versions: number) {
    // names and ids come cut out of one long git listing
    this.scope = detach(name.scope);
    this.name = detach(name.name);
    this.full = detach(name.full);
    this.oid = detach(oid);
    this.deprecated = deprecated;
    this.shown = shown;
    this.shownStart = span?.[0] ?? -1;
    this.shownEnd = span?.[1] ?? -1;
    this.lowerDescription = (shown?.description ?? '').toLowerCase();
    this.publishedKey = shown === null ? '' : timestampSortKey(shown.publishedAt);
    this.versions = versions;
  }

  /** `size` is the file's length in bytes, where the last section ends */
  static fromScan(name: PackageName, oid: string, scan: ScannedFile, size: number): PackageSummary {
    const chosen = shownEntry(scan.entries);
    const shown = chosen === undefined ? null : { id: chosen.id, description: chosen.description, publishedAt: chosen.publishedAt };
    const span = shown === null ? null : sectionsOf(scan.sections, shown.id.version, size);
    return new PackageSummary(name, oid, scan.deprecated, shown, span, scan.entries.length);
  }

  /** From a quick scan of the file, or from a full parse when the scan declines it: what a full load keeps of each file. */
  static of(name: PackageName, oid: string, blob: Buffer, where: string): PackageSummary {
    const scan = scanIndexFile(blob);
    if (scan !== null) return PackageSummary.fromScan(name, oid, scan, blob.length);
    return PackageSummary.fromFile(name, oid, parseIndexFile(blob.toString('utf8'), where));
  }

  /** From the fields the summary cache kept of a summary made from the same blob. */
  static fromFields(name: PackageName, oid: string, fields: SummaryFields): PackageSummary {
    return new PackageSummary(name, oid, fields.deprecated, fields.shown, fields.span, fields.versions);
  }

  /** From a fully parsed file (one the scan turned down, or one a refresh re-read). */
  static fromFile(name: PackageName, oid: string, file: IndexFile): PackageSummary {
    const facts = file.entries.map(({ id, entry }) => ({ id, yanked: entry.yanked === true, publishedAt: entry.published_at, entry }));
    const chosen = sortedAndShown(facts);
    const shown = chosen === null ? null : { id: chosen.id, description: chosen.entry.description, publishedAt: chosen.entry.published_at };
    return new PackageSummary(name, oid, file.deprecated, shown, null, file.entries.length);
  }
}

export interface Ordered<T extends EntryFacts> {
  facts: T;
  semver: SemVer;
}

/**
 * Entries in index order (compareVersionIds: version precedence, then target kind), each
 * version parsed once: compareVersionIds parses both versions at every comparison, which
 * adds up over every entry of a large index.
 */
export function inIndexOrder<T extends EntryFacts>(entries: readonly T[]): Array<Ordered<T>> {
  const parsed = new Map<string, SemVer>();
  const ordered = entries.map((facts) => {
    let semver = facts.semver ?? parsed.get(facts.id.version);
    if (semver === undefined) {
      semver = semverOf(facts.id.version);
      parsed.set(facts.id.version, semver);
    }
    return { facts, semver };
  });
  return ordered.sort((a, b) => compareSemver(a.semver, b.semver) || compareTargetKinds(a.facts.id.target, b.facts.id.target));
}

/** The shown entry of entries in any order, or null. */
export function sortedAndShown<T extends EntryFacts>(entries: readonly T[]): T | null {
  const sorted = inIndexOrder(entries);
  return sorted[shownIndex(sorted)]?.facts ?? null;
}

/**
 * search.rs `find_max_searchable`: the highest version among unyanked entries, then the
 * newest; of equals the last in index order. -1 when every entry is yanked.
 */
export function shownIndex(sorted: ReadonlyArray<Ordered<EntryFacts>>): number {
  let best = -1;
  let bestAt: string | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const { facts, semver } = sorted[i]!;
    if (facts.yanked) continue;
    if (best < 0) {
      best = i;
      bestAt = undefined;
      continue;
    }
    const order = compareSemver(semver, sorted[best]!.semver);
    if (order < 0) continue;
    // publication times only break ties (the targets of one version), so only then are they read
    let at: string | undefined;
    if (order === 0) {
      bestAt ??= timestampSortKey(sorted[best]!.facts.publishedAt);
      at = timestampSortKey(facts.publishedAt);
      if (at < bestAt) continue;
    }
    best = i;
    bestAt = at;
  }
  return best;
}

/**
 * The entry `sortedAndShown` picks, found in one pass without sorting: the highest unyanked
 * version, then the newest, then the last in index order (the highest target kind: no two
 * entries share a version and a target). Sorting every entry of every package was a tenth
 * of start-up.
 */
export function shownEntry<T extends EntryFacts & { semver: SemVer }>(entries: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestAt: string | undefined;
  for (const entry of entries) {
    if (entry.yanked) continue;
    const order = best === undefined ? 1 : compareSemver(entry.semver, best.semver);
    if (order < 0) continue;
    if (order > 0) {
      best = entry;
      bestAt = undefined;
      continue;
    }
    bestAt ??= timestampSortKey(best!.publishedAt);
    const at = timestampSortKey(entry.publishedAt);
    if (at < bestAt || (at === bestAt && compareTargetKinds(entry.id.target, best!.id.target) < 0)) continue;
    best = entry;
    bestAt = at;
  }
  return best;
}

/** [start, end) of the sections of one version when no other section comes between them. */
function sectionsOf(sections: readonly ScannedSection[], version: string, size: number): [number, number] | null {
  let first = -1;
  let after = -1;
  for (let i = 0; i < sections.length; i++) {
    const mine = sections[i]!.version === version;
    if (mine && after >= 0) return null;
    if (mine && first < 0) first = i;
    if (!mine && first >= 0 && after < 0) after = i;
  }
  if (first < 0) return null;
  return [sections[first]!.start, after < 0 ? size : sections[after]!.start];
}
