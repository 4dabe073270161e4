/**
 * Semantic versions exactly as the Rust `semver` crate (which the client and the official
 * registry use) parses and orders them. Its rules differ from the npm `semver` package in
 * ways that matter for index files: build metadata takes part in ordering (and equality),
 * numeric build identifiers may have leading zeros, and nothing is ever coerced.
 */
import { RegistryError } from '../errors.js';
import { compareTargetKinds, parseTargetKind } from './names.js';
import type { VersionId } from './types.js';

export interface SemVer {
  /** u64 in Rust, so bigint here */
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** dot-separated identifiers, '' when none */
  readonly pre: string;
  readonly build: string;
}

/** Where a parse error happened, in the words of the Rust crate's messages. */
export type SemverPosition = 'major' | 'minor' | 'patch' | 'pre' | 'build';

export const SEMVER_POSITION_TEXT: Record<SemverPosition, string> = {
  major: 'major version number',
  minor: 'minor version number',
  patch: 'patch version number',
  pre: 'pre-release identifier',
  build: 'build metadata',
};

/** A parse failure inside a version; callers turn it into a message naming the whole input. */
export class SemverSyntaxError extends Error {
  constructor(readonly problem: string) {
    super(problem);
  }
}

const U64_MAX = 2n ** 64n - 1n;

/** The first character of `text`, quoted as Rust's messages quote it. */
export const describeChar = (text: string): string => `'${String.fromCodePoint(text.codePointAt(0) ?? 0)}'`;

/**
 * Reads a u64 at the start of `text`, without leading zeros; returns it and the rest.
 * Shared with version requirements, which use the same grammar for their numbers.
 */
export function scanNumber(text: string, position: SemverPosition): [bigint, string] {
  let length = 0;
  while (length < text.length && text.charCodeAt(length) >= 48 && text.charCodeAt(length) <= 57) {
    if (length === 1 && text[0] === '0') {
      throw new SemverSyntaxError(`invalid leading zero in ${SEMVER_POSITION_TEXT[position]}`);
    }
    length++;
  }
  if (length === 0) {
    throw new SemverSyntaxError(
      text.length === 0
        ? `unexpected end of input while parsing ${SEMVER_POSITION_TEXT[position]}`
        : `unexpected character ${describeChar(text)} while parsing ${SEMVER_POSITION_TEXT[position]}`,
    );
  }
  const value = BigInt(text.slice(0, length));
  if (value > U64_MAX) {
    throw new SemverSyntaxError(`value of ${SEMVER_POSITION_TEXT[position]} exceeds u64::MAX`);
  }
  return [value, text.slice(length)];
}

/**
 * Reads dot-separated identifiers of [0-9A-Za-z-]; returns them ('' when there are none)
 * and the rest. Pre-release numeric identifiers may not have leading zeros; build ones may.
 */
export function scanIdentifiers(text: string, position: 'pre' | 'build'): [string, string] {
  let end = 0;
  for (;;) {
    const start = end;
    let nonDigit = false;
    while (end < text.length && /[0-9A-Za-z-]/.test(text[end] as string)) {
      if (!/[0-9]/.test(text[end] as string)) nonDigit = true;
      end++;
    }
    if (end === start) {
      if (start === 0 && text[0] !== '.') return ['', text];
      throw new SemverSyntaxError(`empty identifier segment in ${SEMVER_POSITION_TEXT[position]}`);
    }
    if (position === 'pre' && !nonDigit && end - start > 1 && text[start] === '0') {
      throw new SemverSyntaxError(`invalid leading zero in ${SEMVER_POSITION_TEXT[position]}`);
    }
    if (text[end] !== '.') return [text.slice(0, end), text.slice(end)];
    end++;
  }
}

function requireDot(text: string, position: SemverPosition): string {
  if (text.startsWith('.')) return text.slice(1);
  throw new SemverSyntaxError(
    text.length === 0
      ? `unexpected end of input while parsing ${SEMVER_POSITION_TEXT[position]}`
      : `unexpected character ${describeChar(text)} after ${SEMVER_POSITION_TEXT[position]}`,
  );
}

