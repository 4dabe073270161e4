/**
 * A git tree object in its raw form (`<mode> <name>\0<raw id>` per entry, in git's order),
 * as `cat-file --batch` hands it over. An index's root tree has an entry per scope (5,000
 * for a 50,000-package index); a write changes one of them, so rather than turning every
 * entry into text for `git mktree` and back, the changed ids are written over the old ones
 * in place. That gives exactly the bytes mktree would write, as long as the tree is in
 * git's own form (canonical modes, sorted): `spliced` checks that and says null otherwise.
 */

export interface TreeEntry {
  /** as git writes it in a tree: `100644`, `40000` (a folder), ... */
  mode: string;
  oid: string;
}

export interface RawTree {
  oid: string;
  body: Buffer;
}

interface Located {
  entry: TreeEntry;
  /** where the raw id starts in the body */
  idAt: number;
}

/** The modes git itself writes; anything else (e.g. a zero-padded `040000`) is rewritten by mktree. */
const CANONICAL_MODES = new Set(['100644', '100755', '120000', '40000', '160000']);

function idBytes(tree: RawTree): number {
  // raw ids are as long as the tree's own (SHA-1 or SHA-256 repositories)
  return tree.oid.length / 2;
}

/** Calls `each` for every entry, in order; throws on a malformed tree. */
function walk(tree: RawTree, each: (mode: string, name: Buffer, idAt: number) => void): void {
  const { body } = tree;
  const length = idBytes(tree);
  for (let at = 0; at < body.length; ) {
    const space = body.indexOf(0x20, at);
    const nul = space < 0 ? -1 : body.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 1 + length > body.length) throw new Error(`tree ${tree.oid} is malformed`);
    each(body.toString('latin1', at, space), body.subarray(space + 1, nul), nul + 1);
    at = nul + 1 + length;
  }
}

export function treeEntries(tree: RawTree): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  walk(tree, (mode, name, idAt) => entries.set(name.toString('utf8'), { mode, oid: tree.body.toString('hex', idAt, idAt + idBytes(tree)) }));
  return entries;
}

/** One entry by name, without decoding the others. */
export function findEntry(tree: RawTree, name: string): TreeEntry | undefined {
  const wanted = Buffer.from(name, 'utf8');
  let found: TreeEntry | undefined;
  walk(tree, (mode, entryName, idAt) => {
    if (found === undefined && entryName.equals(wanted)) found = { mode, oid: tree.body.toString('hex', idAt, idAt + idBytes(tree)) };
  });
  return found;
}

/** git's order of tree entries: by name bytes, a folder's name as if it ended in `/`. */
function compareNames(a: Buffer, aTree: boolean, b: Buffer, bTree: boolean): number {
  const common = Math.min(a.length, b.length);
  const head = a.subarray(0, common).compare(b.subarray(0, common));
  if (head !== 0) return head;
  const next = (name: Buffer, tree: boolean) => (name.length > common ? name[common]! : tree ? 0x2f : 0);
  return next(a, aTree) - next(b, bTree);
}

/**
 * The tree with the ids of `changes` (by name) replaced, and each changed name's old entry;
 * null when a name is missing, its mode would change, or the tree is not in git's own form,
 * so the caller builds it with mktree instead.
 */
export function spliced(tree: RawTree, changes: ReadonlyMap<string, TreeEntry>): { body: Buffer; old: Map<string, TreeEntry> } | null {
  const wanted = new Map([...changes.keys()].map((name) => [Buffer.from(name, 'utf8').toString('latin1'), name]));
  const found = new Map<string, Located>();
  let canonical = true;
  let previous: { name: Buffer; tree: boolean } | undefined;
  walk(tree, (mode, name, idAt) => {
    const isTree = mode === '40000';
    if (!CANONICAL_MODES.has(mode) || (previous !== undefined && compareNames(previous.name, previous.tree, name, isTree) >= 0)) canonical = false;
    previous = { name, tree: isTree };
    const changed = wanted.get(name.toString('latin1'));
    if (changed !== undefined) found.set(changed, { entry: { mode, oid: tree.body.toString('hex', idAt, idAt + idBytes(tree)) }, idAt });
  });
  if (!canonical || found.size !== changes.size) return null;
  const body = Buffer.from(tree.body);
  const old = new Map<string, TreeEntry>();
  for (const [name, next] of changes) {
    const { entry, idAt } = found.get(name)!;
    if (entry.mode !== next.mode || next.oid.length !== tree.oid.length) return null;
    body.write(next.oid, idAt, 'hex');
    old.set(name, entry);
  }
  return { body, old };
}
