/**
 * Reads a stored object whole, but never more than a cap: records and pages are small by
 * contract, and an object someone made large must cost a bounded read, not the heap.
 */
import type { Storage } from './storage.js';

export type CappedRead = { kind: 'bytes'; bytes: Buffer; contentEncoding: string | undefined } | { kind: 'missing' } | { kind: 'too-large' };

export async function readCapped(storage: Storage, key: string, maxBytes: number): Promise<CappedRead> {
  const object = await storage.get(key);
  if (object === null) return { kind: 'missing' };
  if (object.size > maxBytes) {
    object.body.destroy();
    return { kind: 'too-large' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      object.body.destroy();
      return { kind: 'too-large' };
    }
    chunks.push(chunk);
  }
  return { kind: 'bytes', bytes: Buffer.concat(chunks), contentEncoding: object.contentEncoding };
}
