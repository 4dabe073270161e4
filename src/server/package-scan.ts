/**
 * A fast read of the few fields the server keeps of every package (each entry's version
 * id, yanked flag, publication time and description, and the deprecation reason) without
 * parsing the whole file: a full parse of 50,000 files costs seconds at start-up (measured
 * with `bench:startup --quick` on a loaded machine: ready in 110 s and 350 MB resident with
 * the full parser at load, 36-47 s and 180 MB with this scan, same run). Its agreement with
 * the parser, and what the server does with a file only the parser finds broken, are tested
 * in test/unit/package-scan.test.ts.
 *
 * It reads only the layout the official registry writes (and `serializeIndexFile`
 * reproduces): one `key = value` per line, headers `["<id>"]`, `["<id>".<table>]` and
 * `[["<id>".<array>]]`, no multi-line strings, no comments, plain keys with single-line
 * values in an entry's own table. Anything else returns null and the caller parses the file
 * in full, so the scan never guesses. Lines inside an entry's sub-tables are only checked to
 * be `key = ...` lines; one there that looks like a header could only be an element of a
 * multi-line array, and the line closing that array is one the scan refuses.
 *
 * The scan does not validate what it does not read: a file that looks right but holds,
 * say, a malformed dependency is found out when a request parses it in full.
 *
 * It reads the blob's bytes rather than its text, and positions in them rather than lines
 * cut out of them: at start-up it reads every line of the index, and each allocation there
 * is paid 50,000 times over. The few strings it returns are decoded from the bytes, so
 * none is a view that would keep a file's text in memory.
 */
import { matchesAt, sameRanges } from '../byte-ranges.js';
import { isRealUtcSecond } from '../published-at.js';
import { parseTargetKind } from '../index-repo/names.js';
import { TARGET_KINDS, type TargetKind, type VersionId } from '../index-repo/types.js';
import type { SemVer } from '../index-repo/version.js';
import { semverOf } from './quick-semver.js';

export interface ScannedEntry {
  id: VersionId;
  semver: SemVer;
  yanked: boolean;
  /** normalised as parseIndexFile normalises it */
  publishedAt: string;
  description: string | undefined;
}

export interface ScannedSection {
  /** the version of the entry the section belongs to; null for `[meta]` */
  version: string | null;
  /** where its header starts, in bytes */
  start: number;
}

export interface ScannedFile {
  deprecated: string | undefined;
  /** in file order */
  entries: ScannedEntry[];
  /**
   * Where each run of sections of one version starts (a new run at each change of version),
   * in file order: a version's text is one span when it has one run.
   */
  sections: ScannedSection[];
}

/**
 * An entry id as the headers of files write it, shared by every file that has it (see
 * knownIds), with what the scan under way has met of it: no map per file is built.
 */
interface KnownId {
  id: VersionId;
  semver: SemVer;
  /** the scan that last met it */
  scan: number;
  /** its entry in that scan, once its own table's header has been seen */
  entry: EntryFields | undefined;
}

/** An entry's fields as its lines are read; one shape for all, which V8 handles fastest. */
interface EntryFields {
  yanked: boolean | undefined;
  publishedAt: string | undefined;
  description: string | undefined;
}

const ROOT = 0;
const META_SECTION = 1;
const ENTRY = 2;
const SUB = 3;

