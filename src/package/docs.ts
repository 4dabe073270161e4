/**
 * The documentation tree of a package, derived from its `docs/` folder exactly as the
 * official registry does (registry/src/endpoints/publish_version.rs), quirks included:
 *
 *  - a page is every `*.md` file (suffix is case-sensitive); other files are ignored, but
 *    every folder becomes a category, even one holding no pages (e.g. `docs/images/`);
 *  - the page text is trimmed of Unicode white space (Rust's `str::trim`, which keeps a BOM),
 *    hashed (SHA-256 hex of the trimmed text) and stored gzip-compressed at the best level;
 *  - front matter is the lines between a first line `---` and the next `---`; the line right
 *    after the closing `---` is skipped too (the official iterator consumes it), so a heading
 *    there is not seen;
 *  - the label is front matter `label`, else the first non-blank line if it starts with `# `,
 *    else the file name without `.md` in convert_case 0.8 Title Case;
 *  - `position` is front matter `sidebar_position` or `position` (giving both is an error,
 *    as serde reports a duplicate field), a non-negative integer;
 *  - a folder's category is labelled by its `_category_.json` (`label`, `position` or
 *    `sidebar_position`, `collapsed`) or else its name in Title Case; a `_category_.json` at the
 *    root of `docs/` is validated and otherwise unused;
 *  - entries are ordered as the official `DocEntry` Ord: with a position before without,
 *    positions ascending, then label in byte order. They live in a BTreeSet keyed by that
 *    order, so of two entries with the same position and label only the first inserted is
 *    kept. The official insertion order is the file system's directory order, which is
 *    arbitrary; we walk each folder in byte order of names, so the first in that order wins.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, gzip as gzipCallback } from 'node:zlib';
import { RegistryError } from '../errors.js';
import type { DocEntry } from '../index-repo/types.js';
import { compareDocEntry } from '../index-repo/doc-entry-order.js';
import { compareUtf8 } from '../utf8-order.js';

const gzip = promisify(gzipCallback);

export interface BuiltDocs {
  /** sorted as the official registry writes them; a category with no items has `items: []` */
  docs: DocEntry[];
  /** hash -> gzip-compressed trimmed page text */
  pages: Map<string, Buffer>;
}

/** What front matter or `_category_.json` may say about an entry. */
interface EntryInfo {
  label?: string;
  position?: number;
  collapsed: boolean;
}

interface Folder {
  folders: Map<string, Folder>;
  files: Map<string, Buffer>;
}

const invalid = (message: string): RegistryError => new RegistryError('invalid_package', message);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `files` maps paths relative to `docs/` to contents; a key ending in `/` declares a folder
 * (so empty folders, and folders holding only ignored files, still become categories).
 */
export async function buildDocs(files: Map<string, Buffer>): Promise<BuiltDocs> {
  const root: Folder = { folders: new Map(), files: new Map() };
  for (const [key, content] of files) {
    const isFolder = key.endsWith('/');
    const parts = key.split('/').filter((part) => part !== '');
    const fileName = isFolder ? undefined : parts.pop();
    let folder = root;
    for (const part of parts) {
      let child = folder.folders.get(part);
      if (!child) {
        child = { folders: new Map(), files: new Map() };
        folder.folders.set(part, child);
      }
      folder = child;
    }
    if (fileName !== undefined) folder.files.set(fileName, content);
  }
  const pages = new Map<string, Buffer>();
  const { entries } = await walk(root, '', pages);
  return { docs: entries, pages };
}

async function walk(folder: Folder, prefix: string, pages: Map<string, Buffer>): Promise<{ entries: DocEntry[]; info?: EntryInfo }> {
  const set = new DocEntrySet();
  let info: EntryInfo | undefined;
  const names = [...new Set([...folder.folders.keys(), ...folder.files.keys()])].sort(compareUtf8);
  for (const name of names) {
    const sub = folder.folders.get(name);
    if (sub) {
      const child = await walk(sub, `${prefix}${name}/`, pages);
      set.insert({
        label: child.info?.label ?? titleCase(name),
        ...(child.info?.position === undefined ? {} : { position: child.info.position }),
        items: child.entries,
        ...(child.info?.collapsed ? { collapsed: true } : {}),
      });
      continue;
    }
    const content = folder.files.get(name) as Buffer;
    const path = `${prefix}${name}`;
    if (name === '_category_.json') {
      info = parseCategoryFile(content, path);
    } else if (name.endsWith('.md')) {
      set.insert(await page(content, path, name.slice(0, -'.md'.length), pages));
    }
  }
  return info ? { entries: set.sorted(), info } : { entries: set.sorted() };
}

