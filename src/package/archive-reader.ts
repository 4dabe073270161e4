/**
 * Reads an uploaded package archive (gzip-compressed tar) in memory, treating every byte as
 * hostile until checked. Nothing is written to disk: the stream is decompressed chunk by
 * chunk and stopped the moment a limit is passed, so a gzip bomb costs at most the limit.
 *
 * Tar headers are decoded with `tar`'s `Header`, but the block loop is our own rather than
 * `tar.Parser`, because the checks below need what the Parser hides: the raw ustar size next
 * to a pax `size`, the position of the end-of-archive marker, and pax records byte for byte.
 * Those are exactly where tar readers disagree, and the pesde client extracts with
 * `tokio-tar`: an archive that reads one way here and another way there could smuggle
 * entries we never checked (tokio-tar's "TARmageddon", CVE-2025-62518). So every ambiguity is
 * refused:
 *  - a pax `size` that differs from the header's own size field;
 *  - two pax headers, or two GNU long names, for one entry; a pax path and a GNU long name
 *    together; GNU sparse records;
 *  - a directory header that carries data (tar-rs skips it, others do not);
 *  - anything but zeros after the first all-zero block (tar-rs stops at that block; other
 *    readers wait for a second one and go on reading entries after a lone one);
 *  - a malformed size field (tar-rs refuses what lenient octal parsers accept).
 * Entry names must be UTF-8 without control characters, relative, free of `..` and `\`,
 * and unique after normalising (`./a//b` is `a/b`); only regular files and directories are
 * accepted. The official registry checks less (UTF-8 only at the root and in docs/), but
 * no archive `pesde publish` makes breaks these rules.
 * Trailing zero padding (after the tar end, or after the gzip stream) is accepted: GNU tar
 * pads archives to 10 KiB records. Non-zero bytes after the gzip stream are refused.
 * A multi-member gzip is read as one stream (RFC 1952); the official client reads only the
 * first member, so a tar split across members would install truncated, never with entries
 * we did not check, since we read a superset.
 */
import { createGunzip } from 'node:zlib';
import { Header } from 'tar/header';
import { RegistryError } from '../errors.js';

export interface ArchiveLimits {
  /** files and directories, not counting tar's own meta headers */
  maxEntries: number;
  /** bytes of the decompressed tar stream (contents, headers and padding) */
  maxUnpackedBytes: number;
  /** bytes of one file */
  maxFileBytes: number;
  /** UTF-8 bytes of one entry path */
  maxPathBytes: number;
  /** bytes of the root `pesde.toml` */
  maxManifestBytes: number;
  /** bytes of a root README */
  maxReadmeBytes: number;
  /** bytes of one `docs/` page or `_category_.json` */
  maxDocPageBytes: number;
  /** bytes of every kept file together (manifest, READMEs, docs) */
  maxKeptBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxEntries: 10_000,
  maxUnpackedBytes: 256 * MiB,
  maxFileBytes: 128 * MiB,
  maxPathBytes: 1024,
  // the kept files are held in memory, decoded, hashed and compressed: real ones are a few
  // KiB (a long README some hundreds), so these caps refuse only what no person writes
  maxManifestBytes: 1 * MiB,
  maxReadmeBytes: 4 * MiB,
  maxDocPageBytes: 4 * MiB,
  maxKeptBytes: 16 * MiB,
});

export type ArchiveEntryType = 'file' | 'directory';

export interface ArchiveEntry {
  /** normalised: `/`-separated, no `.` segments, no leading or trailing `/` */
  path: string;
  type: ArchiveEntryType;
  size: number;
}

export interface ArchiveContents {
  /** every file and directory, in archive order */
  entries: ArchiveEntry[];
  /** contents of the files later steps read (see `isKeptPath`), by normalised path */
  files: Map<string, Buffer>;
  /** size of the decompressed tar stream */
  unpackedBytes: number;
}

const README_NAME = /^readme(\.(md|txt))?$/i;

/**
 * The only files whose contents are kept: the root manifest, root README candidates and the
 * Markdown pages and `_category_.json` files under `docs/`. Everything else is only listed.
 */
export function isKeptPath(path: string): boolean {
  if (path === 'pesde.toml') return true;
  const slash = path.lastIndexOf('/');
  if (slash === -1) return README_NAME.test(path);
  if (!path.startsWith('docs/')) return false;
  const base = path.slice(slash + 1);
  return base.endsWith('.md') || base === '_category_.json';
}

