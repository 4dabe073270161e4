/**
 * Copying objects between two stores. Both are listed once; an object the destination
 * already holds with the same size and MD5 is skipped, so a rerun after a kill resumes
 * where the last one stopped. Every write is whole or absent (fs: a temporary file renamed
 * into place; S3: PutObject), so a kill never leaves a partial object under its final key.
 * A destination that refuses a write stops the copy at once, naming the object.
 */
import { createHash } from 'node:crypto';
import { errorMessage } from '../errors.js';
import type { ObjectInfo, Storage } from './storage.js';

export interface CopyRequest {
  source: Storage;
  destination: Storage;
  /** keys to copy, and whether each must exist in the source; null copies everything listed */
  wanted: Map<string, 'required' | 'optional'> | null;
  concurrency: number;
  onProgress?: (progress: CopyProgress) => void;
}

export interface CopyProgress {
  /** objects to look at, known after both listings */
  total: number;
  totalBytes: number;
  done: number;
  doneBytes: number;
}

export interface CopyFailure {
  key: string;
  problem: string;
}

export interface CopySummary {
  objects: number;
  bytes: number;
  copied: number;
  copiedBytes: number;
  skipped: number;
  /** source-side problems (missing or unreadable objects); the copy goes on past them */
  failed: CopyFailure[];
}

export async function copyObjects(request: CopyRequest): Promise<CopySummary> {
  const { source, destination, wanted } = request;
  const [sourceObjects, destinationObjects] = await Promise.all([listAll(source), listAll(destination)]);
  const failed: CopyFailure[] = [];
  const todo: ObjectInfo[] = [];
  if (wanted === null) todo.push(...sourceObjects.values());
  else {
    for (const [key, need] of wanted) {
      const object = sourceObjects.get(key);
      if (object !== undefined) todo.push(object);
      else if (need === 'required') failed.push({ key, problem: `missing from ${source.describe()}` });
    }
  }
  todo.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const progress: CopyProgress = { total: todo.length, totalBytes: todo.reduce((n, o) => n + o.size, 0), done: 0, doneBytes: 0 };
  const summary: CopySummary = { objects: todo.length, bytes: progress.totalBytes, copied: 0, copiedBytes: 0, skipped: 0, failed };
  request.onProgress?.(progress);

  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < todo.length) {
      const object = todo[next++]!;
      try {
        const outcome = await copyOne(source, destination, object, destinationObjects.get(object.key));
        if (outcome === 'skipped') summary.skipped++;
        else if (outcome === 'copied') {
          summary.copied++;
          summary.copiedBytes += object.size;
        } else failed.push({ key: object.key, problem: outcome.problem });
      } catch (error) {
        stopped = true;
        throw error;
      }
      progress.done++;
      progress.doneBytes += object.size;
      request.onProgress?.(progress);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(request.concurrency, todo.length)) }, worker));
  return summary;
}

type Outcome = 'copied' | 'skipped' | { problem: string };

async function copyOne(source: Storage, destination: Storage, object: ObjectInfo, there: ObjectInfo | undefined): Promise<Outcome> {
  // both listings carry an MD5 (S3 to S3): decided without reading a byte
  if (there !== undefined && there.size === object.size && object.md5 !== undefined && there.md5 !== undefined) {
    if (object.md5 === there.md5) return 'skipped';
  }
  let body: Buffer | null;
  try {
    body = await readObject(source, object.key);
  } catch (error) {
    return { problem: errorMessage(error) };
  }
  if (body === null) return { problem: `deleted from ${source.describe()} while copying` };
  if (there !== undefined && there.size === body.length) {
    const theirs = there.md5 ?? (await readObject(destination, object.key).then((b) => (b === null ? undefined : md5(b))));
    if (theirs === md5(body)) return 'skipped';
  }
  // a failed write throws: the destination is what is broken, so going on would fail every object
  await destination.put(object.key, body);
  return 'copied';
}

async function listAll(storage: Storage): Promise<Map<string, ObjectInfo>> {
  const objects = new Map<string, ObjectInfo>();
  for await (const object of storage.listObjects('')) objects.set(object.key, object);
  return objects;
}

async function readObject(storage: Storage, key: string): Promise<Buffer | null> {
  const object = await storage.get(key);
  if (object === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function md5(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}