async function page(content: Buffer, path: string, stem: string, pages: Map<string, Buffer>): Promise<DocEntry> {
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    throw invalid(`docs/${path} is not valid UTF-8: save it as UTF-8`);
  }
  const trimmed = rustTrim(text);
  const hash = createHash('sha256').update(trimmed, 'utf8').digest('hex');
  pages.set(hash, await gzip(Buffer.from(trimmed, 'utf8'), { level: constants.Z_BEST_COMPRESSION }));
  const { frontMatter, heading } = splitPage(trimmed);
  const info = await parseFrontMatter(frontMatter, path);
  return {
    label: info.label ?? heading ?? titleCase(stem),
    ...(info.position === undefined ? {} : { position: info.position }),
    // Rust's `with_extension("")`: a file named just `.md` has no extension to strip.
    name: stem === '' ? path : path.slice(0, -'.md'.length),
    hash,
  };
}

/** Unicode White_Space, which Rust's `trim` removes; unlike JS `trim`, U+FEFF is not in it. */
function isRustWhitespace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/**
 * A loop, not a `\s+$` regular expression: that one retries from every position of a run
 * of white space that is not at the end, which is quadratic (a page holding 20,000 spaces
 * before its last word took a third of a second, a mebibyte of them hours).
 */
function rustTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isRustWhitespace(text.charCodeAt(start))) start++;
  while (end > start && isRustWhitespace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Front matter and first heading, walking the lines as the official iterator does: one at a
 * time, as far as the heading (splitting a page of megabytes into all its lines first would
 * hold the event loop for tens of ms).
 */
function splitPage(content: string): { frontMatter: string; heading?: string } {
  // Rust's `lines()`: split on \n, drop one \r before it; trimmed text has no final newline.
  let at = content === '' ? 1 : 0;
  const nextLine = (): string | undefined => {
    if (at > content.length) return undefined;
    const newline = content.indexOf('\n', at);
    const end = newline < 0 ? content.length : newline;
    const line = content.slice(at, end > at && content.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    at = end + 1;
    return line;
  };
  let frontMatter = '';
  let line = nextLine();
  if (line === '---') {
    const collected: string[] = [];
    for (line = nextLine(); line !== undefined && line !== '---'; line = nextLine()) collected.push(line);
    // The official code skips one more line after the closing `---`.
    nextLine();
    frontMatter = collected.join('\n');
    line = nextLine();
  }
  for (; line !== undefined; line = nextLine()) {
    if (rustTrim(line) === '') continue;
    return line.startsWith('# ') ? { frontMatter, heading: line.slice(2) } : { frontMatter };
  }
  return { frontMatter };
}

/** Front matter is a few lines; a YAML parse is synchronous, so a long one would hold the event loop. */
export const MAX_FRONT_MATTER_CHARS = 64 * 1024;

async function parseFrontMatter(text: string, path: string): Promise<EntryInfo> {
  // most pages have no front matter; the YAML parser loads only for those that do
  if (text === '') return { collapsed: false };
  const where = `docs/${path}: front matter`;
  if (text.length > MAX_FRONT_MATTER_CHARS) {
    throw invalid(`${where} is ${text.length} characters, more than the limit of ${MAX_FRONT_MATTER_CHARS}: shorten it`);
  }
  const { isMap, isScalar, parseDocument } = await import('yaml');
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const detail = (doc.errors[0]?.message ?? '').split('\n')[0];
    throw invalid(`${where} is not valid YAML (${detail}): fix it or remove it`);
  }
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { collapsed: false };
  if (!isMap(contents)) throw invalid(`${where} must be a mapping such as "label: Intro": fix it or remove it`);
  const fields: Record<string, unknown> = {};
  for (const pair of contents.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== 'string' || !INFO_KEYS.includes(key)) continue;
    const value = pair.value;
    if (!isScalar(value)) {
      fields[key] = value === null ? null : Symbol('not a scalar');
    } else if (key === 'label' && value.value !== null && typeof value.value !== 'string') {
      // serde_yaml reads any plain scalar as text when a string is asked for: `label: 1.50`
      // is "1.50", not 1.5.
      fields[key] = value.source ?? String(value.value);
    } else {
      fields[key] = value.value;
    }
  }
  return entryInfo(fields, where);
}