export async function readArchive(input: Buffer, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<ArchiveContents> {
  if (input.length === 0) throw invalid('archive is empty: upload the .tar.gz that pesde publish makes');
  if (input.length < 2 || input[0] !== 0x1f || input[1] !== 0x8b) {
    throw invalid('archive is not gzip-compressed: upload a .tar.gz as pesde publish makes it');
  }
  const reader = new TarReader(limits);
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  // The whole input is queued at once, but zlib only inflates as fast as we consume its
  // output (backpressure), so leaving the loop early stops the decompression.
  gunzip.end(input);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) reader.push(chunk);
  } catch (error) {
    gunzip.destroy();
    if (error instanceof RegistryError) throw error;
    throw gzipError(error);
  }
  return reader.finish();
}

function gzipError(error: unknown): RegistryError {
  const code = (error as { code?: unknown }).code;
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'Z_BUF_ERROR') {
    return invalid('archive is truncated: the gzip stream ends early; upload the complete file');
  }
  // zlib says this only of a member that does not start with the gzip magic; the first one
  // was checked above, so these are bytes after the stream (Node reads them as a new member).
  if (detail === 'incorrect header check') {
    return invalid('archive has data after the end of its gzip stream: upload the .tar.gz exactly as pesde publish makes it');
  }
  return invalid(`archive is not valid gzip data (${detail}): upload a .tar.gz as pesde publish makes it`);
}

const invalid = (message: string): RegistryError => new RegistryError('invalid_package', message);

const BLOCK = 512;
/** pax and GNU long-name bodies; real ones are a few hundred bytes */
const MAX_META_BYTES = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Where the bytes of the current body go once complete. */
type BodyTarget =
  | { kind: 'skip' }
  | { kind: 'keep'; path: string; chunks: Buffer[] }
  | { kind: 'meta'; type: 'x' | 'g' | 'L' | 'K'; chunks: Buffer[] };

type State =
  | { kind: 'header' }
  | { kind: 'body'; remaining: number; padding: number; target: BodyTarget; label: string }
  | { kind: 'padding'; remaining: number }
  | { kind: 'end' };

/** Extended attributes announced for the next entry. */
interface Pending {
  pax?: { path?: string; size?: number };
  longPath?: string;
  longLink?: boolean;
}

class TarReader {
  private state: State = { kind: 'header' };
  private carry: Buffer | undefined;
  private pending: Pending = {};
  private headers = 0;
  private unpacked = 0;
  private declaredBytes = 0;
  private keptBytes = 0;
  private readonly entries: ArchiveEntry[] = [];
  private readonly kept = new Map<string, Buffer>();
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();
  private readonly impliedDirs = new Set<string>();

  constructor(private readonly limits: ArchiveLimits) {}

