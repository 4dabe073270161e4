/**
 * A README or doc page from storage as text. They are stored gzip-compressed (served to
 * the client as stored); a page needs them decoded. Both the stored and the decoded size
 * are capped while reading, so a hostile archive cannot make a page view eat memory.
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { readCapped } from '../../storage/read-capped.js';
import type { Storage } from '../../storage/storage.js';

const gunzip = promisify(gunzipCallback);

const MAX_STORED_BYTES = 4 * 1024 * 1024;
const MAX_TEXT_BYTES = 8 * 1024 * 1024;

export type StoredText =
  | { kind: 'text'; text: string }
  | { kind: 'missing' }
  | { kind: 'too-large' };

export async function readStoredText(storage: Storage, key: string): Promise<StoredText> {
  const read = await readCapped(storage, key, MAX_STORED_BYTES);
  if (read.kind !== 'bytes') return read;
  let bytes = read.bytes;
  if (read.contentEncoding === 'gzip') {
    try {
      bytes = await gunzip(bytes, { maxOutputLength: MAX_TEXT_BYTES });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { kind: 'too-large' };
      throw error;
    }
  }
  // lenient: a stray invalid byte should cost one replacement character, not the README
  return { kind: 'text', text: new TextDecoder('utf-8').decode(bytes) };
}
