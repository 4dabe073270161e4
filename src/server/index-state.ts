/**
 * The index at one commit, held in memory: config, scope owners, a summary of every
 * package (package-summary.ts) and the search index. A full load (index-load.ts) streams
 * every blob once through one `git cat-file --batch` process, keeps a few hundred bytes per
 * package and lets the text go; the next commit's state re-reads only the files that changed.
 *
 * Package files themselves are parsed on demand (package-store.ts). That is the trade-off:
 * the first request for a package not in the cache reads its blob from the local object
 * database through the same, already running cat-file process (no spawn, no fetch) and
 * parses it, instead of the server holding every parsed file; memory and start-up then do
 * not grow with the size of the files. A state never changes, so a request sees one commit
 * from start to end; the states of one server share the store (and its cache and process).
 */
import { parseIndexConfig } from '../index-repo/config.js';
import { CONFIG_FILE, classifyIndexPath as classify } from '../index-repo/index-layout.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import { parseScopeInfo } from '../index-repo/scope-file.js';
import { changedFiles } from '../index-repo/tree-reader.js';
import type { IndexConfig, PackageName, ScopeInfo } from '../index-repo/types.js';
import { errorMessage } from '../errors.js';
import { summariseBlob } from './blob-summary.js';
import { detach } from './detach.js';
import { loadStateParts, notAnIndex, withWarning } from './index-load.js';
import { LoadingLookup } from './loading-lookup.js';
import { INLINE_MAX_CHARS } from './package-parser.js';
import { PackageRecord } from './package-record.js';
import { scanIndexFile } from './package-scan.js';
import { PackageStore, type PackageStoreOptions } from './package-store.js';
import { PackageSummary } from './package-summary.js';
import { SearchIndex, type SearchDoc } from './search-index.js';
import type { SummaryCache } from './summary-cache.js';
import { TURN_MS } from './sliced-work.js';

const ignore = (): void => undefined;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface StateLoadOptions {
  /** told about files that cannot be parsed; they are left out, the rest is served */
  warn?: (message: string) => void;
  /** memory for parsed packages and rendered answers (a full load only; advances share it) */
  cacheBytes?: PackageStoreOptions['cacheBytes'];
  /**
   * a full load: records of earlier loads, whose blobs are not read again; it is told what
   * this load ends with. Waited for only once the first files are listed, so it may still be
   * being read when the load starts.
   */
  summaryCache?: Promise<SummaryCache>;
}

/** What a state is made of (index-load.ts makes them for a full load). */
export interface StateParts {
  dir: string;
  commit: string;
  config: IndexConfig;
  packages: ReadonlyMap<string, PackageSummary>;
  scopes: ReadonlyMap<string, ScopeInfo>;
  search: SearchIndex;
  filesRead: number;
  store: PackageStore;
  /** set while the full load runs: packages are read by path (see loading()) */
  lookup?: LoadingLookup;
}

export class IndexState {
  readonly dir: string;
  readonly commit: string;
  readonly config: IndexConfig;
  /** by `scope/name` */
  readonly packages: ReadonlyMap<string, PackageSummary>;
  readonly scopes: ReadonlyMap<string, ScopeInfo>;
  readonly search: SearchIndex;
  /** blobs read to build this state from the previous one (all of them for a full load) */
  readonly filesRead: number;
  readonly loadedAt = new Date();
  private readonly store: PackageStore;
  private readonly lookup: LoadingLookup | undefined;

  private constructor(parts: StateParts) {
    this.dir = parts.dir;
    this.commit = parts.commit;
    this.config = parts.config;
    this.packages = parts.packages;
    this.scopes = parts.scopes;
    this.search = parts.search;
    this.filesRead = parts.filesRead;
    this.store = parts.store;
    this.lookup = parts.lookup;
  }

  /**
   * What is served while the first full load of `commit` runs: its config, and each package
   * read by path when it is asked for (loading-lookup.ts), with answers equal to the loaded
   * state's. It knows no list of packages, scopes or search: routes that need them answer
   * 503 until the loaded state replaces it (app.ts). Rejects as a load would for a commit
   * that is not an index.
   */
  static async loading(dir: string, commit: string, opts: Pick<StateLoadOptions, 'warn' | 'cacheBytes'> = {}): Promise<IndexState> {
    // opened at start, while the process is small, like the full load's (index-load.ts): spawned directly
    const store = new PackageStore(dir, { cacheBytes: opts.cacheBytes, warn: opts.warn ?? ignore, directFirstReader: true });
    try {
      const text = await store.read(`${commit}:${CONFIG_FILE}`);
      if (text === null) throw notAnIndex(dir, commit);
      const config = parseIndexConfig(text.toString('utf8'), CONFIG_FILE);
      return new IndexState({ dir, commit, config, packages: new Map(), scopes: new Map(), search: SearchIndex.of([]), filesRead: 1, store, lookup: new LoadingLookup(store, commit) });
    } catch (error) {
      store.close();
      throw error;
    }
  }

  /** true for the state served while the full load runs (see loading()) */
  get loading(): boolean {
    return this.lookup !== undefined;
  }

