/** Characters from a surrogate up, the only ones where UTF-16 order and code point order differ. */
const ABOVE_SURROGATES = /[\uD800-\uFFFF]/;

/**
 * Rust's `String: Ord` (what every `BTreeMap`/`BTreeSet` of the official registry and client
 * sorts by): the byte order of the UTF-8 encoding, which is code point order. JavaScript's
 * `<` compares UTF-16 units, which differs only from the surrogates up.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  // below U+D800, UTF-16 units are code points: the built-in order is the right one, and cheap
  if (!ABOVE_SURROGATES.test(a) && !ABOVE_SURROGATES.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The client's `Alias: Ord`: both sides lower-cased, then `String` order. */
export function compareAliases(a: string, b: string): number {
  return compareUtf8(a.toLowerCase(), b.toLowerCase());
}
