/**
 * Archives that are small to upload and huge to unpack, made without ever holding their
 * unpacked form: entries are streamed through gzip one mebibyte at a time. Shared by the
 * hardening tests and bench/hostile.ts.
 */
import { createGzip } from 'node:zlib';
import { buildTar, END, pad, type EntrySpec } from './archive-builder.js';

const MiB = 1024 * 1024;

export interface BigEntry {
  path: string;
  /** bytes of the file */
  size: number;
  /** the byte it is made of (default `a`) */
  fill?: number;
}

/** `small` entries as given, then each big one: a .tar.gz a few hundred bytes per unpacked MiB. */
export async function bigEntriesTarGz(small: EntrySpec[], big: BigEntry[]): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const write = (bytes: Buffer) => new Promise<void>((resolve) => (gzip.write(bytes) ? resolve() : gzip.once('drain', resolve)));
  await write(buildTar(small, { end: false }));
  for (const entry of big) {
    // the header as the builder makes it, for an empty body, with the real size patched in
    const header = buildTar([{ path: entry.path, content: '' }], { end: false });
    const block = header.subarray(header.length - 512);
    block.write(entry.size.toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1');
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
    await write(header);
    const chunk = Buffer.alloc(MiB, entry.fill ?? 0x61);
    for (let left = entry.size; left > 0; left -= MiB) await write(left >= MiB ? chunk : chunk.subarray(0, left));
    await write(pad(Buffer.alloc(entry.size % 512)).subarray(entry.size % 512));
  }
  gzip.end(END);
  await done;
  return Buffer.concat(out);
}
