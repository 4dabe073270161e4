/**
 * Builds real .tar.gz buffers in memory for tests, including hostile ones `tar` refuses to
 * write. Ordinary entries get their headers from `tar`'s own Header/Pax encoders; anything
 * `tar` cannot express (non-UTF-8 names, lying sizes, bad checksums) comes from `rawHeader`.
 */
import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';

export type EntrySpec =
  | { path: string; content?: string | Buffer; type?: 'file' }
  | { path: string; type: 'directory' }
  | { path: string; type: 'symlink' | 'hardlink'; linkpath: string }
  | { path: string; type: 'char' | 'block' | 'fifo' }
  /** bytes appended as they are (headers, bodies, garbage) */
  | { raw: Buffer };

const TAR_TYPES = {
  file: 'File',
  directory: 'Directory',
  symlink: 'SymbolicLink',
  hardlink: 'Link',
  char: 'CharacterDevice',
  block: 'BlockDevice',
  fifo: 'FIFO',
} as const;

const MTIME = new Date('2025-01-01T00:00:00Z');

export const pad = (buf: Buffer): Buffer => Buffer.concat([buf, Buffer.alloc((512 - (buf.length % 512)) % 512)]);

/** The end-of-archive marker: two zero blocks. */
export const END = Buffer.alloc(1024);

function entryBytes(spec: EntrySpec): Buffer {
  if ('raw' in spec) return spec.raw;
  const type = spec.type ?? 'file';
  const body = 'content' in spec && spec.content !== undefined ? Buffer.from(spec.content) : Buffer.alloc(0);
  const block = Buffer.alloc(512);
  const header = new Header({
    path: spec.path,
    type: TAR_TYPES[type],
    size: type === 'file' ? body.length : 0,
    mode: type === 'directory' ? 0o755 : 0o644,
    mtime: MTIME,
    linkpath: 'linkpath' in spec ? spec.linkpath : '',
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
  });
  const needPax = header.encode(block, 0);
  const pax = needPax ? new Pax({ path: spec.path }).encode() : Buffer.alloc(0);
  return Buffer.concat([pax, block, pad(body)]);
}

/** An uncompressed tar; `end: false` leaves off the end-of-archive marker. */
export function buildTar(entries: EntrySpec[], options: { end?: boolean } = {}): Buffer {
  return Buffer.concat([...entries.map(entryBytes), options.end === false ? Buffer.alloc(0) : END]);
}

export function buildTarGz(entries: EntrySpec[], options: { end?: boolean } = {}): Buffer {
  return gzipSync(buildTar(entries, options));
}

export interface RawHeaderOptions {
  /** the name field; a Buffer for bytes that are not UTF-8 */
  name: string | Buffer;
  /** one character, e.g. '0', '5', 'x', 'S'; '\0' for an old-style file */
  typeflag?: string;
  size?: number;
  /** replaces the whole 12-byte size field */
  sizeField?: Buffer;
  linkname?: string;
  /** ustar prefix (only used with ustar magic) */
  prefix?: string;
  /** corrupt the checksum */
  badChecksum?: boolean;
}

/** A 512-byte ustar header written field by field. */
export function rawHeader(options: RawHeaderOptions): Buffer {
  const block = Buffer.alloc(512);
  const name = Buffer.isBuffer(options.name) ? options.name : Buffer.from(options.name);
  name.copy(block, 0, 0, 100);
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  if (options.sizeField) options.sizeField.copy(block, 124, 0, 12);
  else block.write(`${(options.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('14733405600\0', 136, 'latin1');
  block.write(options.typeflag ?? '0', 156, 'latin1');
  if (options.linkname) block.write(options.linkname, 157, 'utf8');
  block.write('ustar\0' + '00', 257, 'latin1');
  if (options.prefix) block.write(options.prefix, 345, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  if (options.badChecksum) sum += 1;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A raw header followed by its padded body. */
export function rawEntry(options: RawHeaderOptions, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const data = Buffer.from(body);
  return Buffer.concat([rawHeader({ size: data.length, ...options }), pad(data)]);
}

/** One pax record, `<length> <key>=<value>\n`, with the self-inclusive length. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const payload = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let length = payload.length + 1;
  while (String(length).length + payload.length !== length) length++;
  return Buffer.concat([Buffer.from(String(length)), payload]);
}

/** A pax extended header ('x') or global header ('g') carrying the given records. */
export function paxEntry(records: Array<[string, string | Buffer]>, type: 'x' | 'g' = 'x'): Buffer {
  const body = Buffer.concat(records.map(([key, value]) => paxRecord(key, value)));
  return rawEntry({ name: 'PaxHeader/x', typeflag: type }, body);
}

/** A GNU long-name ('L') header whose body is the name and a NUL. */
export function longNameEntry(name: string | Buffer): Buffer {
  return rawEntry({ name: '././@LongLink', typeflag: 'L' }, Buffer.concat([Buffer.from(name), Buffer.alloc(1)]));
}

export const gzip = (buf: Buffer): Buffer => gzipSync(buf);
