/**
 * A full load: every file of the index at one commit, listed by one streamed `git ls-tree`
 * (index-listing.ts) and read once through one `git cat-file --batch` while the listing
 * runs. Each blob is summarised as it arrives and dropped (package-summary.ts), so the text
 * of the index is never in memory all at once; what the summary cache has a record of is
 * not read at all. It ends with the parts of an IndexState.
 */
import { parseIndexConfig } from '../index-repo/config.js';
import { CONFIG_FILE } from '../index-repo/index-layout.js';
import { parseScopeInfo } from '../index-repo/scope-file.js';
import type { IndexConfig, ScopeInfo } from '../index-repo/types.js';
import { errorMessage, RegistryError } from '../errors.js';
import { detach } from './detach.js';
import { listIndexFiles, type ListedFile } from './index-listing.js';
import type { StateLoadOptions, StateParts } from './index-state.js';
import { PackageStore } from './package-store.js';
import { PackageSummary } from './package-summary.js';
import { SearchIndex, type SearchDoc } from './search-index.js';
import type { SummaryCache } from './summary-cache.js';

const ignore = (): void => undefined;

export async function loadStateParts(dir: string, commit: string, opts: StateLoadOptions = {}): Promise<Omit<StateParts, 'lookup'>> {
  // not a closure made here: one that outlives the load would keep all of its locals alive
  const warn = opts.warn ?? ignore;
  // git for the load is spawned by this process, not the spawner: a load runs at start, while
  // the process is small, and relayed, its stream of every blob costs the event loop more (GitSpawnOptions.direct)
  const store = new PackageStore(dir, { cacheBytes: opts.cacheBytes, warn, directFirstReader: true });

  let config: IndexConfig | undefined;
  const packages = new Map<string, PackageSummary>();
  const scopes = new Map<string, ScopeInfo>();
  // blobs stream through in order, read while the tree is still being listed; each is
  // summarised as it arrives and dropped, so the text of the index is never in memory all at once
  let filesRead = 0;
  const readBatch = (files: ListedFile[], cache: SummaryCache | undefined): Promise<void> => {
    filesRead += files.length;
    if (files.length === 0) return Promise.resolve();
    return store.readEach(
      files.map((f) => f.oid),
      (i, blob) => {
        if (blob === null) return;
        const file = files[i]!;
        const at = file.at;
        if (at.kind === 'config') config = parseIndexConfig(blob.toString('utf8'), CONFIG_FILE);
        else if (at.kind === 'scope') {
          withWarning(warn, file.path, () => {
            const info = parseScopeInfo(blob.toString('utf8'), file.path);
            scopes.set(detach(at.scope), info);
            cache?.keepScope(file.oid, info);
          });
        } else {
          // no closure per file, as withWarning would take: 50,000 of them at start-up
          try {
            // keyed by the summary's own copy of the name (see PackageSummary)
            const summary = PackageSummary.of(at.name, file.oid, blob, file.path);
            packages.set(summary.full, summary);
            cache?.keep(summary);
          } catch (error) {
            warn(`skipping ${file.path}: ${errorMessage(error)}`);
          }
        }
      },
    );
  };
  const cached = opts.summaryCache;
  await listIndexFiles(
    dir,
    commit,
    (listed) =>
      cached === undefined
        ? readBatch(listed, undefined)
        : // what the cache has a record of is not read; batches still go to cat-file in listing order
          cached.then((cache) => readBatch(listed.filter((file) => !fromCache(cache, file, packages, scopes)), cache)),
    { direct: true },
  ).catch((error: unknown) => {
    store.close();
    throw error;
  });
  if (config === undefined) {
    store.close();
    throw notAnIndex(dir, commit);
  }
  const search = SearchIndex.of(searchDocs(packages.values()));
  return { dir, commit, config, packages, scopes, search, filesRead, store };
}

/** Takes a listed package or scope file from the cache when it has a record of its blob; false when the blob must be read. */
function fromCache(cache: SummaryCache, file: ListedFile, packages: Map<string, PackageSummary>, scopes: Map<string, ScopeInfo>): boolean {
  const at = file.at;
  if (at.kind === 'package') {
    const summary = cache.packageSummary(at.name, file.oid);
    if (summary === undefined) return false;
    packages.set(summary.full, summary);
    return true;
  }
  if (at.kind === 'scope') {
    const info = cache.scopeInfo(file.oid);
    if (info === undefined) return false;
    scopes.set(detach(at.scope), info);
    return true;
  }
  // config.toml: one small file, read every time
  return false;
}

export function notAnIndex(dir: string, commit: string): RegistryError {
  return new RegistryError('usage', `${dir} is not a pesde index: commit ${commit.slice(0, 12)} has no ${CONFIG_FILE}; make one with \`pesde-registry init ${dir}\` (or pass --index <a clone of an index>)`);
}

function* searchDocs(summaries: Iterable<PackageSummary>): Iterable<SearchDoc> {
  // every yanked version means nothing to install: left out of search and of the package list
  for (const summary of summaries) if (summary.shown !== null) yield summary;
}

export function withWarning(warn: (message: string) => void, where: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    warn(`skipping ${where}: ${errorMessage(error)}`);
  }
}