  push(chunk: Buffer): void {
    this.unpacked += chunk.length;
    if (this.unpacked > this.limits.maxUnpackedBytes) {
      throw invalid(`archive unpacks to more than ${this.limits.maxUnpackedBytes} bytes: remove large or unneeded files from the package`);
    }
    let data = chunk;
    if (this.carry) {
      data = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let offset = 0;
    while (offset < data.length) {
      const state = this.state;
      switch (state.kind) {
        case 'end':
          if (!isZero(data, offset, data.length)) {
            throw invalid('archive has data after its end-of-archive marker: upload the .tar.gz exactly as pesde publish makes it');
          }
          offset = data.length;
          break;
        case 'padding': {
          const n = Math.min(state.remaining, data.length - offset);
          state.remaining -= n;
          offset += n;
          if (state.remaining === 0) this.state = { kind: 'header' };
          break;
        }
        case 'body': {
          const n = Math.min(state.remaining, data.length - offset);
          // Copied so a small kept file does not pin a whole 64 KiB chunk.
          if (state.target.kind !== 'skip') state.target.chunks.push(Buffer.from(data.subarray(offset, offset + n)));
          state.remaining -= n;
          offset += n;
          if (state.remaining === 0) {
            this.state = state.padding > 0 ? { kind: 'padding', remaining: state.padding } : { kind: 'header' };
            this.finishBody(state.target);
          }
          break;
        }
        case 'header':
          if (data.length - offset < BLOCK) {
            this.carry = Buffer.from(data.subarray(offset));
            offset = data.length;
          } else {
            this.header(data.subarray(offset, offset + BLOCK));
            offset += BLOCK;
          }
          break;
      }
    }
  }

  finish(): ArchiveContents {
    const state = this.state;
    if (this.headers === 0 && state.kind !== 'end') {
      throw invalid(
        this.unpacked === 0
          ? 'archive is empty: upload the .tar.gz that pesde publish makes'
          : 'archive is not a tar archive: upload a .tar.gz as pesde publish makes it',
      );
    }
    if (state.kind === 'body' || state.kind === 'padding' || this.carry !== undefined) {
      const what = state.kind === 'body' ? ` inside ${state.label}` : '';
      throw invalid(`archive is truncated${what}: upload the complete file`);
    }
    if (this.pending.pax || this.pending.longPath !== undefined || this.pending.longLink) {
      throw invalid('archive is truncated: it ends with an extended header but no entry; upload the complete file');
    }
    return { entries: this.entries, files: this.kept, unpackedBytes: this.unpacked };
  }

  private header(block: Buffer): void {
    if (isZero(block, 0, BLOCK)) {
      this.state = { kind: 'end' };
      return;
    }
    const header = new Header(block);
    if (!header.cksumValid) {
      throw invalid(
        this.headers === 0
          ? 'archive is not a tar archive (no valid tar header at the start): upload a .tar.gz as pesde publish makes it'
          : `archive has a corrupt tar header after entry ${this.headers}: upload the file again`,
      );
    }
    this.headers++;
    const size = readSize(block);
    // 0x00 is the pre-POSIX regular file.
    const type = block[156] === 0 ? '0' : String.fromCharCode(block[156] as number);
    if (size === undefined) {
      throw invalid(`archive has a tar header with an invalid size field (entry ${this.headers}): rebuild the archive with pesde publish`);
    }
    switch (type) {
      case 'x':
      case 'g':
      case 'L':
      case 'K':
        this.metaHeader(type, size);
        return;
      default:
        this.entryHeader(type, size, header);
    }
  }

  private metaHeader(type: 'x' | 'g' | 'L' | 'K', size: number): void {
    const repeated =
      (type === 'x' && this.pending.pax) ||
      (type === 'L' && this.pending.longPath !== undefined) ||
      (type === 'K' && this.pending.longLink);
    if (repeated) {
      throw invalid(`archive has two ${type === 'x' ? 'pax' : 'GNU long-name'} headers for one entry: tar readers disagree on such archives; rebuild it with pesde publish`);
    }
    if (size > MAX_META_BYTES) {
      throw invalid(`archive has a ${size}-byte extended tar header, more than ${MAX_META_BYTES}: rebuild the archive with pesde publish`);
    }
    this.startBody(size, { kind: 'meta', type, chunks: [] }, 'an extended header');
  }

  private entryHeader(type: string, size: number, header: Header): void {
    const pending = this.pending;
    this.pending = {};
    if (pending.pax?.path !== undefined && pending.longPath !== undefined) {
      throw invalid('archive gives one entry both a pax path and a GNU long name: tar readers disagree on such archives; rebuild it with pesde publish');
    }
    const rawPath = pending.pax?.path ?? pending.longPath ?? header.path ?? '';
    const shown = JSON.stringify(rawPath);
    if (pending.pax?.size !== undefined && pending.pax.size !== size) {
      throw invalid(`archive entry ${shown} has a pax size (${pending.pax.size}) that differs from its header size (${size}): tar readers disagree on such archives; rebuild it with pesde publish`);
    }
    switch (type) {
      case '0':
      case '7':
        break;
      case '5':
        if (size !== 0) {
          throw invalid(`archive directory entry ${shown} carries ${size} bytes of data: tar readers disagree on such archives; rebuild it with pesde publish`);
        }
        break;
      case '1':
        throw invalid(`archive contains a hard link ${shown}: pack real files only`);
      case '2':
        throw invalid(`archive contains a symbolic link ${shown}: pack real files only`);
      case '3':
      case '4':
        throw invalid(`archive contains a device file ${shown}: pack regular files only`);
      case '6':
        throw invalid(`archive contains a FIFO ${shown}: pack regular files only`);
      default:
        throw invalid(`archive entry ${shown} has unsupported tar type ${JSON.stringify(type)}: pack regular files and directories only`);
    }
    const kind: ArchiveEntryType = type === '5' ? 'directory' : 'file';
    if (kind === 'file' && rawPath.endsWith('/')) {
      throw invalid(`archive has a file entry named like a directory, ${shown}: rebuild the archive with pesde publish`);
    }
    const path = normalizePath(rawPath, shown, this.limits.maxPathBytes);
    if (this.entries.length >= this.limits.maxEntries) {
      throw invalid(`archive has more than ${this.limits.maxEntries} entries: include fewer files in the package`);
    }
    if (path === '') {
      // `./`, which `tar -C dir .` writes for the root; there is nothing to record.
      if (kind === 'directory') return;
      throw invalid('archive contains a file with an empty name: rebuild the archive with pesde publish');
    }
    this.register(path, kind, shown);
    this.entries.push({ path, type: kind, size });
    if (kind === 'directory') return;
    if (size > this.limits.maxFileBytes) {
      throw invalid(`archive file ${shown} is ${size} bytes, more than the ${this.limits.maxFileBytes}-byte limit: leave it out of the package`);
    }
    this.declaredBytes += size;
    if (this.declaredBytes > this.limits.maxUnpackedBytes) {
      throw invalid(`archive unpacks to more than ${this.limits.maxUnpackedBytes} bytes: remove large or unneeded files from the package`);
    }
    const kept = isKeptPath(path);
    if (kept) this.checkKept(path, size, shown);
    const target: BodyTarget = kept ? { kind: 'keep', path, chunks: [] } : { kind: 'skip' };
    this.startBody(size, target, shown);
  }

  /** A file whose contents are kept is refused from its header when it would pass a cap, before a byte of it is read. */
  private checkKept(path: string, size: number, shown: string): void {
    const { maxManifestBytes, maxReadmeBytes, maxDocPageBytes, maxKeptBytes } = this.limits;
    if (path === 'pesde.toml' && size > maxManifestBytes) {
      // worded as manifest.ts words it for a manifest read from a folder
      throw invalid(`pesde.toml is ${size} bytes, more than ${maxManifestBytes}: move data out of the manifest`);
    }
    const [max, what] = path.includes('/') ? [maxDocPageBytes, 'a doc page'] : [maxReadmeBytes, 'a README'];
    if (size > max) throw invalid(`archive file ${shown} is ${size} bytes, more than the ${max}-byte limit for ${what}: shorten it`);
    this.keptBytes += size;
    if (this.keptBytes > maxKeptBytes) {
      throw invalid(`archive's manifest, README and doc pages add up to more than ${maxKeptBytes} bytes, the limit for them together: shorten or remove some`);
    }
  }

  private startBody(size: number, target: BodyTarget, label: string): void {
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) {
      this.state = { kind: 'header' };
      this.finishBody(target);
    } else {
      this.state = { kind: 'body', remaining: size, padding, target, label };
    }
  }

