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
/** Distinct parameters remembered per kind (parsed once, they cost a lookup): at most a few MiB even of the longest. */
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

/** Parsed once per distinct segment; the parsed forms are shared between requests, so they are frozen. */
function remembered<T extends object>(parse: (raw: string) => T): (raw: string) => Readonly<T> {
  return memoize((raw) => Object.freeze(parse(raw)), REMEMBERED_PARAMS, MAX_SEGMENT_LENGTH);
}

export const nameParam = remembered((raw): PackageName => badRequestOnInvalid(() => parsePackageName(decodeSegment(raw, 'package name'))));

export const versionParam = remembered((raw): VersionParam => {
  const text = decodeSegment(raw, 'version');
  if (text.toLowerCase() === 'latest') return { kind: 'latest' };
  return { kind: 'specific', version: badRequestOnInvalid(() => parseVersion(text)) };
});

/** A version without the `latest` keyword (yank names one exact version). */
export function exactVersionParam(raw: string): string {
  return badRequestOnInvalid(() => parseVersion(decodeSegment(raw, 'version')));
}

export const targetParam = remembered((raw): TargetParam => {
  const text = decodeSegment(raw, 'target');
  if (text.toLowerCase() === 'any') return { kind: 'any' };
  return { kind: 'specific', target: badRequestOnInvalid(() => parseTargetKind(text)) };
});

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
