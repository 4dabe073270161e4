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

export interface TreeEntry {
  /** as git writes it in a tree: `100644`, `40000` (a folder), ... */
  mode: string;
  oid: string;
}

export interface BuiltCommit {
  commit: string;
  /** each changed path as the base commit had it (null: a new package, a new scope) */
  before: Map<string, TreeEntry | null>;
}

export async function buildCommit(dir: string, reader: BlobReader, base: string | null, change: IndexChange, message: string, identity: Record<string, string>): Promise<BuiltCommit> {
  const folders = new Map<string, Map<string, string>>();
  const rootFiles = new Map<string, string>();
  const paths = [...change.files.keys()];
  for (const filePath of paths) {
    const parts = filePath.split('/');
    if (parts.length > 2 || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new RegistryError('git', `cannot write ${filePath}: index files live at most one folder deep`);
    }
  }
  const [root, oids] = await Promise.all([
    base === null ? new Map<string, TreeEntry>() : readTree(reader, `${base}^{tree}`),
    Promise.all(paths.map((p) => git(dir, ['hash-object', '-w', '--stdin'], { input: change.files.get(p)! }))),
  ]);
  paths.forEach((filePath, i) => {
    const [first, name] = filePath.split('/') as [string, string | undefined];
    if (name === undefined) rootFiles.set(first, oids[i]!);
    else {
      if (!folders.has(first)) folders.set(first, new Map());
      folders.get(first)!.set(name, oids[i]!);
    }
  });
  const before = new Map<string, TreeEntry | null>();
  for (const [name, oid] of rootFiles) {
    before.set(name, root.get(name) ?? null);
    root.set(name, { mode: '100644', oid });
  }
  const folderTrees = await Promise.all(
    [...folders].map(async ([folder, files]) => {
      const existing = root.get(folder);
      const entries = existing?.mode === '40000' ? await readTree(reader, existing.oid) : new Map<string, TreeEntry>();
      for (const [name, oid] of files) {
        before.set(`${folder}/${name}`, entries.get(name) ?? null);
        entries.set(name, { mode: '100644', oid });
      }
      return [folder, await writeTree(dir, entries)] as const;
    }),
  );
  for (const [folder, oid] of folderTrees) root.set(folder, { mode: '40000', oid });
  const tree = await writeTree(dir, root);
  const commit = await git(dir, ['commit-tree', tree, ...(base === null ? [] : ['-p', base]), '-F', '-'], { env: identity, input: message });
  return { commit, before };
}

/** The entries of a tree object (`<mode> <name>\0<raw id>` each); a missing one is empty. */
async function readTree(reader: BlobReader, spec: string): Promise<Map<string, TreeEntry>> {
  const entries = new Map<string, TreeEntry>();
  const object = await reader.readObject(spec);
  if (object === null) return entries;
  if (object.type !== 'tree') throw new RegistryError('git', `${spec} is a ${object.type}, not a tree`);
  // the raw ids are as long as the tree's own (SHA-1 or SHA-256 repositories)
  const idBytes = object.oid.length / 2;
  const body = object.body;
  for (let at = 0; at < body.length; ) {
    const space = body.indexOf(0x20, at);
    const nul = body.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > body.length) throw new RegistryError('git', `tree ${object.oid} is malformed`);
    const mode = body.toString('latin1', at, space);
    const name = body.toString('utf8', space + 1, nul);
    entries.set(name, { mode, oid: body.toString('hex', nul + 1, nul + 1 + idBytes) });
    at = nul + 1 + idBytes;
  }
  return entries;
}

function entryType(mode: string): string {
  return mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
}

async function writeTree(dir: string, entries: Map<string, TreeEntry>): Promise<string> {
  const input = [...entries].map(([name, e]) => `${e.mode} ${entryType(e.mode)} ${e.oid}\t${name}\0`).join('');
  return git(dir, ['mktree', '-z'], { input });
}