function parseCategoryFile(content: Buffer, path: string): EntryInfo {
  const where = `docs/${path}`;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(content));
  } catch (error) {
    throw invalid(`${where} is not valid JSON (${error instanceof Error ? error.message : String(error)}): fix it`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${where} must be a JSON object such as {"label": "Guides", "position": 2}: fix it`);
  }
  return entryInfo(value as Record<string, unknown>, where);
}

const INFO_KEYS = ['label', 'sidebar_position', 'position', 'collapsed'];

/** The official `DocEntryInfo` deserialisation: unknown keys ignored, types strict. */
function entryInfo(fields: Record<string, unknown>, where: string): EntryInfo {
  const info: EntryInfo = { collapsed: false };
  const label = fields.label;
  if (label !== undefined && label !== null) {
    if (typeof label !== 'string') throw invalid(`${where}: label must be text: fix it`);
    info.label = label;
  }
  if (fields.sidebar_position !== undefined && fields.position !== undefined) {
    throw invalid(`${where}: gives both sidebar_position and position: keep one`);
  }
  const position = fields.sidebar_position ?? fields.position;
  if (position !== undefined && position !== null) {
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
      throw invalid(`${where}: position must be a whole number of at least 0, found ${String(position)}: fix it`);
    }
    info.position = position;
  }
  const collapsed = fields.collapsed;
  if (collapsed !== undefined) {
    if (typeof collapsed !== 'boolean') throw invalid(`${where}: collapsed must be true or false: fix it`);
    info.collapsed = collapsed;
  }
  return info;
}

/**
 * A BTreeSet<DocEntry>: an entry equal in order to one already present is dropped. Two
 * entries are equal in that order when they have the same position (or none) and label, so
 * that pair is the key: a folder of thousands of pages costs no comparison per insert.
 */
class DocEntrySet {
  private readonly entries = new Map<string, DocEntry>();

  insert(entry: DocEntry): void {
    const key = `${entry.position ?? ''}\0${entry.label}`;
    if (!this.entries.has(key)) this.entries.set(key, entry);
  }

  sorted(): DocEntry[] {
    return [...this.entries.values()].sort(compareDocEntry);
  }
}

// made on first use: building a Segmenter loads ICU's break data (~13 ms), which a publish
// without docs, and every CLI command that merely imports this module, should not pay
let segmenter: Intl.Segmenter | undefined;
const graphemes = (s: string): string[] => {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(s), (part) => part.segment);
};

const hasCase = (g: string): boolean => g.toUpperCase() !== g.toLowerCase();
const isUpper = (g: string | undefined): boolean => g !== undefined && hasCase(g) && g === g.toUpperCase();
const isLower = (g: string | undefined): boolean => g !== undefined && hasCase(g) && g === g.toLowerCase();
const isDigit = (g: string | undefined): boolean => g !== undefined && /^[0-9]+$/.test(g);

/**
 * convert_case 0.8's default word boundaries, in its order: each is tested at a grapheme
 * position and says where the split starts (relative to it) and how many graphemes it eats.
 */
const BOUNDARIES: ReadonlyArray<{ test: (g: string[], i: number) => boolean; start: number; length: number }> = [
  { test: (g, i) => g[i] === '_', start: 0, length: 1 },
  { test: (g, i) => g[i] === '-', start: 0, length: 1 },
  { test: (g, i) => g[i] === ' ', start: 0, length: 1 },
  { test: (g, i) => isLower(g[i]) && isUpper(g[i + 1]), start: 1, length: 0 },
  { test: (g, i) => isLower(g[i]) && isDigit(g[i + 1]), start: 1, length: 0 },
  { test: (g, i) => isUpper(g[i]) && isDigit(g[i + 1]), start: 1, length: 0 },
  { test: (g, i) => isDigit(g[i]) && isLower(g[i + 1]), start: 1, length: 0 },
  { test: (g, i) => isDigit(g[i]) && isUpper(g[i + 1]), start: 1, length: 0 },
  { test: (g, i) => isUpper(g[i]) && isUpper(g[i + 1]) && isLower(g[i + 2]), start: 1, length: 0 },
];

/**
 * `s.to_case(Case::Title)` of convert_case 0.8: split into words at the default
 * boundaries, then each word gets its first grapheme upper-cased and the rest lower-cased,
 * joined by spaces (`getting-started` -> `Getting Started`, `FAQ` -> `Faq`, `v2` -> `V 2`).
 */
export function titleCase(s: string): string {
  const g = graphemes(s);
  const words: string[] = [];
  let lastEnd = 0;
  for (let i = 0; i < g.length; i++) {
    const boundary = BOUNDARIES.find((b) => b.test(g, i));
    if (!boundary) continue;
    const start = Math.min(i + boundary.start, g.length);
    words.push(g.slice(lastEnd, start).join(''));
    lastEnd = Math.min(start + boundary.length, g.length);
  }
  words.push(g.slice(lastEnd).join(''));
  return words
    .filter((word) => word !== '')
    .map((word) => {
      const [first = '', ...rest] = graphemes(word);
      return first.toUpperCase() + rest.join('').toLowerCase();
    })
    .join(' ');
}
