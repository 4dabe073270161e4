/**
 * The worker thread of package-parser.ts: parses the index files it is sent, one at a time,
 * renders the versions list of those it is asked to (with its gzip form), and scans large
 * ones for a refresh.
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { parseIndexFile } from '../index-repo/package-file.js';
import type { ParseAnswer, ParseJob } from './package-parser.js';
import { PackageRecord } from './package-record.js';
import { scanIndexFile } from './package-scan.js';

/**
 * About how much of the file's text each part's entries were parsed from: the event loop
 * reads a message whole, and the entries of a 4 MB file in one message took it 39 ms to
 * rebuild (bench:hostile, profiled).
 */
const PART_SOURCE_CHARS = 256 * 1024;

function entriesPerPart(entries: number, chars: number): number {
  return Math.max(1, Math.floor((entries * PART_SOURCE_CHARS) / Math.max(chars, 1)));
}

/**
 * Bytes whose memory can be handed to the event loop's thread: ones that own all of theirs.
 * A small Buffer is a view into a pool shared with others, so it is copied first.
 */
function movable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** The memory an answer moves to the event loop's thread instead of copying: its versions list's. */
function movedMemory(answer: ParseAnswer): ArrayBuffer[] {
  const versions = answer.versions;
  if (versions === undefined) return [];
  return [versions.bytes, ...(versions.gzip === null ? [] : [versions.gzip])].map((bytes) => bytes.buffer as ArrayBuffer);
}

parentPort?.on('message', ({ id, text, where, render, scan }: ParseJob) => {
  let answer: ParseAnswer;
  try {
    if (scan !== undefined) {
      parentPort?.postMessage({ id, scanned: scanIndexFile(Buffer.from(scan.buffer, scan.byteOffset, scan.length)) } satisfies ParseAnswer);
      return;
    }
    const file = parseIndexFile(text, where);
    let served: Pick<ParseAnswer, 'versions' | 'layout'> = {};
    if (render !== undefined) {
      const record = new PackageRecord(render, file);
      const body = record.versionsJson();
      const gzip = body.gzip();
      served = { versions: { bytes: movable(body.bytes), gzip: gzip === null ? null : movable(gzip) }, layout: record.layout() };
    }
    // everything is done before the first message, so an error is the only answer an error gets
    const { entries, ...rest } = file;
    const step = entriesPerPart(entries.length, text.length);
    for (let at = 0; at + step < entries.length; at += step) parentPort?.postMessage({ id, part: entries.slice(at, at + step) } satisfies ParseAnswer);
    const last = entries.length === 0 ? 0 : Math.floor((entries.length - 1) / step) * step;
    answer = { id, file: { ...rest, entries: entries.slice(last) }, ...served };
  } catch (error) {
    answer = { id, error: errorMessage(error) };
  }
  parentPort?.postMessage(answer, movedMemory(answer));
});
