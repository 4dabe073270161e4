/**
 * parseSemver with a shortcut for the common case, a plain `MAJOR.MINOR.PATCH`: a full
 * load meets a quarter of a million versions, and the general parser's care for
 * pre-release and build identifiers (and its u64 range) costs most of what it spends.
 * The result is the one parseSemver gives; anything else goes to parseSemver itself.
 */
import { parseSemver, type SemVer } from '../index-repo/version.js';

export function semverOf(version: string): SemVer {
  const major = plainNumber(version, 0);
  if (major === null || version.charCodeAt(major.end) !== 0x2e) return parseSemver(version);
  const minor = plainNumber(version, major.end + 1);
  if (minor === null || version.charCodeAt(minor.end) !== 0x2e) return parseSemver(version);
  const patch = plainNumber(version, minor.end + 1);
  if (patch === null || patch.end !== version.length) return parseSemver(version);
  return { major: BigInt(major.value), minor: BigInt(minor.value), patch: BigInt(patch.value), pre: '', build: '' };
}

/** Digits at `start` without a leading zero, few enough (15) to be exact as a double; null otherwise. */
function plainNumber(text: string, start: number): { value: number; end: number } | null {
  let value = 0;
  let i = start;
  for (; i < text.length && i - start < 16; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  const length = i - start;
  if (length === 0 || length > 15 || (length > 1 && text.charCodeAt(start) === 0x30)) return null;
  return { value, end: i };
}
