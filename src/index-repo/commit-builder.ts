/**
 * Turns an index change into a commit without the work tree or the user's staging area:
 * only the trees the change touches (the root and each touched scope folder) are read and
 * rewritten, so the cost of a write follows the number of scopes it touches, not the
 * number of files in the index. The trees are read through the operation's one
 * `cat-file --batch` and the new objects written by one git process each, in parallel
 * where they do not depend on each other.
 */
import { RegistryError } from '../errors.js';
import { git } from './git.js';
import type { IndexChange } from './index-writer.js';
import type { BlobReader } from './tree-reader.js';
import { locate, treeEntries, withIds, type Located, type RawTree, type TreeEntry } from './tree-object.js';

export interface BuiltCommit {
  commit: string;
  /** each changed path as the base commit had it (null: a new package, a new scope) */
  before: Map<string, TreeEntry | null>;
}

export async function buildCommit(dir: string, reader: BlobReader, base: string | null, change: IndexChange, message: string, identity: Record<string, string>): Promise<BuiltCommit> {
  const paths = [...change.files.keys()];
  // `<file>` or `<folder>/<file>`
  const parts = paths.map((filePath) => {
    const names = filePath.split('/');
    if (names.length > 2 || names.some((p) => p === '' || p === '.' || p === '..')) {
      throw new RegistryError('git', `cannot write ${filePath}: index files live at most one folder deep`);
    }
    return names as [string, string | undefined];
  });
  const folderNames = new Set(parts.filter(([, name]) => name !== undefined).map(([folder]) => folder));
  // each touched folder's tree is asked for by path beside the root's, instead of after the
  // root has been read and searched; it is used only when the root names that very tree
  const folderObjects = new Map([...folderNames].map((folder) => [folder, base === null ? Promise.resolve(null) : reader.readObject(`${base}:${folder}`).catch(() => null)]));
  const [root, oids] = await Promise.all([
    base === null ? null : readTree(reader, `${base}^{tree}`),
    Promise.all(paths.map((p) => git(dir, ['hash-object', '-w', '--stdin'], { input: change.files.get(p)! }))),
  ]);
  const rootChanges = new Map<string, TreeEntry>();
  const folders = new Map<string, Map<string, TreeEntry>>();
  parts.forEach(([first, name], i) => {
    const entry = { mode: '100644', oid: oids[i]! };
    if (name === undefined) rootChanges.set(first, entry);
    else {
      if (!folders.has(first)) folders.set(first, new Map());
      folders.get(first)!.set(name, entry);
    }
  });
  const before = new Map<string, TreeEntry | null>();
  // one pass over the root finds the folders to rewrite and where their ids go
  const rootLocated = root === null ? null : locate(root, [...rootChanges.keys(), ...folders.keys()]);
  const folderTrees = await Promise.all(
    [...folders].map(async ([folder, files]) => {
      const existing = rootLocated?.entries.get(folder)?.entry;
      const asked = await folderObjects.get(folder);
      // `base` is a commit, so the tree asked for by path is the root's entry unless that read failed
      const tree = existing?.mode !== '40000' ? null : asked?.type === 'tree' && asked.oid === existing.oid ? { oid: asked.oid, body: asked.body } : await readTree(reader, existing.oid);
      return [folder, await writeTree(dir, tree, files, folder, before)] as const;
    }),
  );
  for (const [folder, oid] of folderTrees) rootChanges.set(folder, { mode: '40000', oid });
  const tree = await writeTree(dir, root, rootChanges, null, before, rootLocated ?? undefined);
  const commit = await git(dir, ['commit-tree', tree, ...(base === null ? [] : ['-p', base]), '-F', '-'], { env: identity, input: message });
  return { commit, before };
}

async function readTree(reader: BlobReader, spec: string): Promise<RawTree | null> {
  const object = await reader.readObject(spec);
  if (object === null) return null;
  if (object.type !== 'tree') throw new RegistryError('git', `${spec} is a ${object.type}, not a tree`);
  return { oid: object.oid, body: object.body };
}

function entryType(mode: string): string {
  return mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
}

/**
 * `tree` (null: none yet) with `changes` applied, written to the object store. Files'
 * previous entries go into `before` under `folder/name` (the root's under their name).
 */
async function writeTree(
  dir: string,
  tree: RawTree | null,
  changes: ReadonlyMap<string, TreeEntry>,
  folder: string | null,
  before: Map<string, TreeEntry | null>,
  located: Located | undefined = tree === null ? undefined : locate(tree, [...changes.keys()]),
): Promise<string> {
  const record = (name: string, entry: TreeEntry | undefined) => {
    if (changes.get(name)!.mode !== '40000') before.set(folder === null ? name : `${folder}/${name}`, entry ?? null);
  };
  const inPlace = tree === null || located === undefined ? null : withIds(tree, located, changes);
  if (inPlace !== null) {
    for (const name of changes.keys()) record(name, located!.entries.get(name)?.entry);
    return git(dir, ['hash-object', '-w', '-t', 'tree', '--stdin'], { input: inPlace });
  }
  const entries = tree === null ? new Map<string, TreeEntry>() : treeEntries(tree);
  for (const [name, entry] of changes) {
    record(name, entries.get(name));
    entries.set(name, entry);
  }
  const input = [...entries].map(([name, e]) => `${e.mode} ${entryType(e.mode)} ${e.oid}\t${name}\0`).join('');
  return git(dir, ['mktree', '-z'], { input });
}