function parseSemverOrThrowSyntax(s: string): SemVer {
  if (s.length === 0) throw new SemverSyntaxError('empty string, expected a semver version');
  const [major, afterMajor] = scanNumber(s, 'major');
  const [minor, afterMinor] = scanNumber(requireDot(afterMajor, 'major'), 'minor');
  let [patch, rest] = scanNumber(requireDot(afterMinor, 'minor'), 'patch');
  let position: SemverPosition = 'patch';
  let pre = '';
  let build = '';
  if (rest.startsWith('-')) {
    position = 'pre';
    [pre, rest] = scanIdentifiers(rest.slice(1), 'pre');
    if (pre === '') throw new SemverSyntaxError('empty identifier segment in pre-release identifier');
  }
  if (rest.startsWith('+')) {
    position = 'build';
    [build, rest] = scanIdentifiers(rest.slice(1), 'build');
    if (build === '') throw new SemverSyntaxError('empty identifier segment in build metadata');
  }
  if (rest.length > 0) {
    throw new SemverSyntaxError(`unexpected character ${describeChar(rest)} after ${SEMVER_POSITION_TEXT[position]}`);
  }
  return { major, minor, patch, pre, build };
}

export function parseSemver(s: string): SemVer {
  try {
    return parseSemverOrThrowSyntax(s);
  } catch (error) {
    if (error instanceof SemverSyntaxError) {
      throw new RegistryError(
        'invalid_input',
        `invalid version "${s}": ${error.problem} (expected MAJOR.MINOR.PATCH with optional -PRERELEASE and +BUILD, e.g. 1.2.0-rc.1)`,
      );
    }
    throw error;
  }
}

/** Validates and returns the canonical text, which for a strict grammar is the input itself. */
export function parseVersion(s: string): string {
  parseSemver(s);
  return s;
}

export function isPrerelease(version: string): boolean {
  return parseSemver(version).pre !== '';
}

const isNumeric = (identifier: string): boolean => /^[0-9]*$/.test(identifier);
const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const compareBigints = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** Pre-release precedence; a release ('') ranks above every pre-release. */
export function comparePrerelease(a: string, b: string): number {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? 1 : -1;
  return compareIdentifierLists(a.split('.'), b.split('.'), (x, y) =>
    // Pre-release numbers have no leading zeros, so the longer one is the larger.
    sign(x.length - y.length) || compareStrings(x, y),
  );
}

/**
 * Rust semver's tie-break on build metadata: none ranks lowest; numbers compare by value,
 * then the one with fewer leading zeros first (0 < 00 < 1 < 01 < 2 < 10).
 */
export function compareBuild(a: string, b: string): number {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? -1 : 1;
  return compareIdentifierLists(a.split('.'), b.split('.'), (x, y) => {
    const xValue = x.replace(/^0+/, '');
    const yValue = y.replace(/^0+/, '');
    return sign(xValue.length - yValue.length) || compareStrings(xValue, yValue) || sign(x.length - y.length);
  });
}

/** Numeric identifiers rank below alphanumeric ones; a proper prefix ranks first. */
function compareIdentifierLists(a: string[], b: string[], compareNumeric: (x: string, y: string) => number): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i];
    if (y === undefined) return 1;
    const xNumeric = isNumeric(x);
    const yNumeric = isNumeric(y);
    const order = xNumeric && yNumeric ? compareNumeric(x, y) : xNumeric ? -1 : yNumeric ? 1 : compareStrings(x, y);
    if (order !== 0) return order;
  }
  return a.length < b.length ? -1 : 0;
}

export function compareSemver(a: SemVer, b: SemVer): number {
  // the scan shares one parse among the entries of a version (one per target): those compare by reference
  if (a === b) return 0;
  return (
    compareBigints(a.major, b.major) ||
    compareBigints(a.minor, b.minor) ||
    compareBigints(a.patch, b.patch) ||
    comparePrerelease(a.pre, b.pre) ||
    compareBuild(a.build, b.build)
  );
}

/** Total order of Rust's `Version: Ord`: 0 only for identical versions (build metadata included). */
export function compareVersions(a: string, b: string): number {
  return compareSemver(parseSemver(a), parseSemver(b));
}

/** `"<version> <target kind>"`, the key of an entry in an index file. */
export function parseVersionId(s: string): VersionId {
  const space = s.indexOf(' ');
  if (space === -1) {
    throw new RegistryError('invalid_input', `invalid version id "${s}": expected "<version> <target>", e.g. "1.0.0 luau"`);
  }
  return { version: parseVersion(s.slice(0, space)), target: parseTargetKind(s.slice(space + 1)) };
}

export function formatVersionId(id: VersionId): string {
  return `${id.version} ${id.target}`;
}

/** The order of entries in an index file: version precedence, then target kind order. */
export function compareVersionIds(a: VersionId, b: VersionId): number {
  return compareVersions(a.version, b.version) || compareTargetKinds(a.target, b.target);
}
