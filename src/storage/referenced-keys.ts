/**
 * Which stored objects an index names at one commit: every entry's archive, README and doc
 * pages, yanked entries included (a yanked version stays downloadable). `gc` deletes only
 * what is outside this set and `storage copy` copies what is inside it, so both read the
 * index the same way `verify` checks it.
 */
import { RegistryError, errorMessage } from '../errors.js';
import { CONFIG_FILE } from '../index-repo/config.js';
import { parsePackageName } from '../index-repo/names.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import { BlobReader, listTree } from '../index-repo/tree-reader.js';
import type { DocEntry, IndexEntry, PackageName, VersionId } from '../index-repo/types.js';
import { DOC_DIR, archiveKey, docKey, readmeKey, versionDirOfKey } from './keys.js';

/** Blob reads kept in flight at once: enough to hide the pipe round trip, bounded for memory. */
const READ_WINDOW = 256;

export interface EntryKeys {
  archive: string;
  readme: string;
  /** one key per distinct doc page hash */
  docs: string[];
}

export function entryKeys(name: PackageName, id: VersionId, entry: IndexEntry): EntryKeys {
  const hashes = new Set<string>();
  collectDocHashes(entry.docs, hashes);
  return { archive: archiveKey(name, id), readme: readmeKey(name, id), docs: [...hashes].map(docKey) };
}

function collectDocHashes(docs: readonly DocEntry[] | undefined, into: Set<string>): void {
  for (const doc of docs ?? []) {
    if ('hash' in doc) into.add(doc.hash);
    else collectDocHashes(doc.items, into);
  }
}

export interface IndexReferences {
  commit: string;
  packages: number;
  versions: number;
  /** archive and doc keys: objects every entry must have */
  required: Set<string>;
  /** README keys: an entry may have none */
  optional: Set<string>;
}

/**
 * Every key the index at `commit` names. A package file that does not parse fails the whole
 * read: its references would be unknown, and a `gc` that guessed could delete live objects.
 */
export async function readIndexReferences(dir: string, commit: string): Promise<IndexReferences> {
  const files = await listTree(dir, commit);
  if (!files.some((f) => f.path === CONFIG_FILE)) {
    throw new RegistryError('usage', `${dir} at ${commit.slice(0, 12)} has no ${CONFIG_FILE}: is it an index (pesde-registry init)?`);
  }
  const packageFiles = files.filter((f) => {
    const parts = f.path.split('/');
    return parts.length === 2 && !parts[0]!.startsWith('.') && parts[1] !== 'scope.toml' && f.path !== CONFIG_FILE;
  });
  const refs: IndexReferences = { commit, packages: 0, versions: 0, required: new Set(), optional: new Set() };
  const reader = BlobReader.open(dir);
  try {
    for (let start = 0; start < packageFiles.length; start += READ_WINDOW) {
      const window = packageFiles.slice(start, start + READ_WINDOW);
      const texts = await Promise.all(window.map((f) => reader.readText(f.oid)));
      window.forEach((f, i) => addPackageFile(f.path, texts[i] ?? '', refs));
    }
  } finally {
    reader.close();
  }
  return refs;
}

function addPackageFile(filePath: string, text: string, refs: IndexReferences): void {
  let name: PackageName;
  let entries;
  try {
    name = parsePackageName(filePath);
    entries = parseIndexFile(text, filePath).entries;
  } catch (error) {
    throw new RegistryError('verify_failed', `cannot tell which objects ${filePath} references: ${errorMessage(error)} (fix it; \`pesde-registry verify\` lists every problem)`);
  }
  refs.packages++;
  for (const { id, entry } of entries) {
    refs.versions++;
    const keys = entryKeys(name, id, entry);
    refs.required.add(keys.archive);
    refs.optional.add(keys.readme);
    for (const key of keys.docs) refs.required.add(key);
  }
}

/** Whether a key has the shape of the storage layout (protocol section 6); others are not ours. */
export function isLayoutKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length === 2) return parts[0] === DOC_DIR && /^[0-9a-f]+\.gz$/i.test(parts[1]!);
  return versionDirOfKey(key) !== null;
}
