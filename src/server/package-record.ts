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
  /** in target kind order */
  entries: IdEntry[];
}

/**
 * What building a record works out from its file, in a form a worker thread can send: for
 * a large file (thousands of entries) the semver parses and the sort took the event loop
 * 11 ms of a 29 ms first request (bench:hostile, 4 MB file, profiled).
 */
export interface RecordLayout {
  /** indexes into `file.entries`, in index order (semver precedence, then target kind) */
  order: Int32Array;
  latestVersion: string | null;
  /** index into `file.entries` of the entry search shows; -1 for none */
  searchable: number;
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

  /**
   * `versions`: the versions list already rendered, and `layout` worked out, by the worker
   * that parsed a large file
   */
  constructor(name: PackageName, file: IndexFile, grew?: GrowthListener, versions?: RenderedVersions, layout?: RecordLayout) {
    this.name = name;
    this.file = file;
    this.grew = grew;
    if (versions !== undefined) this.versionsBody = new CachedBody(versions.bytes, grew, versions.gzip);
    this.groups = [];
    if (layout !== undefined) {
      for (const at of layout.order) this.place(file.entries[at]!);
      this.latestVersion = layout.latestVersion;
      this.searchable = layout.searchable < 0 ? null : file.entries[layout.searchable]!;
      return;
    }
    const sorted = inIndexOrder(file.entries.map((item) => ({ id: item.id, yanked: item.entry.yanked === true, publishedAt: item.entry.published_at, item })));
    const semvers = new Map<VersionGroup, SemVer>();
    for (const { facts, semver } of sorted) semvers.set(this.place(facts.item), semver);
    this.latestVersion = findLatest(this.groups, semvers);
    this.searchable = sorted[shownIndex(sorted)]?.facts.item ?? null;
  }

  /** The layout this record was built with, for a record built from the same file elsewhere. */
  layout(): RecordLayout {
    const indexes = new Map(this.file.entries.map((item, i) => [item, i]));
    const order = Int32Array.from(this.groups.flatMap((g) => g.entries), (item) => indexes.get(item)!);
    return { order, latestVersion: this.latestVersion, searchable: this.searchable === null ? -1 : indexes.get(this.searchable)! };
  }

  /** adds `item` to its version's group (new groups in the order their first entries come) */
  private place(item: IdEntry): VersionGroup {
    let group = this.byVersion.get(item.id.version);
    if (group === undefined) {
      group = { version: item.id.version, entries: [] };
      this.byVersion.set(item.id.version, group);
      this.groups.push(group);
    }
    group.entries.push(item);
    return group;
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
function findLatest(groups: readonly VersionGroup[], semvers: ReadonlyMap<VersionGroup, SemVer>): string | null {
  let best: { group: VersionGroup; semver: SemVer; release: boolean; unyanked: boolean } | null = null;
  for (const group of groups) {
    const semver = semvers.get(group)!;
    const release = semver.pre === '';
    for (const { entry } of group.entries) {
      const candidate = { group, semver, release, unyanked: !entry.yanked };
      // >= keeps the last of equals, as Iterator::max_by does
      if (best === null || compareLatest(candidate, best) >= 0) best = candidate;
    }
  }
  return best?.group.version ?? null;
}

function compareLatest(a: { semver: SemVer; release: boolean; unyanked: boolean }, b: { semver: SemVer; release: boolean; unyanked: boolean }): number {
  return Number(a.release) - Number(b.release) || Number(a.unyanked) - Number(b.unyanked) || compareSemver(a.semver, b.semver);
}
