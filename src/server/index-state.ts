/**
 * The index at one commit, held in memory: config, every package file parsed, scope
 * owners and the search index. Built from one `git cat-file --batch` process; the next
 * commit's state re-reads only the files that changed. Requests read a state and never
 * touch git; a state never changes, so a request sees one commit from start to end.
 */
import { CONFIG_FILE, parseIndexConfig } from '../index-repo/config.js';
import { parsePackageName } from '../index-repo/names.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import { parseScopeInfo } from '../index-repo/scope-file.js';
import { BlobReader, changedPaths, listTree } from '../index-repo/tree-reader.js';
import type { IndexConfig, PackageName, ScopeInfo } from '../index-repo/types.js';
import { errorMessage } from '../errors.js';
import { PackageRecord } from './package-record.js';
import { SearchIndex, searchDocFor, type SearchDoc } from './search-index.js';

const SCOPE_FILE = 'scope.toml';

type IndexPath =
  | { kind: 'config' }
  | { kind: 'scope'; scope: string }
  | { kind: 'package'; name: PackageName }
  | { kind: 'other' };

export interface StateLoadOptions {
  /** told about files that cannot be parsed; they are left out, the rest is served */
  warn?: (message: string) => void;
}

interface StateParts {
  dir: string;
  commit: string;
  config: IndexConfig;
  packages: ReadonlyMap<string, PackageRecord>;
  scopes: ReadonlyMap<string, ScopeInfo>;
  search: SearchIndex;
  filesRead: number;
}

export class IndexState {
  readonly dir: string;
  readonly commit: string;
  readonly config: IndexConfig;
  /** by `scope/name` */
  readonly packages: ReadonlyMap<string, PackageRecord>;
  readonly scopes: ReadonlyMap<string, ScopeInfo>;
  readonly search: SearchIndex;
  /** blobs read to build this state from the previous one (all of them for a full load) */
  readonly filesRead: number;
  readonly loadedAt = new Date();

  private constructor(parts: StateParts) {
    this.dir = parts.dir;
    this.commit = parts.commit;
    this.config = parts.config;
    this.packages = parts.packages;
    this.scopes = parts.scopes;
    this.search = parts.search;
    this.filesRead = parts.filesRead;
  }

  static async load(dir: string, commit: string, opts: StateLoadOptions = {}): Promise<IndexState> {
    const warn = opts.warn ?? (() => undefined);
    const files = (await listTree(dir, commit))
      .map((f) => ({ ...f, at: classify(f.path) }))
      .filter((f) => f.at.kind !== 'other');
    const blobs = await readAll(dir, files.map((f) => f.oid));

    let config: IndexConfig | undefined;
    const packages = new Map<string, PackageRecord>();
    const scopes = new Map<string, ScopeInfo>();
    files.forEach((file, i) => {
      const text = blobs[i];
      if (text == null) return;
      const at = file.at;
      if (at.kind === 'config') config = parseIndexConfig(text, CONFIG_FILE);
      else if (at.kind === 'scope') withWarning(warn, file.path, () => scopes.set(at.scope, parseScopeInfo(text, file.path)));
      else if (at.kind === 'package') withWarning(warn, file.path, () => packages.set(at.name.full, record(at.name, text, file.path)));
    });
    if (config === undefined) {
      throw new Error(`the index at ${dir} has no ${CONFIG_FILE} in commit ${commit}: is it an index (pesde-registry init)?`);
    }
    const docs = new Map<string, SearchDoc>();
    for (const [id, pkg] of packages) {
      const doc = searchDocFor(pkg);
      if (doc !== null) docs.set(id, doc);
    }
    return new IndexState({ dir, commit, config, packages, scopes, search: new SearchIndex(docs), filesRead: blobs.length });
  }

  /** The state at `commit`, reading only files that differ from this one's commit. */
  async advance(commit: string, opts: StateLoadOptions = {}): Promise<IndexState> {
    if (commit === this.commit) return this;
    const warn = opts.warn ?? (() => undefined);
    const changed = (await changedPaths(this.dir, this.commit, commit))
      .map((p) => ({ path: p, at: classify(p) }))
      .filter((f) => f.at.kind !== 'other');
    const blobs = await readAll(this.dir, changed.map((f) => `${commit}:${f.path}`));

    let config = this.config;
    const packages = new Map(this.packages);
    const scopes = new Map(this.scopes);
    const searchChanges = new Map<string, SearchDoc | null>();
    changed.forEach((file, i) => {
      const text = blobs[i] ?? null;
      const at = file.at;
      if (at.kind === 'config') {
        if (text === null) warn(`${CONFIG_FILE} was deleted in ${commit}; keeping the previous configuration`);
        else withWarning(warn, file.path, () => (config = parseIndexConfig(text, CONFIG_FILE)));
      } else if (at.kind === 'scope') {
        if (text === null) scopes.delete(at.scope);
        else withWarning(warn, file.path, () => scopes.set(at.scope, parseScopeInfo(text, file.path)));
      } else if (at.kind === 'package') {
        const id = at.name.full;
        if (text === null) {
          packages.delete(id);
          searchChanges.set(id, null);
          return;
        }
        // a file that no longer parses keeps its previous version in service
        withWarning(warn, file.path, () => {
          const pkg = record(at.name, text, file.path);
          packages.set(id, pkg);
          searchChanges.set(id, searchDocFor(pkg));
        });
      }
    });
    return new IndexState({
      dir: this.dir,
      commit,
      config,
      packages,
      scopes,
      search: this.search.with(searchChanges),
      filesRead: blobs.length,
    });
  }
}

function record(name: PackageName, text: string, where: string): PackageRecord {
  return new PackageRecord(name, parseIndexFile(text, where));
}

/** Which role a path plays in an index; files outside the layout (a README, CI) are ignored. */
function classify(filePath: string): IndexPath {
  if (filePath === CONFIG_FILE) return { kind: 'config' };
  const parts = filePath.split('/');
  if (parts.length !== 2) return { kind: 'other' };
  const [scope, file] = parts as [string, string];
  if (file === SCOPE_FILE) return { kind: 'scope', scope };
  try {
    return { kind: 'package', name: parsePackageName(`${scope}/${file}`) };
  } catch {
    return { kind: 'other' };
  }
}

/** Reads every blob through one cat-file process; requests are pipelined, answers come in order. */
async function readAll(dir: string, specs: string[]): Promise<Array<string | null>> {
  if (specs.length === 0) return [];
  const reader = BlobReader.open(dir);
  try {
    const blobs = await Promise.all(specs.map((spec) => reader.read(spec)));
    return blobs.map((b) => (b === null ? null : b.toString('utf8')));
  } finally {
    reader.close();
  }
}

function withWarning(warn: (message: string) => void, where: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    warn(`skipping ${where}: ${errorMessage(error)}`);
  }
}