  private finishBody(target: BodyTarget): void {
    if (target.kind === 'keep') {
      this.kept.set(target.path, Buffer.concat(target.chunks));
    } else if (target.kind === 'meta') {
      const body = Buffer.concat(target.chunks);
      if (target.type === 'x') this.pending.pax = parsePax(body, false);
      else if (target.type === 'g') parsePax(body, true);
      else if (target.type === 'L') this.pending.longPath = readLongName(body);
      else this.pending.longLink = true;
    }
  }

  private register(path: string, kind: ArchiveEntryType, shown: string): void {
    if (this.files.has(path) || this.dirs.has(path)) {
      throw invalid(`archive contains ${shown} twice: pack each file once`);
    }
    if (kind === 'file' && this.impliedDirs.has(path)) {
      throw invalid(`archive contains ${shown} as both a file and a directory: pack each path once`);
    }
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const parent = path.slice(0, slash);
      if (this.files.has(parent)) {
        throw invalid(`archive contains ${JSON.stringify(parent)} as both a file and a directory: pack each path once`);
      }
      this.impliedDirs.add(parent);
    }
    (kind === 'file' ? this.files : this.dirs).add(path);
  }
}

function isZero(data: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (data[i] !== 0) return false;
  return true;
}

/**
 * The size field as tar-rs reads it: octal digits between optional spaces, cut at the first
 * NUL, or GNU base-256 when the high bit is set. Anything else is refused, not guessed at.
 */