  /** Every blob of `commit` read once (index-load.ts). */
  static async load(dir: string, commit: string, opts: StateLoadOptions = {}): Promise<IndexState> {
    return new IndexState(await loadStateParts(dir, commit, opts));
  }

  /** The state at `commit`, reading only files that differ from this one's commit. */
  async advance(commit: string, opts: StateLoadOptions = {}): Promise<IndexState> {
    if (commit === this.commit) return this;
    const warn = opts.warn ?? ignore;
    const changed = (await changedFiles(this.dir, this.commit, commit))
      .map((f) => ({ ...f, at: classify(f.path) }))
      .filter((f) => f.at.kind !== 'other' && f.at.kind !== 'bad-package');
    const blobs = await Promise.all(changed.map((f) => (f.oid === null ? null : this.store.read(f.oid))));

    let config = this.config;
    const packages = new Map(this.packages);
    const scopes = new Map(this.scopes);
    const searchChanges = new Map<string, SearchDoc | null>();
    /** package files too large to parse here: summarised from their scan, or parsed in the worker below */
    const large: Array<{ name: PackageName; oid: string; blob: Buffer; path: string }> = [];
    // a push may change many files, each parsed here: the event loop gets a turn between them
    let since = performance.now();
    for (const [i, file] of changed.entries()) {
      if (performance.now() - since > TURN_MS) {
        await nextTurn();
        since = performance.now();
      }
      const blob = blobs[i] ?? null;
      const text = blob?.toString('utf8') ?? null;
      const at = file.at;
      if (at.kind === 'config') {
        if (text === null) warn(`${CONFIG_FILE} was deleted in ${commit}; keeping the previous configuration`);
        else withWarning(warn, file.path, () => (config = parseIndexConfig(text, CONFIG_FILE)));
      } else if (at.kind === 'scope') {
        if (text === null) scopes.delete(at.scope);
        else withWarning(warn, file.path, () => scopes.set(detach(at.scope), parseScopeInfo(text, file.path)));
      } else if (at.kind === 'package') {
        const id = at.name.full;
        if (blob === null || text === null || file.oid === null) {
          packages.delete(id);
          searchChanges.set(id, null);
          continue;
        }
        const oid = file.oid;
        if (blob.length > INLINE_MAX_CHARS) {
          large.push({ name: at.name, oid, blob, path: file.path });
          continue;
        }
        // parsed in full, unlike at load: a file that no longer parses keeps its previous
        // version in service, and a just-changed package is the one clients ask for next
        withWarning(warn, file.path, () => {
          const parsed = parseIndexFile(text, file.path);
          const scan = scanIndexFile(blob);
          const summary = scan === null ? PackageSummary.fromFile(at.name, oid, parsed) : PackageSummary.fromScan(at.name, oid, scan, blob.length);
          this.store.adopt(summary, text, (grew) => new PackageRecord(summary, parsed, grew));
          packages.set(summary.full, summary);
          searchChanges.set(summary.full, summary.shown === null ? null : summary);
        });
      }
    }
    for (const { name, oid, blob, path } of large) {
      // a parse of many MB would hold the event loop: the scan (a pass over the bytes) gives
      // the summary, and the file is parsed on its first request, off the event loop
      let summary: PackageSummary;
      try {
        summary = await summariseBlob(name, oid, blob, path);
      } catch (error) {
        warn(`skipping ${path}: ${errorMessage(error)}`);
        continue;
      }
      packages.set(summary.full, summary);
      searchChanges.set(summary.full, summary.shown === null ? null : summary);
    }
    return new IndexState({
      dir: this.dir,
      commit,
      config,
      packages,
      scopes,
      search: this.search.with(searchChanges),
      filesRead: changed.length,
      store: this.store,
    });
  }

  /**
   * The parsed package when it is in memory, without a promise (most requests); null when
   * there is none by that name or its file does not parse; undefined when it must be read.
   */
  cachedRecord(id: string): PackageRecord | null | undefined {
    if (this.lookup !== undefined) return undefined;
    const summary = this.packages.get(id);
    return summary === undefined ? null : this.store.cached(summary);
  }

  /** The parsed package; null when there is none by that name or its file does not parse. */
  record(id: string): Promise<PackageRecord | null> {
    if (this.lookup !== undefined) return this.lookup.record(id);
    const summary = this.packages.get(id);
    return summary === undefined ? Promise.resolve(null) : this.store.record(summary);
  }

  /** What search shows for each package (the JSON of its shown version), in order; null where there is nothing. */
  searchResults(ids: readonly string[]): Promise<Array<string | null>> {
    const summaries = ids.map((id) => this.packages.get(id)).filter((s): s is PackageSummary => s !== undefined);
    return this.store.searchJson(summaries);
  }

  /** The package cache's lookups and bytes (shared by every state of one server). */
  cacheStats(): { hits: number; misses: number; bytes: number } {
    return this.store.cacheStats();
  }

  /** Ends the git process this state and the states advanced from it read through. */
  close(): void {
    this.store.close();
  }
}

