/**
 * Path segments of the package routes, decoded and validated the way the official
 * registry's extractors do (`request_path.rs`): `{name}` arrives as one percent-encoded
 * segment (`scope%2Fname`), `{version}` is a semver or `latest`, `{target}` a kind or `any`
 * (`all` for yank), keywords case-insensitive. Anything malformed is a 400, never a lookup.
 */
import { isRegistryError } from '../errors.js';
import { parsePackageName, parseTargetKind } from '../index-repo/names.js';
import type { PackageName, TargetKind } from '../index-repo/types.js';
import { parseVersion } from '../index-repo/version.js';
import { HttpError } from './http-error.js';
import { memoize } from './memo.js';

/** Longer than any valid name, version or target; keeps error messages and work bounded. */
const MAX_SEGMENT_LENGTH = 256;
/** Distinct parameters remembered per kind (parsed once, they cost a lookup): a few hundred KiB at most. */
const REMEMBERED_PARAMS = 4096;

export type VersionParam = { kind: 'latest' } | { kind: 'specific'; version: string };
export type TargetParam = { kind: 'any' } | { kind: 'specific'; target: TargetKind };
export type YankTargetParam = TargetKind | 'all';

export function decodeSegment(raw: string, what: string): string {
  if (raw.length > MAX_SEGMENT_LENGTH) throw new HttpError(400, `${what} is too long`);
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `${what} is not valid percent-encoded UTF-8`);
  }
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw new HttpError(400, `${what} contains control characters`);
  return decoded;
}

// the parsed forms are shared between requests, so they are frozen
export const nameParam: (raw: string) => PackageName = memoize(
  (raw) => Object.freeze(badRequestOnInvalid(() => parsePackageName(decodeSegment(raw, 'package name')))),
  REMEMBERED_PARAMS,
  MAX_SEGMENT_LENGTH,
);

export const versionParam: (raw: string) => VersionParam = memoize(
  (raw) => {
    const text = decodeSegment(raw, 'version');
    if (text.toLowerCase() === 'latest') return Object.freeze({ kind: 'latest' });
    return Object.freeze({ kind: 'specific', version: badRequestOnInvalid(() => parseVersion(text)) });
  },
  REMEMBERED_PARAMS,
  MAX_SEGMENT_LENGTH,
);

/** A version without the `latest` keyword (yank names one exact version). */
export function exactVersionParam(raw: string): string {
  return badRequestOnInvalid(() => parseVersion(decodeSegment(raw, 'version')));
}

export const targetParam: (raw: string) => TargetParam = memoize(
  (raw) => {
    const text = decodeSegment(raw, 'target');
    if (text.toLowerCase() === 'any') return Object.freeze({ kind: 'any' });
    return Object.freeze({ kind: 'specific', target: badRequestOnInvalid(() => parseTargetKind(text)) });
  },
  REMEMBERED_PARAMS,
  MAX_SEGMENT_LENGTH,
);

export function yankTargetParam(raw: string): YankTargetParam {
  const text = decodeSegment(raw, 'target');
  if (text.toLowerCase() === 'all') return 'all';
  return badRequestOnInvalid(() => parseTargetKind(text));
}

function badRequestOnInvalid<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isRegistryError(error) && error.kind === 'invalid_input') throw new HttpError(400, error.message);
    throw error;
  }
}