function readSize(block: Buffer): number | undefined {
  const first = block[124] as number;
  if (first & 0x80) {
    if (first === 0xff) return undefined;
    let value = BigInt(first & 0x7f);
    for (let i = 125; i < 136; i++) value = (value << 8n) | BigInt(block[i] as number);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  }
  const field = block.toString('latin1', 124, 136);
  const nul = field.indexOf('\0');
  const text = (nul === -1 ? field : field.slice(0, nul)).trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/**
 * Pax records (`<length> <key>=<value>\n`), parsed by length as the format demands (tar's
 * own `Pax.parse` splits on newlines and silently drops a path containing one, which tar-rs
 * would honour). Only `path` and `size` change how an entry reads; a global header may
 * change neither, since readers disagree on whether global values apply.
 */
function parsePax(body: Buffer, global: boolean): { path?: string; size?: number } {
  const result: { path?: string; size?: number } = {};
  const seen = new Set<string>();
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    const lengthText = space === -1 ? '' : body.toString('latin1', pos, space);
    const length = /^[0-9]{1,7}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!(length > space - pos + 1) || pos + length > body.length || body[pos + length - 1] !== 0x0a) {
      throw invalid('archive has a malformed pax extended header: rebuild the archive with pesde publish');
    }
    const record = body.subarray(space + 1, pos + length - 1);
    pos += length;
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw invalid('archive has a malformed pax extended header: rebuild the archive with pesde publish');
    const key = record.toString('latin1', 0, eq);
    const value = record.subarray(eq + 1);
    if (key.startsWith('GNU.sparse.')) {
      throw invalid('archive contains a sparse file: pack regular files only');
    }
    if (key !== 'path' && key !== 'size' && key !== 'linkpath') continue;
    if (global) {
      throw invalid(`archive has a global pax header that sets ${JSON.stringify(key)}: tar readers disagree on such archives; rebuild it with pesde publish`);
    }
    if (seen.has(key)) {
      throw invalid(`archive has a pax header that sets ${JSON.stringify(key)} twice: rebuild the archive with pesde publish`);
    }
    seen.add(key);
    if (key === 'size') {
      const text = value.toString('latin1');
      if (!/^[0-9]{1,15}$/.test(text)) {
        throw invalid(`archive has a pax size ${JSON.stringify(text)} that is not a number of bytes: rebuild the archive with pesde publish`);
      }
      result.size = Number(text);
    } else if (key === 'path') {
      result.path = decodeName(value);
    }
  }
  return result;
}

/** A GNU long name: the body up to its terminating NUL(s). */
function readLongName(body: Buffer): string {
  let end = body.length;
  while (end > 0 && body[end - 1] === 0) end--;
  return decodeName(body.subarray(0, end));
}

function decodeName(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid(`archive contains a file name that is not valid UTF-8 (${JSON.stringify(bytes.toString('latin1'))}): rename it`);
  }
}

/**
 * Validates an entry path and returns it normalised. `tar`'s Header decodes ustar names
 * with U+FFFD for invalid UTF-8, so that character stands for "not UTF-8" here.
 */
function normalizePath(raw: string, shown: string, maxBytes: number): string {
  if (raw.includes('\uFFFD')) throw invalid(`archive contains a file name that is not valid UTF-8 (${shown}): rename it`);
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw invalid(`archive entry ${shown} has a control character in its name: rename it`);
  if (raw.includes('\\')) throw invalid(`archive entry ${shown} has a backslash in its path: use / as the separator`);
  if (raw.startsWith('/')) throw invalid(`archive entry ${shown} has an absolute path: pack paths relative to the package root`);
  if (/^[A-Za-z]:/.test(raw)) throw invalid(`archive entry ${shown} has a drive letter: pack paths relative to the package root`);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw invalid(`archive entry ${shown} has a ".." segment: pack paths inside the package root only`);
  const path = parts.join('/');
  if (Buffer.byteLength(path) > maxBytes) {
    throw invalid(`archive entry ${shown} has a path longer than ${maxBytes} bytes: shorten it`);
  }
  return path;
}
