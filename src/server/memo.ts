/**
 * Remembering the answers of a pure function of a short string: the same few names,
 * versions and Accept headers arrive on request after request, and parsing them again is
 * what a cached answer would otherwise spend its time on. Only answers are kept (a call that
 * throws throws again next time), keys longer than `maxKeyLength` are never kept, and past
 * `maxEntries` the memory starts afresh, so no stream of distinct keys can make it grow.
 */
export function memoize<T>(compute: (key: string) => T, maxEntries: number, maxKeyLength: number): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    const hit = known.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key);
    if (key.length <= maxKeyLength) {
      if (known.size >= maxEntries) known.clear();
      known.set(key, value);
    }
    return value;
  };
}
