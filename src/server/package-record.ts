/**
 * One package as the server holds it: the parsed file, its entries grouped by version in
 * semver order, `latest` resolved once, and each JSON body rendered at most once. A record
 * never changes; a new commit that touches the file builds a new record.
 */
import type { IndexFile, PackageName } from '../index-repo/types.js';
import { compareSemver, compareVersionIds, parseSemver, type SemVer } from '../index-repo/version.js';
import { CachedBody } from './cached-body.js';
import { toJson } from './json.js';
import { timestampSortKey, versionView, versionsView, type IdEntry } from './package-view.js';
import type { TargetParam, VersionParam } from './path-params.js';

interface VersionGroup {
  version: string;
  semver: SemVer;
  /** in target kind order */
  entries: IdEntry[];
}

export class PackageRecord {
  readonly name: PackageName;
  readonly file: IndexFile;
  private readonly groups: VersionGroup[];
  private readonly byVersion = new Map<string, VersionGroup>();
  /** the version `latest` names, null for a file without entries */
  readonly latestVersion: string | null;
  /** what search shows: the newest unyanked entry, null when every version is yanked */
  readonly searchable: IdEntry | null;
  private versionsBody: CachedBody | undefined;
  private v0Body: CachedBody | undefined;
  private readonly versionBodies = new Map<string, CachedBody>();

  constructor(name: PackageName, file: IndexFile) {
    this.name = name;
    this.file = file;
    const sorted = [...file.entries].sort((a, b) => compareVersionIds(a.id, b.id));
    this.groups = [];
    for (const item of sorted) {
      let group = this.byVersion.get(item.id.version);
      if (group === undefined) {
        group = { version: item.id.version, semver: parseSemver(item.id.version), entries: [] };
        this.byVersion.set(item.id.version, group);
        this.groups.push(group);
      }
      group.entries.push(item);
    }
    this.latestVersion = findLatest(this.groups);
    this.searchable = findSearchable(this.groups);
  }

  /** `latest`/`any` resolution of request_path.rs; null when nothing matches. */
  resolve(version: VersionParam, target: TargetParam): IdEntry | null {
    const wanted = version.kind === 'latest' ? this.latestVersion : version.version;
    if (wanted === null) return null;
    const group = this.byVersion.get(wanted);
    if (group === undefined) return null;
    if (target.kind === 'any') return group.entries[0] ?? null;
    return group.entries.find((e) => e.id.target === target.target) ?? null;
  }

  /** The doc page hash for a page name, searching categories at any depth. */
  findDoc(item: IdEntry, pageName: string): string | null {
    const queue = [...(item.entry.docs ?? [])];
    for (let doc = queue.pop(); doc !== undefined; doc = queue.pop()) {
      if ('hash' in doc && 'name' in doc) {
        if (doc.name === pageName) return doc.hash;
      } else if ('items' in doc && doc.items) {
        queue.push(...doc.items);
      }
    }
    return null;
  }

  versionsJson(): CachedBody {
    this.versionsBody ??= new CachedBody(
      toJson(versionsView(this.name.full, this.file, this.groups.map((g) => g.entries))),
    );
    return this.versionsBody;
  }

  versionJson(item: IdEntry): CachedBody {
    const key = `${item.id.version} ${item.id.target}`;
    let body = this.versionBodies.get(key);
    if (body === undefined) {
      const group = this.byVersion.get(item.id.version);
      body = new CachedBody(toJson(versionView(this.name.full, this.file, item, group?.entries ?? [item])));
      this.versionBodies.set(key, body);
    }
    return body;
  }

  /** v0: one version response per version, each for the version's last target in kind order. */
  v0Json(): CachedBody {
    this.v0Body ??= new CachedBody(
      `[${this.groups.map((g) => this.versionJson(g.entries[g.entries.length - 1]!).text).join(',')}]`,
    );
    return this.v0Body;
  }
}

/**
 * The highest version, preferring releases over pre-releases and then unyanked over
 * yanked (so a yanked release still beats an unyanked pre-release, as officially).
 */
function findLatest(groups: readonly VersionGroup[]): string | null {
  let best: { group: VersionGroup; release: boolean; unyanked: boolean } | null = null;
  for (const group of groups) {
    const release = group.semver.pre === '';
    for (const { entry } of group.entries) {
      const candidate = { group, release, unyanked: !entry.yanked };
      // >= keeps the last of equals, as Iterator::max_by does
      if (best === null || compareLatest(candidate, best) >= 0) best = candidate;
    }
  }
  return best?.group.version ?? null;
}

function compareLatest(
  a: { group: VersionGroup; release: boolean; unyanked: boolean },
  b: { group: VersionGroup; release: boolean; unyanked: boolean },
): number {
  return Number(a.release) - Number(b.release) || Number(a.unyanked) - Number(b.unyanked) || compareSemver(a.group.semver, b.group.semver);
}

/** search.rs `find_max_searchable`: highest version among unyanked entries, then newest. */
function findSearchable(groups: readonly VersionGroup[]): IdEntry | null {
  let best: { item: IdEntry; semver: SemVer; at: string } | null = null;
  for (const group of groups) {
    for (const item of group.entries) {
      if (item.entry.yanked) continue;
      const candidate = { item, semver: group.semver, at: timestampSortKey(item.entry.published_at) };
      if (best === null || (compareSemver(candidate.semver, best.semver) || compareStrings(candidate.at, best.at)) >= 0) {
        best = candidate;
      }
    }
  }
  return best?.item ?? null;
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