/** escapes JSON decodes exactly as TOML does; `\U`, `\e`, `\x` and `\/` are left to the full parse */
const JSON_SAFE_ESCAPES = /\\(?:[^btnfr"\\u]|u[dD][89a-fA-F])/;

const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const DOT = 0x2e;

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const TRIPLE_QUOTE = ascii('"""');
const TRIPLE_APOSTROPHE = ascii("'''");
const META = ascii('[meta]');
const DEPRECATED = ascii('deprecated = ');
const PUBLISHED_AT = ascii('published_at = ');
const DESCRIPTION = ascii('description = ');
const YANKED = ascii('yanked = ');
const TRUE = ascii('true');
const FALSE = ascii('false');
const LICENSE = ascii('license = ');
const REPOSITORY = ascii('repository = ');
const AUTHORS = ascii('authors = ');

/** Numbers the scans, so a KnownId can tell whether the scan under way has met it. */
let scans = 0;
/** the last description the scan under way decoded, and where its value is in the file */
let lastDescription: string | undefined;
let lastDescriptionStart = 0;
let lastDescriptionEnd = 0;

/** The summary fields of an index file, or null when it is not in the layout the scan reads. */
export function scanIndexFile(text: Buffer): ScannedFile | null {
  try {
    return scanFile(text);
  } finally {
    // ids met by a scan must stay the same objects until it ends: the cache is emptied between
    // scans, when one (a file of many ids) has grown it past its bound
    if (knownIds.size > KNOWN_IDS) {
      knownIds.clear();
      knownVersions.clear();
    }
  }
}

function scanFile(text: Buffer): ScannedFile | null {
  if (text.indexOf(TRIPLE_QUOTE) >= 0 || text.indexOf(TRIPLE_APOSTROPHE) >= 0) return null;
  const scan = ++scans;
  lastDescription = undefined;
  let distinct = 0;
  const entries: KnownId[] = [];
  const sections: ScannedSection[] = [];
  let deprecated: string | undefined;
  let section = ROOT;
  let current: EntryFields | undefined;
  let seenMeta = false;
  // sub-tables follow their entry's own table: most headers name the id the previous one did
  let last: KnownId | undefined;
  let lastStart = 0;
  let lastEnd = 0;
  let pos = 0;
  const length = text.length;
  while (pos < length) {
    let end = text.indexOf(0x0a, pos);
    if (end < 0) end = length;
    const start = pos;
    pos = end + 1;
    if (end === start) continue;
    const first = text[start]!;

    if (first === OPEN) {
      if (end - start === 6 && matchesAt(text, start, META)) {
        if (seenMeta) return null;
        seenMeta = true;
        section = META_SECTION;
        sections.push({ version: null, start });
        continue;
      }
      const kind = readHeader(text, start, end);
      if (kind === NOT_A_HEADER) return null;
      let known: KnownId;
      if (last !== undefined && sameRanges(text, lastStart, lastEnd, headerKeyStart, headerKeyEnd)) {
        known = last;
      } else {
        // ids are ASCII when valid; one that is not fails to parse, whatever the decoding
        const found = versionId(text.toString('latin1', headerKeyStart, headerKeyEnd));
        if (found === null) return null;
        known = found;
        if (known.scan !== scan) {
          known.scan = scan;
          known.entry = undefined;
          distinct++;
        }
        last = known;
        lastStart = headerKeyStart;
        lastEnd = headerKeyEnd;
      }
      // sections are kept as runs of one version: all a version's text span needs
      const version = known.id.version;
      if (sections.length === 0 || sections[sections.length - 1]!.version !== version) sections.push({ version, start });
      if (kind === SUB_HEADER) {
        section = SUB;
        continue;
      }
      if (known.entry !== undefined) return null;
      known.entry = current = { yanked: undefined, publishedAt: undefined, description: undefined };
      entries.push(known);
      section = ENTRY;
      continue;
    }

    if (section === SUB) {
      // Values in sub-tables are not read. A line there that looks like a header could only be
      // an element of a multi-line array, and the next line would then start with `,` or `]`
      // (or a comment, or be indented): every line must start like a key, which rules that out.
      if (!isBareKeyChar(first) && first !== QUOTE) return null;
    } else if (section === ENTRY) {
      if (!readEntryField(current!, text, start, end)) return null;
    } else if (section === META_SECTION) {
      if (deprecated !== undefined || !matchesAt(text, start, DEPRECATED)) return null;
      const reason = readString(text, start + DEPRECATED.length, end);
      if (reason === null) return null;
      deprecated = reason;
    } else {
      return null;
    }
  }

  // a sub-table without its entry's own table is an entry without published_at: the full parse says so
  if (distinct !== entries.length) return null;
  const complete: ScannedEntry[] = [];
  for (const { id, semver, entry } of entries) {
    if (entry!.publishedAt === undefined) return null;
    complete.push({ id, semver, yanked: entry!.yanked ?? false, publishedAt: entry!.publishedAt, description: entry!.description });
  }
  return { deprecated: deprecated === '' ? undefined : deprecated, entries: complete, sections };
}

const NOT_A_HEADER = 0;
const ENTRY_HEADER = 1;
const SUB_HEADER = 2;
/** where the key of the header readHeader last accepted is: no object per header (a full load reads 800,000) */
let headerKeyStart = 0;
let headerKeyEnd = 0;

/**
 * `["<key>"]` (an entry's own table), `["<key>".…]` or `[["<key>".…]]` (a sub-table of it).
 * The key is not checked here: the version id parser refuses anything else. What follows
 * it in a sub-table header is not read either: only the entry it belongs to matters.
 */
function readHeader(text: Buffer, start: number, end: number): number {
  let i = start + 1;
  const array = text[i] === OPEN;
  if (array) i++;
  if (text[i] !== QUOTE) return NOT_A_HEADER;
  const keyStart = i + 1;
  const keyEnd = text.indexOf(QUOTE, keyStart);
  if (keyEnd < 0 || keyEnd >= end || keyEnd === keyStart) return NOT_A_HEADER;
  headerKeyStart = keyStart;
  headerKeyEnd = keyEnd;
  const after = text[keyEnd + 1];
  if (after === CLOSE && !array) return end === keyEnd + 2 ? ENTRY_HEADER : NOT_A_HEADER;
  if (after !== DOT || text[end - 1] !== CLOSE || (array && text[end - 2] !== CLOSE)) return NOT_A_HEADER;
  return SUB_HEADER;
}

function isBareKeyChar(c: number): boolean {
  // A-Z a-z 0-9 _ -
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
}

/** The fields of an entry's own table that the scan keeps or accepts; false for anything else. */
function readEntryField(entry: EntryFields, text: Buffer, start: number, end: number): boolean {
  switch (text[start]) {
    case 0x70 /* p */: {
      if (entry.publishedAt !== undefined || !matchesAt(text, start, PUBLISHED_AT)) return false;
      const at = readTimestamp(text, start + PUBLISHED_AT.length, end);
      if (at === null) return false;
      entry.publishedAt = at;
      return true;
    }
    case 0x64 /* d */: {
      if (entry.description !== undefined || !matchesAt(text, start, DESCRIPTION)) return false;
      const at = start + DESCRIPTION.length;
      // the versions of a package mostly say the same: the same bytes read before give the same string
      if (lastDescription !== undefined && sameRanges(text, lastDescriptionStart, lastDescriptionEnd, at, end)) {
        entry.description = lastDescription;
        return true;
      }
      const description = readString(text, at, end);
      if (description === null) return false;
      entry.description = lastDescription = description;
      lastDescriptionStart = at;
      lastDescriptionEnd = end;
      return true;
    }
    case 0x79 /* y */: {
      if (entry.yanked !== undefined || !matchesAt(text, start, YANKED)) return false;
      const at = start + YANKED.length;
      const value = end - at === 4 && matchesAt(text, at, TRUE) ? true : end - at === 5 && matchesAt(text, at, FALSE) ? false : undefined;
      if (value === undefined) return false;
      entry.yanked = value;
      return true;
    }
    // values not kept need not be read: one spanning lines (a multi-line array) would have
    // continuation lines, and those are not lines of a known key
    case 0x6c /* l */:
      return matchesAt(text, start, LICENSE);
    case 0x72 /* r */:
      return matchesAt(text, start, REPOSITORY);
    case 0x61 /* a */:
      return matchesAt(text, start, AUTHORS);
    default:
      return false;
  }
}

/**
 * Header keys met lately and what they parse to: versions recur across packages (`0.1.0
 * luau` is in thousands of files), and a lookup costs far less than a parse and the
 * allocations it makes, which start-up would pay for every entry of the index.
 */
const knownIds = new Map<string, KnownId | null>();
const KNOWN_IDS = 8192;
/**
 * The versions of those ids: the entries of one version (one per target) then share their
 * version and its parse, so comparing them is a comparison of references.
 */
const knownVersions = new Map<string, { version: string; semver: SemVer }>();

/** The entry id in a header (ids and versions are never changed by their users, so they are shared). */
function versionId(key: string): KnownId | null {
  let known = knownIds.get(key);
  if (known === undefined) {
    known = parseVersionIdKey(key);
    knownIds.set(key, known);
  }
  return known;
}

function parseVersionIdKey(key: string): KnownId | null {
  const space = key.indexOf(' ');
  if (space < 0) return null;
  try {
    // parseVersionId's rules: a version (semverOf validates it as parseVersion does), one space, a target kind
    const text = key.slice(0, space);
    let version = knownVersions.get(text);
    if (version === undefined) {
      version = { version: text, semver: semverOf(text) };
      knownVersions.set(text, version);
    }
    const target: TargetKind = parseTargetKind(key.slice(space + 1));
    // the shared constant, not a view of the file text
    return { id: { version: version.version, target: TARGET_KINDS[TARGET_KINDS.indexOf(target)]! }, semver: version.semver, scan: 0, entry: undefined };
  } catch {
    return null;
  }
}

/** The shape of a one-line string value (whether it has escapes), or null when it is not one the scan reads. */
function stringShape(text: Buffer, start: number, end: number): { escapes: boolean } | null {
  if (end - start < 2) return null;
  const quote = text[start];
  if ((quote !== QUOTE && quote !== APOSTROPHE) || text[end - 1] !== quote) return null;
  let escapes = false;
  for (let k = start + 1; k < end - 1; k++) {
    const c = text[k]!;
    // TOML strings may hold tabs, no other control character (bytes of other characters are >= 0x80)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === quote) return null;
    if (c === BACKSLASH && quote === QUOTE) {
      escapes = true;
      k++;
      if (k >= end - 1 || text[k]! < 0x20) return null;
    }
  }
  return { escapes };
}

/** A one-line TOML string's value, or null for one the full parse should judge. */
function readString(text: Buffer, start: number, end: number): string | null {
  const shape = stringShape(text, start, end);
  if (shape === null) return null;
  // quotes are ASCII, so decoding between them gives exactly the characters decoding the whole file would
  const content = text.toString('utf8', start + 1, end - 1);
  if (!shape.escapes) return content;
  // JSON forbids the raw tabs TOML allows
  if (JSON_SAFE_ESCAPES.test(content) || content.includes('\t')) return null;
  try {
    return JSON.parse(`"${content}"`) as string;
  } catch {
    return null;
  }
}

/**
 * published_at as parseIndexFile normalises it (UTC, `Z`, fraction without trailing zeros),
 * for the form the registry writes, `"YYYY-MM-DDTHH:MM:SS[.fraction]Z"`; null for any other
 * form, which the full parse handles.
 */
function readTimestamp(text: Buffer, start: number, end: number): string | null {
  // "2024-01-02T03:04:05Z" is 22 characters with its quotes; a fraction adds 2 to 10
  const span = end - start;
  if (span < 22 || span > 32 || text[start] !== QUOTE || text[end - 1] !== QUOTE || text[end - 2] !== 0x5a /* Z */) return null;
  const d = start + 1;
  const year = digits(text, d, 4);
  const month = digits(text, d + 5, 2);
  const day = digits(text, d + 8, 2);
  const hour = digits(text, d + 11, 2);
  const minute = digits(text, d + 14, 2);
  const second = digits(text, d + 17, 2);
  if (
    year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
    text[d + 4] !== 0x2d || text[d + 7] !== 0x2d || text[d + 10] !== 0x54 /* T */ ||
    text[d + 13] !== 0x3a || text[d + 16] !== 0x3a
  ) {
    return null;
  }
  // the validity test parseIndexFile makes
  if (!isRealUtcSecond(year, month, day, hour, minute, second)) return null;
  let last = end - 2;
  if (last > d + 19) {
    // a fraction: `.` and one to nine digits
    if (text[d + 19] !== DOT || last - (d + 20) < 1 || last - (d + 20) > 9 || digits(text, d + 20, last - (d + 20)) < 0) return null;
    while (text[last - 1] === 0x30 /* 0 */) last--;
    if (last === d + 20) last = d + 19;
  } else if (last !== d + 19) {
    return null;
  }
  // nearly always nothing is cut: the text is the value up to its `Z`, one string and not two
  return last === end - 2 ? text.toString('latin1', d, end - 1) : `${text.toString('latin1', d, last)}Z`;
}

/** The number written with `count` digits at `at`, or -1. */
function digits(text: Buffer, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text[i]! - 0x30;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

