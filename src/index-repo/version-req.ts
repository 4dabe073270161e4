/**
 * Version requirements in the syntax of Rust's `semver::VersionReq`. Index files store a
 * requirement as that type prints itself after parsing (`1.2.3` is written `^1.2.3`,
 * `>=1.0,<2.0` is written `>=1.0, <2.0`), so writing what `parseVersionReq` returns keeps
 * our files byte-identical to the official registry's.
 */
import { RegistryError } from '../errors.js';
import {
  comparePrerelease,
  describeChar,
  parseSemver,
  scanIdentifiers,
  scanNumber,
  SEMVER_POSITION_TEXT,
  SemverSyntaxError,
} from './version.js';
import type { SemVer, SemverPosition } from './version.js';

type Op = '=' | '>' | '>=' | '<' | '<=' | '~' | '^' | '*';

interface Comparator {
  op: Op;
  major: bigint;
  minor?: bigint;
  patch?: bigint;
  /** '' when none; build metadata is accepted and dropped, as Rust does */
  pre: string;
}

/** Rust's limit; deeper requirements are refused rather than silently truncated. */
const MAX_COMPARATORS = 32;

const OPS: ReadonlyArray<[string, Op]> = [
  ['>=', '>='],
  ['<=', '<='],
  ['=', '='],
  ['>', '>'],
  ['<', '<'],
  ['~', '~'],
  ['^', '^'],
];

const trimSpaces = (s: string): string => s.replace(/^ +/, '');

/** `*`, `x` and `X` all mean "any"; returns the rest after one of them. */
function stripWildcard(text: string): [string, string] | undefined {
  const ch = text[0];
  return ch === '*' || ch === 'x' || ch === 'X' ? [ch, text.slice(1)] : undefined;
}

function parseComparator(input: string): [Comparator, SemverPosition, string] {
  const found = OPS.find(([prefix]) => input.startsWith(prefix));
  let op: Op | undefined = found?.[1];
  let text = trimSpaces(found === undefined ? input : input.slice(found[0].length));
  const defaultOp = op === undefined;

  let position: SemverPosition = 'major';
  let major: bigint;
  [major, text] = scanNumber(text, position);

  let minor: bigint | undefined;
  let minorWildcard = false;
  if (text.startsWith('.')) {
    position = 'minor';
    const wildcard = stripWildcard(text.slice(1));
    if (wildcard !== undefined) {
      minorWildcard = true;
      if (defaultOp) op = '*';
      text = wildcard[1];
    } else {
      [minor, text] = scanNumber(text.slice(1), position);
    }
  }

  let patch: bigint | undefined;
  if (text.startsWith('.')) {
    position = 'patch';
    const wildcard = stripWildcard(text.slice(1));
    if (wildcard !== undefined) {
      if (defaultOp) op = '*';
      text = wildcard[1];
    } else if (minorWildcard) {
      throw new SemverSyntaxError('unexpected character after wildcard in version req');
    } else {
      [patch, text] = scanNumber(text.slice(1), position);
    }
  }

  let pre = '';
  if (patch !== undefined && text.startsWith('-')) {
    position = 'pre';
    [pre, text] = scanIdentifiers(text.slice(1), 'pre');
    if (pre === '') throw new SemverSyntaxError('empty identifier segment in pre-release identifier');
  }
  if (patch !== undefined && text.startsWith('+')) {
    position = 'build';
    let build: string;
    [build, text] = scanIdentifiers(text.slice(1), 'build');
    if (build === '') throw new SemverSyntaxError('empty identifier segment in build metadata');
  }

  const comparator: Comparator = { op: op ?? '^', major, pre };
  if (minor !== undefined) comparator.minor = minor;
  if (patch !== undefined) comparator.patch = patch;
  return [comparator, position, trimSpaces(text)];
}

/** An empty list is the requirement `*`. */
function parseComparators(s: string): Comparator[] {
  let text = trimSpaces(s);
  const leadingWildcard = stripWildcard(text);
  if (leadingWildcard !== undefined) {
    const rest = trimSpaces(leadingWildcard[1]);
    if (rest === '') return [];
    throw new SemverSyntaxError(
      rest.startsWith(',')
        ? `wildcard req (${leadingWildcard[0]}) must be the only comparator in the version req`
        : 'unexpected character after wildcard in version req',
    );
  }

  const comparators: Comparator[] = [];
  for (;;) {
    let parsed: [Comparator, SemverPosition, string];
    try {
      parsed = parseComparator(text);
    } catch (error) {
      const wildcard = stripWildcard(text);
      if (error instanceof SemverSyntaxError && wildcard !== undefined) {
        const rest = trimSpaces(wildcard[1]);
        if (rest === '' || rest.startsWith(',')) {
          throw new SemverSyntaxError(`wildcard req (${wildcard[0]}) must be the only comparator in the version req`);
        }
      }
      throw error;
    }
    const [comparator, position, rest] = parsed;
    comparators.push(comparator);
    if (rest === '') return comparators;
    if (!rest.startsWith(',')) {
      throw new SemverSyntaxError(`expected comma after ${SEMVER_POSITION_TEXT[position]}, found ${describeChar(rest)}`);
    }
    if (comparators.length === MAX_COMPARATORS) {
      throw new SemverSyntaxError('excessive number of version comparators');
    }
    text = trimSpaces(rest.slice(1));
  }
}

