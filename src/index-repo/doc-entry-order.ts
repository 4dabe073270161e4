/**
 * The two orders doc entries are kept in, named after the Rust code they mirror: the
 * registry's `impl Ord for DocEntry` (how an index file and a publish sort the doc tree) and
 * the derived `Ord` of the API's doc entry (how `GET /v1/packages/...` lists it).
 */
import { compareUtf8 } from '../utf8-order.js';
import type { DocEntry } from './types.js';

/** `impl Ord for DocEntry`: entries with a position first, by position, then by label. */
export function compareDocEntry(a: DocEntry, b: DocEntry): number {
  if (a.position !== b.position) {
    if (a.position === undefined) return 1;
    if (b.position === undefined) return -1;
    return a.position < b.position ? -1 : 1;
  }
  return compareUtf8(a.label, b.label);
}

/**
 * The doc tree in `DocEntry` order, recursively. The registry keeps docs in a `BTreeSet`,
 * so of entries that compare equal only the first survives.
 */
export function sortDocEntries(docs: readonly DocEntry[]): DocEntry[] {
  const sorted = [...docs].sort(compareDocEntry);
  return sorted
    .filter((doc, i) => i === 0 || compareDocEntry(sorted[i - 1] as DocEntry, doc) !== 0)
    .map((doc) => ('items' in doc ? { ...doc, items: sortDocEntries(doc.items) } : doc));
}

export function isDocPage(doc: DocEntry): doc is Extract<DocEntry, { hash: string }> {
  return 'name' in doc && 'hash' in doc && typeof doc.name === 'string';
}

/**
 * `#[derive(Ord)]` of the API's doc entry, field by field: label, position (`None` first),
 * then the variant (Page before Category), then the variant's own fields.
 */
export function compareDocEntryDerived(a: DocEntry, b: DocEntry): number {
  const byLabel = compareUtf8(a.label, b.label);
  if (byLabel !== 0) return byLabel;
  const byPosition = compareOptional(a.position, b.position);
  if (byPosition !== 0) return byPosition;
  const aPage = isDocPage(a);
  const bPage = isDocPage(b);
  if (aPage !== bPage) return aPage ? -1 : 1;
  if (aPage && bPage) return compareUtf8(a.name, b.name);
  const aItems = [...('items' in a && a.items ? a.items : [])].sort(compareDocEntryDerived);
  const bItems = [...('items' in b && b.items ? b.items : [])].sort(compareDocEntryDerived);
  for (let i = 0; i < Math.min(aItems.length, bItems.length); i++) {
    const c = compareDocEntryDerived(aItems[i]!, bItems[i]!);
    if (c !== 0) return c;
  }
  if (aItems.length !== bItems.length) return aItems.length - bItems.length;
  const aCollapsed = 'collapsed' in a && a.collapsed === true ? 1 : 0;
  const bCollapsed = 'collapsed' in b && b.collapsed === true ? 1 : 0;
  return aCollapsed - bCollapsed;
}

/** Option ordering: None before Some. */
function compareOptional(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a - b;
}
