/**
 * One package parsed: the file, its entries grouped by version in semver order, `latest`
 * resolved once, and each JSON body rendered at most once. A record never changes; a new
 * blob builds a new record. Records live in the package store's cache (package-store.ts),
 * which is told how much each body adds, so it can bound the memory they take.
 */
import type { IndexFile, PackageName } from '../index-repo/types.js';
import { compareSemver, type SemVer } from '../index-repo/version.js';
import { CachedBody, type GrowthListener } from './cached-body.js';
import { toJson } from './json.js';
import { inIndexOrder, shownIndex } from './package-summary.js';
import { versionView, versionsView, type IdEntry } from './package-view.js';
import type { RenderedVersions } from './package-parser.js';
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
  private readonly grew: GrowthListener | undefined;

  /** `versions`: the versions list already rendered (by the worker that parsed a large file) */
  constructor(name: PackageName, file: IndexFile, grew?: GrowthListener, versions?: RenderedVersions) {
    this.name = name;
    this.file = file;
    this.grew = grew;
    if (versions !== undefined) this.versionsBody = new CachedBody(versions.text, grew, versions.gzip);
    const sorted = inIndexOrder(file.entries.map((item) => ({ id: item.id, yanked: item.entry.yanked === true, publishedAt: item.entry.published_at, item })));
    this.groups = [];
    for (const { facts, semver } of sorted) {
      const item = facts.item;
      let group = this.byVersion.get(item.id.version);
      if (group === undefined) {
        group = { version: item.id.version, semver, entries: [] };
        this.byVersion.set(item.id.version, group);
        this.groups.push(group);
      }
      group.entries.push(item);
    }
    this.latestVersion = findLatest(this.groups);
    this.searchable = sorted[shownIndex(sorted)]?.facts.item ?? null;
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
      this.grew,
    );
    return this.versionsBody;
  }

  versionJson(item: IdEntry): CachedBody {
    const key = `${item.id.version} ${item.id.target}`;
    let body = this.versionBodies.get(key);
    if (body === undefined) {
      body = new CachedBody(this.versionText(item), this.grew);
      this.versionBodies.set(key, body);
    }
    return body;
  }

  /** The text of versionJson, without keeping it when it is not kept already (a search result has its own cache). */
  versionText(item: IdEntry): string {
    const body = this.versionBodies.get(`${item.id.version} ${item.id.target}`);
    if (body !== undefined) return body.text;
    const group = this.byVersion.get(item.id.version);
    return toJson(versionView(this.name.full, this.file, item, group?.entries ?? [item]));
  }

  /** v0: one version response per version, each for the version's last target in kind order. */
  v0Json(): CachedBody {
    this.v0Body ??= new CachedBody(
      `[${this.groups.map((g) => this.versionJson(g.entries[g.entries.length - 1]!).text).join(',')}]`,
      this.grew,
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