function formatComparator(c: Comparator): string {
  let text = `${c.op === '*' ? '' : c.op}${c.major}`;
  if (c.minor === undefined) return c.op === '*' ? `${text}.*` : text;
  text += `.${c.minor}`;
  if (c.patch === undefined) return c.op === '*' ? `${text}.*` : text;
  text += `.${c.patch}`;
  return c.pre === '' ? text : `${text}-${c.pre}`;
}

function parseOrThrow(s: string): Comparator[] {
  try {
    return parseComparators(s);
  } catch (error) {
    if (error instanceof SemverSyntaxError) {
      throw new RegistryError(
        'invalid_input',
        `invalid version requirement "${s}": ${error.problem} (expected comparators separated by commas, e.g. ^1.2.3 or >=1.0, <2.0)`,
      );
    }
    throw error;
  }
}

/** Validates a requirement and returns it as Rust's `VersionReq` prints it. */
export function parseVersionReq(s: string): string {
  const comparators = parseOrThrow(s);
  return comparators.length === 0 ? '*' : comparators.map(formatComparator).join(', ');
}

/**
 * Rust's `VersionReq::matches`: every comparator must match, and a pre-release version
 * only matches when some comparator names a pre-release of the same major.minor.patch.
 * (pesde additionally lets `*` match everything, pre-releases included; that is the
 * caller's decision.)
 */
export function versionReqMatches(req: string, version: string): boolean {
  const comparators = parseOrThrow(req);
  const v = parseSemver(version);
  if (!comparators.every((c) => comparatorMatches(c, v))) return false;
  if (v.pre === '') return true;
  return comparators.some((c) => c.major === v.major && c.minor === v.minor && c.patch === v.patch && c.pre !== '');
}

function comparatorMatches(c: Comparator, v: SemVer): boolean {
  switch (c.op) {
    case '=':
    case '*':
      return matchesExact(c, v);
    case '>':
      return matchesGreater(c, v);
    case '>=':
      return matchesExact(c, v) || matchesGreater(c, v);
    case '<':
      return matchesLess(c, v);
    case '<=':
      return matchesExact(c, v) || matchesLess(c, v);
    case '~':
      return matchesTilde(c, v);
    case '^':
      return matchesCaret(c, v);
  }
}

function matchesExact(c: Comparator, v: SemVer): boolean {
  return (
    v.major === c.major &&
    (c.minor === undefined || v.minor === c.minor) &&
    (c.patch === undefined || v.patch === c.patch) &&
    v.pre === c.pre
  );
}

/** Whether v is above c; a missing minor or patch makes the comparator cover all of them. */
function matchesGreater(c: Comparator, v: SemVer): boolean {
  if (v.major !== c.major) return v.major > c.major;
  if (c.minor === undefined) return false;
  if (v.minor !== c.minor) return v.minor > c.minor;
  if (c.patch === undefined) return false;
  if (v.patch !== c.patch) return v.patch > c.patch;
  return comparePrerelease(v.pre, c.pre) > 0;
}

function matchesLess(c: Comparator, v: SemVer): boolean {
  if (v.major !== c.major) return v.major < c.major;
  if (c.minor === undefined) return false;
  if (v.minor !== c.minor) return v.minor < c.minor;
  if (c.patch === undefined) return false;
  if (v.patch !== c.patch) return v.patch < c.patch;
  return comparePrerelease(v.pre, c.pre) < 0;
}

function matchesTilde(c: Comparator, v: SemVer): boolean {
  if (v.major !== c.major) return false;
  if (c.minor !== undefined && v.minor !== c.minor) return false;
  if (c.patch !== undefined && v.patch !== c.patch) return v.patch > c.patch;
  return comparePrerelease(v.pre, c.pre) >= 0;
}

/** Compatible updates: the left-most non-zero component may not change. */
function matchesCaret(c: Comparator, v: SemVer): boolean {
  if (v.major !== c.major) return false;
  if (c.minor === undefined) return true;
  if (c.patch === undefined) return c.major > 0n ? v.minor >= c.minor : v.minor === c.minor;
  if (c.major > 0n) {
    if (v.minor !== c.minor) return v.minor > c.minor;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (c.minor > 0n) {
    if (v.minor !== c.minor) return false;
    if (v.patch !== c.patch) return v.patch > c.patch;
  } else if (v.minor !== c.minor || v.patch !== c.patch) {
    return false;
  }
  return comparePrerelease(v.pre, c.pre) >= 0;
}
